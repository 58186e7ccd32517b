"""``llm-router serve --workers 2`` as a real process group: one port served by both
workers, ``/metrics`` merged across them, SIGTERM drains and SIGHUP reloads every
worker, breakers shared through Redis, a dead worker replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from tests.cli.test_serve import Served, chat, serve, write_policy
from tests.layers.conftest import RedisServer

__all__ = ["serve"]  # the fixture, used by name

_CONNECTIONS = 64  # fresh connections tried to reach every worker (each one: 1 in 2)


@asynccontextmanager
async def on_each_worker(served: Served, workers: int = 2) -> AsyncIterator[dict[int, Any]]:
    """One client session per worker, each on a single keep-alive connection that
    worker answered (the kernel spreads new connections: open them until every
    worker's pid has been seen in ``/v1/router/status``)."""
    async with AsyncExitStack() as stack:
        found: dict[int, aiohttp.ClientSession] = {}
        for _ in range(_CONNECTIONS):
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
            status = await (await session.get(f"{served.url}/v1/router/status")).json()
            pid = status["gateway"]["pid"]
            if pid in found:
                await session.close()
                continue
            found[pid] = await stack.enter_async_context(session)
            if len(found) == workers:
                break
        assert len(found) == workers, f"only workers {sorted(found)} answered"
        yield found


async def pid_of(session: aiohttp.ClientSession, served: Served) -> int:
    """The pid of the worker answering on ``session``'s connection."""
    status = await (await session.get(f"{served.url}/v1/router/status")).json()
    return int(status["gateway"]["pid"])


def metric_total(exposition: str, name: str) -> float:
    """The sum of every sample of ``name`` in a Prometheus text exposition."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def gone(pid: int) -> bool:
    """Whether no process has ``pid`` any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def stopped_cleanly(served: Served, tmp_path: Path) -> dict[str, Any]:
    """SIGTERM the group: it exits 0, every worker exited 0, nothing is left behind
    (no worker process, no metrics directory); the group's last event."""
    served.signal(signal.SIGTERM)
    assert await asyncio.wait_for(served.proc.wait(), 20.0) == 0
    done = await served.wait_event("gateway.workers_stopped")
    assert done["statuses"] == [0, 0]
    assert list((tmp_path / "tmp").iterdir()) == []  # the metrics directory, removed
    return done


async def test_two_workers_share_the_port_and_metrics_count_both(
    serve: Any, tmp_path: Path
) -> None:
    """Requests reach both workers on one port; /metrics, from either, counts every
    request of both; SIGTERM stops the whole group cleanly."""
    served = await serve(write_policy(tmp_path / "p.yaml"), workers=2)
    started = await served.wait_event("gateway.workers_started")
    assert started["workers"] == 2 and len(started["pids"]) == 2
    url = f"{served.url}/v1/chat/completions"
    async with on_each_worker(served) as sessions:
        assert set(sessions) == set(started["pids"])
        for pid, session in sessions.items():
            for _ in range(3):
                resp = await session.post(url, json=chat("default", stream=False))
                assert resp.status == 200
                assert (await resp.json())["choices"][0]["message"]["content"] == "Fast answer."
            assert await pid_of(session, served) == pid  # the same connection throughout
        for session in sessions.values():
            text = await (await session.get(f"{served.url}/metrics")).text()
            assert metric_total(text, "llm_router_requests_total") == 6
            assert metric_total(text, "llm_router_inflight_streams") == 0
    ended = [e for e in served.events if e["event"] == "stream.completed"]
    assert sorted(e["worker"] for e in ended) == sorted(started["pids"] * 3)
    await stopped_cleanly(served, tmp_path)
    assert all(gone(pid) for pid in started["pids"])


async def test_sigterm_drains_every_worker(serve: Any, tmp_path: Path) -> None:
    """SIGTERM to the parent: every worker reports not-ready (readyz 503 draining)
    while a stream in flight finishes with [DONE]; then the group exits 0."""
    policy = write_policy(tmp_path / "p.yaml", slow_text="old " * 100, grace=20)
    served = await serve(policy, workers=2)
    async with on_each_worker(served) as sessions, aiohttp.ClientSession() as streaming:
        url = f"{served.url}/v1/chat/completions"
        async with streaming.post(url, json=chat("slow")) as resp:
            await resp.content.readuntil(b"old")
            served.signal(signal.SIGTERM)
            await served.wait_event("gateway.draining", count=2)
            for session in sessions.values():
                ready = await session.get(f"{served.url}/readyz")
                assert (ready.status, await ready.json()) == (503, {"status": "draining"})
            body = (await resp.read()).decode()
    assert body.rstrip().endswith("data: [DONE]")
    assert await asyncio.wait_for(served.proc.wait(), 20.0) == 0
    assert (await served.wait_event("gateway.workers_stopped"))["statuses"] == [0, 0]
    stops = [e for e in served.events if e["event"] == "gateway.stopped"]
    assert [e["cut_requests"] for e in stops] == [0, 0]


async def test_sighup_reloads_every_worker(serve: Any, tmp_path: Path) -> None:
    """SIGHUP to the parent: each worker reloads the policy file."""
    path = write_policy(tmp_path / "p.yaml")
    served = await serve(path, workers=2)
    async with on_each_worker(served) as sessions:
        write_policy(path, extra_route="  extra: [fast]")
        served.signal(signal.SIGHUP)
        first = await served.wait_event("policy.reloaded", count=1)
        second = await served.wait_event("policy.reloaded", count=2)
        assert {first["worker"], second["worker"]} == set(sessions)
        for session in sessions.values():
            models = await (await session.get(f"{served.url}/v1/models")).json()
            assert "extra" in [m["id"] for m in models["data"]]
    await stopped_cleanly(served, tmp_path)


async def test_breakers_are_shared_between_workers_through_redis(
    serve: Any, tmp_path: Path
) -> None:
    """With breaker_storage on Redis, a breaker one worker opens is open in the other
    (without it, each worker keeps its own: docs/DESIGN.md §7.1)."""
    redis = RedisServer()
    redis.start()
    try:
        path = write_policy(tmp_path / "p.yaml")
        prefix = f"serve-{uuid.uuid4().hex[:8]}"
        path.write_text(
            path.read_text() + f"breaker_storage:\n  redis: {redis.url}\n  key_prefix: {prefix}\n"
        )
        served = await serve(path, workers=2)
        async with on_each_worker(served) as sessions:
            (one, first), (other, second) = sessions.items()
            url = f"{served.url}/v1/chat/completions"
            resp = await first.post(url, json=chat("guarded", stream=False))
            assert resp.headers["x-llm-router-provider"] == "fast"  # flaky failed: open
            await served.wait_event(
                "circuit.state_change", worker=other, provider="flaky", source="shared"
            )
            for session in (first, second):
                status = await (await session.get(f"{served.url}/v1/router/status")).json()
                assert status["deployments"]["flaky"]["breaker"] == "open"
        opened = await served.wait_event("circuit.state_change", worker=one, provider="flaky")
        assert (opened["to_state"], opened["source"]) == ("open", "local")
        await stopped_cleanly(served, tmp_path)
    finally:
        redis.stop()


async def test_a_worker_that_dies_is_replaced(serve: Any, tmp_path: Path) -> None:
    """A worker killed while the group serves is replaced; the group still stops cleanly."""
    served = await serve(write_policy(tmp_path / "p.yaml"), workers=2)
    started = await served.wait_event("gateway.workers_started")
    victim, survivor = started["pids"]
    os.kill(victim, signal.SIGKILL)
    exited = await served.wait_event("gateway.worker_exited")
    assert (exited["pid"], exited["status"]) == (victim, -signal.SIGKILL)
    replacement = await served.wait_event("gateway.started", count=3, within=30.0)
    assert replacement["worker"] not in (victim, survivor)
    async with on_each_worker(served) as sessions:
        assert set(sessions) == {survivor, replacement["worker"]}
    await stopped_cleanly(served, tmp_path)


async def test_a_port_another_server_listens_on_is_refused(tmp_path: Path) -> None:
    """SO_REUSEPORT would share a port silently with another server of the same user:
    the group refuses it, with the single gateway's message, before starting workers."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "llm_router.cli.main", "serve", "--workers", "2",
            "--policy", str(write_policy(tmp_path / "p.yaml")), "--port", str(port),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 30.0)
    assert proc.returncode == 1
    assert "address is already in use" in err.decode()
    assert "gateway.workers_started" not in err.decode()
