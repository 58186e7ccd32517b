"""Breaker state shared through a real redis-server, in one process and across two."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from llm_router import errors
from llm_router.accumulate import complete
from llm_router.config import BreakerConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.breaker.redis import RedisBreakerState, redact_url
from llm_router.observe import BreakerChanged, BreakerState, Event
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest
from tests.conftest import FakeClock
from tests.layers.conftest import RedisServer, free_port

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
OK = Script(text="ok")
FAIL = Script(fault=Fault("server_error"))
CONFIG = BreakerConfig(fail_max=1, reset_timeout=30.0, jitter=0.0)
ROOT = Path(__file__).resolve().parents[2]
WAIT = 1.0
"""How long a transition may take to reach another breaker (it takes ~1 ms)."""


class Changes:
    """A hook that wakes waiters on every transition; remembers (old, new, source)."""

    def __init__(self) -> None:
        self.seen: list[tuple[BreakerState, BreakerState, str]] = []
        self.changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, BreakerChanged):
            self.seen.append((event.old, event.new, event.source))
            self.changed.set()

    async def until(self, breaker: CircuitBreaker, state: BreakerState) -> None:
        async with asyncio.timeout(WAIT):
            while breaker.state != state:
                self.changed.clear()
                await self.changed.wait()


def node(
    shared: RedisBreakerState, clock: FakeClock, *scripts: Script
) -> tuple[CircuitBreaker, ScriptedProvider, Changes]:
    inner = ScriptedProvider(name="p", scripts=scripts or (OK,), sleep=clock.sleep)
    changes = Changes()
    breaker = CircuitBreaker(
        inner, CONFIG, deployment="p/m", shared=shared, hook=changes, clock=clock
    )
    return breaker, inner, changes


async def test_trip_and_recovery_propagate_in_process(
    pair: tuple[RedisBreakerState, RedisBreakerState], clock: FakeClock
) -> None:
    """A trips → B opens (shared, retry_at ≈ A's) without calling inner; A's recovery closes B."""
    a, b = pair
    assert a.available and b.available
    breaker_a, _, seen_a = node(a, clock, FAIL, OK)
    breaker_b, inner_b, seen_b = node(b, clock)
    with pytest.raises(errors.ServerError):
        await complete(breaker_a, REQ)
    await seen_b.until(breaker_b, "open")
    with pytest.raises(errors.CircuitOpen) as info:
        await complete(breaker_b, REQ)
    assert inner_b.calls == []
    assert info.value.retry_at is not None and 1029.0 < info.value.retry_at <= 1030.0
    clock.advance(30.0)
    await complete(breaker_a, REQ)
    await seen_b.until(breaker_b, "closed")
    await complete(breaker_b, REQ)
    assert seen_b.seen == [("closed", "open", "shared"), ("open", "closed", "shared")]
    assert [s for _, _, s in seen_a.seen] == ["local"] * 3, seen_a.seen


async def test_late_joiner_catches_up_from_the_key(
    redis_server: RedisServer, prefix: str, clock: FakeClock
) -> None:
    """A process that starts after the trip adopts the open state from Redis."""
    async with RedisBreakerState(redis_server.url, prefix=prefix) as a:
        breaker_a, _, _ = node(a, clock, FAIL)
        with pytest.raises(errors.ServerError):
            await complete(breaker_a, REQ)
        await a.flushed()
        async with RedisBreakerState(redis_server.url, prefix=prefix) as b:
            breaker_b, _, seen_b = node(b, clock)
            await seen_b.until(breaker_b, "open")
            assert breaker_b.retry_at is not None and breaker_b.retry_at > clock() + 25


async def test_other_deployments_and_prefixes_are_untouched(
    pair: tuple[RedisBreakerState, RedisBreakerState], redis_server: RedisServer, clock: FakeClock
) -> None:
    """A trip is shared only with the same deployment under the same prefix."""
    a, b = pair
    breaker_a, _, _ = node(a, clock, FAIL)
    other = CircuitBreaker(ScriptedProvider(name="p"), CONFIG, deployment="p/other", shared=b)
    async with RedisBreakerState(redis_server.url, prefix="elsewhere:") as c:
        stranger, _, _ = node(c, clock)
        witness, _, seen = node(b, clock)
        with pytest.raises(errors.ServerError):
            await complete(breaker_a, REQ)
        await seen.until(witness, "open")
        await c.flushed()
        assert other.state == "closed" and stranger.state == "closed"


async def test_redis_down_at_start_serves_locally(clock: FakeClock) -> None:
    """Redis unreachable at start: requests work, the breaker works, one warning, no password."""
    attempts: list[float] = []
    third, gate = asyncio.Event(), asyncio.Event()

    async def sleep(seconds: float) -> None:
        attempts.append(seconds)
        if len(attempts) >= 3:
            third.set()
            await gate.wait()

    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with capture_logs() as logs:
        async with RedisBreakerState(url, sleep=sleep) as shared:
            assert not shared.available
            breaker, _, _ = node(shared, clock, OK, FAIL)
            await complete(breaker, REQ)
            with pytest.raises(errors.ServerError):
                await complete(breaker, REQ)
            with pytest.raises(errors.CircuitOpen):
                await complete(breaker, REQ)
            async with asyncio.timeout(WAIT):
                await third.wait()
    warnings = [e for e in logs if e["event"] == "circuit.shared_unavailable"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert warnings[0]["url"] == f"redis://127.0.0.1:{url.rsplit(':', 1)[1]}"
    assert "s3cret" not in repr(logs)
    assert attempts[:3] == [0.05, 0.1, 0.2]


async def test_redis_killed_mid_run_keeps_serving_and_reconnects(
    make_redis_server: Callable[[], RedisServer], prefix: str, clock: FakeClock
) -> None:
    """Redis dies: breakers keep working locally (one warning); when it returns, sharing resumes."""
    server = make_redis_server()
    with capture_logs() as logs:
        async with (
            RedisBreakerState(server.url, prefix=prefix, backoff_max=0.05) as a,
            RedisBreakerState(server.url, prefix=prefix, backoff_max=0.05) as b,
        ):
            breaker_a, _, _ = node(a, clock, OK, FAIL, OK)
            breaker_b, _, seen_b = node(b, clock)
            server.kill()
            async with asyncio.timeout(WAIT):
                await a.wait_available(False)
            await complete(breaker_a, REQ)
            with pytest.raises(errors.ServerError):
                await complete(breaker_a, REQ)
            assert breaker_a.state == "open" and breaker_b.state == "closed"
            server.start()
            async with asyncio.timeout(5 * WAIT):
                await b.wait_available(True)
                await seen_b.until(breaker_b, "open")  # A's outage-time trip, shared late
    warnings = [e for e in logs if e["event"] == "circuit.shared_unavailable"]
    assert len([w for w in warnings if w["url"] == server.url]) == 2  # one per process
    assert any(e["event"] == "circuit.shared_available" for e in logs)


async def test_breakers_sharing_one_state_object_follow_each_other(
    redis_server: RedisServer, prefix: str, clock: FakeClock
) -> None:
    """Two breakers of one deployment on one RedisBreakerState follow each other at once."""
    async with RedisBreakerState(redis_server.url, prefix=prefix) as shared:
        first, _, _ = node(shared, clock, FAIL)
        second, _, seen = node(shared, clock)
        with pytest.raises(errors.ServerError):
            await complete(first, REQ)
        assert second.state == "open"
        assert seen.seen == [("closed", "open", "shared")]


def test_redact_url_removes_only_the_password() -> None:
    """redact_url drops the password and keeps user, host, port and database."""
    assert redact_url("redis://user:pw@h:1/2") == "redis://user@h:1/2"
    assert redact_url("rediss://:pw@h/0") == "rediss://h/0"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"


async def test_aclose_leaves_no_task_behind(redis_server: RedisServer, prefix: str) -> None:
    """After aclose every background task of the shared state is gone."""
    before = asyncio.all_tasks()
    shared = RedisBreakerState(redis_server.url, prefix=prefix)
    await shared.start()
    names = {t.get_name() for t in asyncio.all_tasks() - before}
    assert {"llm_router.breaker.redis.read", "llm_router.breaker.redis.write"} <= names
    await shared.aclose()
    assert asyncio.all_tasks() - before == set()
    assert not shared.available


PEER = """
import asyncio, sys
from llm_router import errors
from llm_router.accumulate import complete
from llm_router.config import BreakerConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.breaker import RedisBreakerState
from llm_router.observe import BreakerChanged
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest

def show(event):
    if isinstance(event, BreakerChanged):
        print(f"peer: state {event.new} {event.source}", flush=True)

async def main(url, prefix):
    inner = ScriptedProvider(name="p", scripts=(Script(text="ok"),))
    async with RedisBreakerState(url, prefix=prefix) as shared:
        breaker = CircuitBreaker(inner, BreakerConfig(fail_max=1, reset_timeout=60.0),
                                 deployment="p/m", shared=shared, hook=show)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        print("peer: ready", flush=True)
        while line := (await reader.readline()).decode().strip():
            if line == "fail":
                inner.scripts = (Script(fault=Fault("server_error")),)
            try:
                await complete(breaker, ChatRequest(messages=[{"role": "user", "content": "x"}]))
                print("peer: call ok", flush=True)
            except errors.ProviderError as exc:
                print(f"peer: call {type(exc).__name__}", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


class Peer:
    """Another process holding a breaker on the same deployment, driven line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def line(self, within: float = WAIT) -> str:
        assert self.proc.stdout is not None
        async with asyncio.timeout(within):
            while True:
                raw = await self.proc.stdout.readline()
                assert raw, "peer exited"
                text = raw.decode().strip()
                if text.startswith("peer: "):
                    return text.removeprefix("peer: ")

    async def call(self, command: str = "call") -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        return await self.line()


@pytest.fixture
async def peer(redis_server: RedisServer, prefix: str) -> AsyncIterator[Peer]:
    """A second Python process running PEER against the session's redis-server."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEER, redis_server.url, prefix,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    peer = Peer(proc)
    try:
        assert await peer.line(within=30.0) == "ready"
        yield peer
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        async with asyncio.timeout(10.0):
            await proc.wait()


async def test_trip_propagates_between_two_processes(
    peer: Peer, redis_server: RedisServer, prefix: str, clock: FakeClock
) -> None:
    """Tripping here makes the other process refuse at once; recovery here closes it there."""
    async with RedisBreakerState(redis_server.url, prefix=prefix) as shared:
        breaker, _, _ = node(shared, clock, FAIL, OK)
        assert await peer.call() == "call ok"
        with pytest.raises(errors.ServerError):
            await complete(breaker, REQ)
        assert await peer.line() == "state open shared"
        assert await peer.call() == "call CircuitOpen"
        clock.advance(30.0)
        await complete(breaker, REQ)
        assert await peer.line() == "state closed shared"
        assert await peer.call() == "call ok"


async def test_trip_in_the_other_process_reaches_this_one(
    peer: Peer, redis_server: RedisServer, prefix: str, clock: FakeClock
) -> None:
    """The other process trips its breaker; ours raises CircuitOpen without calling inner."""
    async with RedisBreakerState(redis_server.url, prefix=prefix) as shared:
        breaker, inner, changes = node(shared, clock)
        assert await peer.call("fail") == "state open local"
        assert await peer.line() == "call ServerError"
        await changes.until(breaker, "open")
        with pytest.raises(errors.CircuitOpen):
            await complete(breaker, REQ)
        assert inner.calls == []
