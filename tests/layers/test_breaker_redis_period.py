"""Shared breaker state with a real redis-server: replicas agree on the adaptive open
period, and a frozen Redis (SIGSTOP: sockets open, silent) never holds a request up.

See docs/DESIGN.md §4.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import pytest

from llm_router import errors
from llm_router.accumulate import complete
from llm_router.builder import build_router
from llm_router.config import BreakerConfig
from llm_router.layers.breaker import CircuitBreaker, RedisBreakerState
from llm_router.observe import BreakerState
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest
from tests.conftest import FakeClock
from tests.layers.conftest import RedisServer
from tests.layers.test_router import Detection

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
FAIL = Script(fault=Fault("server_error"))
CONFIG = BreakerConfig(fail_max=1, reset_timeout=1.0, jitter=0.0)
WAIT = 1.0
"""Bound on a propagation that takes about a millisecond."""
CLAIM_TIMEOUT = 0.05
TRIAL_BOUND = 0.5
"""A trial under a frozen Redis must finish well within this (it takes ~claim_timeout;
the issue saw 5-10 s)."""


class Watched(CircuitBreaker):
    """A breaker that signals every shared transition it adopts."""

    def __init__(self, shared: RedisBreakerState, clock: FakeClock) -> None:
        self.inner_provider = ScriptedProvider(name="p", scripts=(FAIL,), sleep=clock.sleep)
        super().__init__(self.inner_provider, CONFIG, deployment="p/m", shared=shared, clock=clock)
        self.applied = asyncio.Event()

    def apply_shared(
        self, state: BreakerState, retry_in: float | None = None, period: float | None = None
    ) -> None:
        super().apply_shared(state, retry_in, period)
        self.applied.set()

    async def adopted(self) -> None:
        """Wait (bounded) for the next shared transition."""
        async with asyncio.timeout(WAIT):
            await self.applied.wait()
        self.applied.clear()


async def fail_trial(breaker: CircuitBreaker, clock: FakeClock) -> None:
    """Let ``breaker``'s open period pass and send its (failing) trial."""
    assert breaker.retry_at is not None
    clock.now = breaker.retry_at
    with pytest.raises(errors.ServerError):
        await complete(breaker, REQ)


async def test_replicas_agree_on_the_open_period(
    pair: tuple[RedisBreakerState, RedisBreakerState], clock: FakeClock
) -> None:
    """A failed trial on either replica doubles the one period both use: 1 s, then 2 s
    (a's trial), then 4 s (b's trial); a late joiner reads it from the key."""
    a, b = pair
    one, two = Watched(a, clock), Watched(b, clock)
    await a.flushed()
    await b.flushed()
    with pytest.raises(errors.ServerError):
        await complete(one, REQ)
    await two.adopted()
    assert two.state == "open" and two.nominal_period == 1.0
    await fail_trial(one, clock)
    await two.adopted()
    assert two.nominal_period == 2.0 and two.retry_at == pytest.approx(clock() + 2.0, abs=0.05)
    await fail_trial(two, clock)
    await one.adopted()
    assert one.nominal_period == two.nominal_period == 4.0
    assert one.retry_at == pytest.approx(clock() + 4.0, abs=0.05)
    await b.flushed()
    late = Watched(a, clock)
    await late.adopted()
    assert late.state == "open" and late.nominal_period == 4.0


async def test_frozen_redis_never_holds_a_trial_up(
    make_redis_server: Callable[[], RedisServer], prefix: str, clock: FakeClock
) -> None:
    """Redis frozen (SIGSTOP) while a breaker is open: each trial waits at most
    claim_timeout for its claim, then goes out on the local decision; after SIGCONT the
    queued transitions reach Redis and trials claim there again."""
    server = make_redis_server()
    async with RedisBreakerState(server.url, prefix=prefix, claim_timeout=CLAIM_TIMEOUT) as shared:
        breaker = Watched(shared, clock)
        with pytest.raises(errors.ServerError):
            await complete(breaker, REQ)
        await shared.flushed()
        server.freeze()
        try:
            for _ in range(3):  # the first claim, and later ones behind a stuck writer
                async with asyncio.timeout(TRIAL_BOUND):
                    await fail_trial(breaker, clock)
            assert len(breaker.inner_provider.calls) == 4
        finally:
            server.thaw()
        async with asyncio.timeout(10.0):  # the writer's stuck round trip completes
            await shared.flushed()
        async with asyncio.timeout(TRIAL_BOUND):
            await fail_trial(breaker, clock)


async def test_frozen_redis_fallback_serves_without_delay(
    make_redis_server: Callable[[], RedisServer], prefix: str, clock: FakeClock
) -> None:
    """Through a Router with a short deadline: the primary's trial under a frozen Redis
    fails over to the fallback at once; no request waits on Redis or times out."""
    server = make_redis_server()
    async with RedisBreakerState(server.url, prefix=prefix, claim_timeout=CLAIM_TIMEOUT) as shared:
        primary = ScriptedProvider(name="primary", scripts=(FAIL,), sleep=clock.sleep)
        router = build_router(
            {"default": [primary, ScriptedProvider(name="fallback")]},
            breaker=CONFIG,
            shared=shared,
            detector=lambda r: Detection("chat"),
            deadline_s=5.0,
            clock=clock,
            sleep=clock.sleep,
        )
        async with router:
            assert (await complete(router, REQ)).provider == "fallback"  # trips primary
            breaker = router.routes["default"].candidates[0].breaker
            assert breaker is not None and breaker.retry_at is not None
            await shared.flushed()
            server.freeze()
            try:
                for _ in range(5):
                    clock.now = breaker.retry_at  # the open period passed: a trial
                    async with asyncio.timeout(TRIAL_BOUND):
                        assert (await complete(router, REQ)).provider == "fallback"
            finally:
                server.thaw()
        assert len(primary.calls) == 2 + 5  # the trip's 2 attempts, then 5 one-attempt trials


class _StubbornPipeline:
    """A Redis pipeline whose round trip hangs, and whose cleanup after a cancellation
    waits on the same silent socket (as a client library's disconnect may)."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate

    async def __aenter__(self) -> _StubbornPipeline:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def set(self, *args: object, **kwargs: object) -> None:
        return None

    def pttl(self, key: str) -> None:
        return None

    async def execute(self) -> list[object]:
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            await self.gate.wait()
            raise
        return [True, 1000]


class _StubbornClient:
    def __init__(self) -> None:
        self.gate = asyncio.Event()

    def pipeline(self, transaction: bool = True) -> _StubbornPipeline:
        return _StubbornPipeline(self.gate)

    async def aclose(self) -> None:
        self.gate.set()


async def test_claim_is_bounded_even_if_the_client_ignores_cancellation(
    clock: FakeClock,
) -> None:
    """The claim's round trip runs in its own task: the trial waits claim_timeout, not
    for the client to give up (a cancelled round trip whose cleanup hangs)."""
    shared = RedisBreakerState("redis://127.0.0.1:1/0", claim_timeout=CLAIM_TIMEOUT)
    stub = _StubbornClient()
    cast(Any, shared)._client = stub
    shared._set_available(True)
    breaker = CircuitBreaker(ScriptedProvider(name="p"), CONFIG, shared=shared, clock=clock)
    breaker.apply_shared("open", retry_in=0.0)
    async with asyncio.timeout(TRIAL_BOUND):
        assert (await complete(breaker, REQ)).provider == "p"
    assert breaker.state == "closed" and len(shared._claiming) == 1
    await shared.aclose()
    assert not shared._claiming
