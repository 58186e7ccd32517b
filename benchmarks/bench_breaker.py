"""Circuit breaker costs: per-stream overhead and cross-process propagation delay.

    .venv/bin/python benchmarks/bench_breaker.py [--quick]

- **per-stream cost**: a one-chunk ScriptedProvider stream, bare vs behind a closed
  breaker, vs behind a closed breaker attached to a RedisBreakerState (the hot path
  never talks to Redis, so the two should match), plus the cost of a refusal by an
  open breaker. Medians of interleaved batches, in µs per stream.
- **propagation**: process A trips its breaker, process B (a second Python process on
  its own Redis connection) observes ``open``; then A's trial closes it and B observes
  ``closed``. Delay = B's ``time.monotonic()`` at its transition minus A's at its own
  (CLOCK_MONOTONIC is system-wide on Linux, so the two are comparable).

Needs ``redis-server`` on PATH for the Redis rows (they are reported as missing
otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from llm_router import errors
from llm_router._aio import closing
from llm_router.config import BreakerConfig
from llm_router.layers.breaker import CircuitBreaker, RedisBreakerState
from llm_router.observe import BreakerChanged, BreakerState, Event
from llm_router.providers.scripted import Script, ScriptedProvider
from llm_router.types import ChatRequest, Provider, StreamChunk

Row = dict[str, object]
ROOT = Path(__file__).resolve().parents[1]
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


def _redis_server() -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.01)
    proc.kill()
    return None


async def _drain(provider: Provider) -> None:
    async with closing(provider.stream_complete(REQ)) as stream:
        async for _ in stream:
            pass


async def _us_per_stream(provider: Provider, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await _drain(provider)
    return (time.perf_counter() - start) / n * 1e6


async def _refusal_us(breaker: CircuitBreaker, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        with contextlib.suppress(errors.CircuitOpen):
            await _drain(breaker)
    return (time.perf_counter() - start) / n * 1e6


async def per_stream(url: str | None, quick: bool) -> list[Row]:
    """Median µs per one-chunk stream: bare, closed breaker, closed breaker + Redis."""
    batches, per_batch = (15, 300) if quick else (41, 2000)
    bare = ScriptedProvider(name="p", scripts=(Script(text="ok"),))
    cases: dict[str, Provider] = {"bare ScriptedProvider stream": bare}
    cases["closed breaker"] = CircuitBreaker(bare)
    shared = RedisBreakerState(url) if url else None
    if shared is not None:
        await shared.start()
        cases["closed breaker + Redis sharing"] = CircuitBreaker(bare, shared=shared)
    open_breaker = CircuitBreaker(bare, BreakerConfig(fail_max=1, reset_timeout=3600))
    open_breaker.pybreaker.open()
    samples: dict[str, list[float]] = {name: [] for name in [*cases, "open breaker refusal"]}
    try:
        for _ in range(batches):  # interleaved, so drift hits every case alike
            for name, provider in cases.items():
                samples[name].append(await _us_per_stream(provider, per_batch))
            samples["open breaker refusal"].append(await _refusal_us(open_breaker, per_batch))
    finally:
        if shared is not None:
            await shared.aclose()
    base = statistics.median(samples["bare ScriptedProvider stream"])
    rows: list[Row] = []
    for name, values in samples.items():
        median = statistics.median(values)
        added = "" if name.startswith(("bare", "open")) else round(median - base, 2)
        rows.append(
            {"case": name, "n": batches * per_batch, "us_per_stream": round(median, 2),
             "added_us": added, "spread_us": f"{min(values):.2f}-{max(values):.2f}"}
        )  # fmt: skip
    return rows


PEER = """
import asyncio, sys, time
from llm_router.config import BreakerConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.breaker import RedisBreakerState
from llm_router.observe import BreakerChanged
from llm_router.providers.scripted import ScriptedProvider

def show(event):
    if isinstance(event, BreakerChanged):
        print(event.new, repr(time.monotonic()), flush=True)

async def main(url):
    async with RedisBreakerState(url) as shared:
        CircuitBreaker(ScriptedProvider(name="p"), BreakerConfig(fail_max=1, reset_timeout=3600),
                       deployment="bench", shared=shared, hook=show)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main(sys.argv[1]))
"""


class _Toggle:
    """One chunk with a finish signal, or a ServerError when ``fail`` is set."""

    name = "p"
    fail = False

    async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        if self.fail:
            raise errors.ServerError("down", provider=self.name)
        yield StreamChunk(text="ok", provider=self.name, model="m", finish_reason="stop")


class _Stamp:
    """A hook that notes when each breaker state was entered."""

    def __init__(self) -> None:
        self.at: dict[BreakerState, float] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, BreakerChanged):
            self.at[event.new] = time.monotonic()


async def propagation(url: str, quick: bool) -> list[Row]:
    """p50/p99 delay for A's open and close transitions to reach process B."""
    trips = 10 if quick else 30
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEER, url, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    delays: dict[BreakerState, list[float]] = {"open": [], "closed": []}
    fake_now = [0.0]
    inner, stamp = _Toggle(), _Stamp()
    config = BreakerConfig(fail_max=1, reset_timeout=1.0)
    try:
        async with asyncio.timeout(30):
            assert (await proc.stdout.readline()).strip() == b"ready"
        async with RedisBreakerState(url) as shared:
            breaker = CircuitBreaker(
                inner, config, deployment="bench", shared=shared, hook=stamp,
                clock=lambda: fake_now[0],
            )  # fmt: skip
            for _ in range(trips):
                steps: tuple[tuple[BreakerState, bool], ...] = (("open", True), ("closed", False))
                for state, fail in steps:
                    inner.fail = fail
                    fake_now[0] += 2.0  # lets the trial through when open
                    with contextlib.suppress(errors.ServerError):
                        await _drain(breaker)
                    async with asyncio.timeout(5):
                        seen, at = (await proc.stdout.readline()).split()
                    assert seen.decode() == state, (seen, state)
                    delays[state].append((float(at) - stamp.at[state]) * 1e3)
    finally:
        proc.stdin.close()
        await proc.wait()
    rows: list[Row] = []
    for state, values in delays.items():
        values.sort()
        p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
        rows.append(
            {"case": f"propagation A→B ({state})", "n": len(values),
             "p50_ms": round(statistics.median(values), 3), "p99_ms": round(p99, 3),
             "max_ms": round(values[-1], 3)}
        )  # fmt: skip
    return rows


def run(quick: bool = False) -> list[dict[str, object]]:
    """All breaker measurements, one row each."""
    server = _redis_server()
    try:
        url = server[1] if server else None
        rows = asyncio.run(per_stream(url, quick))
        if url is None:
            return [*rows, {"case": "propagation", "note": "redis-server not found"}]
        return rows + asyncio.run(propagation(url, quick))
    finally:
        if server is not None:
            server[0].terminate()
            server[0].wait(timeout=10)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
