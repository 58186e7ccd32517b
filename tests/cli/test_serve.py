"""``llm-router serve`` as a real subprocess: SIGTERM drains, SIGHUP reloads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

POLICY = """
version: 1
providers:
  fast:
    type: scripted
    model: fast-1
    text: "{fast_text}"
  slow:
    type: scripted
    model: slow-1
    text: "{slow_text}"
    chunk_delay: 0.04
  stalling:
    type: scripted
    model: stall-1
    scripts:
      - text: "one two three four"
        fault: {{kind: stall, after_chunks: 2}}
  flaky:
    type: scripted
    model: flaky-1
    retry: {{attempts: 1}}
    breaker: {{fail_max: 1, reset_timeout: 60}}
    scripts:
      - fault: {{kind: server_error}}
routes:
  default: [fast]
  slow: [slow]
  stalling: [stalling]
  guarded: [flaky, fast]
{extra_route}
server:
  shutdown_grace: {grace}
logging:
  json: true
"""


def write_policy(path: Path, **values: Any) -> Path:
    """Write the test policy with ``values`` filled in."""
    fields = {
        "fast_text": "Fast answer.",
        "slow_text": "old " * 12,
        "grace": 5,
        "extra_route": "",
    }
    fields.update(values)
    path.write_text(POLICY.format(**fields))
    return path


class Served:
    """A running ``llm-router serve`` process and its JSON log events."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.events: list[dict[str, Any]] = []
        self._new = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.port = 0

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            try:
                event = json.loads(raw)
            except ValueError:
                event = {"event": "<text>", "line": raw.decode(errors="replace")}
            async with self._new:
                self.events.append(event)
                self._new.notify_all()

    async def wait_event(
        self, name: str, count: int = 1, within: float = 10.0, **fields: Any
    ) -> dict[str, Any]:
        """The ``count``-th log event named ``name`` with ``fields`` (waiting for it)."""

        def found() -> list[dict[str, Any]]:
            return [
                e
                for e in self.events
                if e.get("event") == name and all(e.get(k) == v for k, v in fields.items())
            ]

        async with asyncio.timeout(within), self._new:
            await self._new.wait_for(lambda: len(found()) >= count)
        return found()[count - 1]

    @property
    def url(self) -> str:
        """The gateway's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the process."""
        self.proc.send_signal(sig)


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Any]:
    """Start ``llm-router serve`` on a policy file (``--workers 1`` unless ``workers``
    is given: then it waits for the group's ``gateway.workers_started``); kills
    leftovers at the end. Temporary files go under ``tmp_path / "tmp"``."""
    started: list[Served] = []
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    async def start(policy: Path, workers: int = 1) -> Served:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "llm_router.cli.main",
            "serve",
            "--policy",
            str(policy),
            "--port",
            "0",
            "--workers",
            str(workers),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "TMPDIR": str(tmp)},
        )
        served = Served(proc)
        started.append(served)
        ready = "gateway.started" if workers == 1 else "gateway.workers_started"
        served.port = (await served.wait_event(ready, within=30.0))["port"]
        return served

    yield start
    for served in started:
        if served.proc.returncode is None:
            served.proc.kill()
        await served.proc.wait()
        await served._reader


def chat(model: str, stream: bool = True) -> dict[str, Any]:
    """A chat body for ``model``."""
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}


async def test_sigterm_lets_streams_in_flight_finish(serve: Any, tmp_path: Path) -> None:
    """After SIGTERM, the probes keep answering (readyz 503 draining, so a load balancer
    sees the drain) and new requests get 503 while a stream in flight completes; then
    the process exits, every log line JSON."""
    # 100 words, 0.04 s apart: the stream is still in flight through every check below
    # even on a loaded machine (4 s), and well within the grace period
    served = await serve(write_policy(tmp_path / "p.yaml", slow_text="old " * 100, grace=20))
    async with aiohttp.ClientSession() as session:
        url = f"{served.url}/v1/chat/completions"
        async with session.post(url, json=chat("slow")) as resp:
            await resp.content.readuntil(b"old")
            served.signal(signal.SIGTERM)
            await served.wait_event("gateway.draining")
            async with aiohttp.ClientSession() as fresh:
                ready = await fresh.get(f"{served.url}/readyz")
                assert (ready.status, await ready.json()) == (503, {"status": "draining"})
                assert (await fresh.get(f"{served.url}/healthz")).status == 200
                refused = await fresh.post(url, json=chat("default", stream=False))
                assert refused.status == 503
                assert (await refused.json())["error"]["code"] == "shutting_down"
            body = (await resp.read()).decode()
    assert body.rstrip().endswith("data: [DONE]")
    assert await asyncio.wait_for(served.proc.wait(), 10.0) == 0
    assert (await served.wait_event("gateway.stopped"))["cut_requests"] == 0
    await served._reader
    assert not [e for e in served.events if e["event"] == "<text>"]  # one JSON line each


async def test_sigterm_cuts_streams_after_the_grace_period(serve: Any, tmp_path: Path) -> None:
    """A stream still open when the grace period ends gets an error event, not [DONE]."""
    served = await serve(write_policy(tmp_path / "p.yaml", grace=0.2))
    async with aiohttp.ClientSession() as session:
        url = f"{served.url}/v1/chat/completions"
        async with session.post(url, json=chat("stalling")) as resp:
            await resp.content.readuntil(b"two")
            served.signal(signal.SIGTERM)
            body = (await asyncio.wait_for(resp.read(), 10.0)).decode()
    assert "[DONE]" not in body
    last = json.loads(body.strip().split("\n")[-1].removeprefix("data: "))
    assert last["error"]["code"] == "shutting_down"
    assert await asyncio.wait_for(served.proc.wait(), 10.0) == 0
    assert (await served.wait_event("gateway.stopped"))["cut_requests"] == 1


async def test_sighup_applies_a_valid_policy(serve: Any, tmp_path: Path) -> None:
    """SIGHUP: new requests use the new policy, a stream in flight finishes on the old one,
    and an open breaker stays open."""
    path = write_policy(tmp_path / "p.yaml")
    served = await serve(path)
    async with aiohttp.ClientSession() as session:
        url = f"{served.url}/v1/chat/completions"
        async with session.post(url, json=chat("guarded", stream=False)) as resp:
            assert resp.headers["x-llm-router-provider"] == "fast"
        status = await (await session.get(f"{served.url}/v1/router/status")).json()
        assert status["deployments"]["flaky"]["breaker"] == "open"
        async with session.post(url, json=chat("slow")) as inflight:
            await inflight.content.readuntil(b"old")
            write_policy(path, slow_text="new " * 3, extra_route="  extra: [fast]")
            served.signal(signal.SIGHUP)
            await served.wait_event("policy.reloaded")
            fresh = await (await session.post(url, json=chat("slow", stream=False))).json()
            old = (await inflight.read()).decode()
        assert fresh["choices"][0]["message"]["content"] == "new new new "
        assert "new" not in old and old.rstrip().endswith("[DONE]")
        models = await (await session.get(f"{served.url}/v1/models")).json()
        assert "extra" in [m["id"] for m in models["data"]]
        status = await (await session.get(f"{served.url}/v1/router/status")).json()
        assert status["deployments"]["flaky"]["breaker"] == "open"
        assert status["gateway"]["reloads"] == 1
    served.signal(signal.SIGTERM)
    assert await asyncio.wait_for(served.proc.wait(), 10.0) == 0


async def test_sighup_rejects_an_invalid_policy(serve: Any, tmp_path: Path) -> None:
    """An invalid policy is rejected with its issues logged; the old one keeps serving."""
    path = write_policy(tmp_path / "p.yaml")
    served = await serve(path)
    path.write_text("version: 1\nproviders: {}\nroutes:\n  default: [nobody]\n")
    served.signal(signal.SIGHUP)
    rejected = await served.wait_event("policy.reload_rejected")
    assert any("nobody" in issue for issue in rejected["issues"])
    async with aiohttp.ClientSession() as session:
        resp = await session.post(f"{served.url}/v1/chat/completions", json=chat("auto", False))
        assert (await resp.json())["choices"][0]["message"]["content"] == "Fast answer."
    served.signal(signal.SIGTERM)
    assert await asyncio.wait_for(served.proc.wait(), 10.0) == 0
