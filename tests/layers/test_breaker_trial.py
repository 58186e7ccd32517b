"""The half-open trial is cluster-wide: one trial across replicas sharing Redis.

See docs/DESIGN.md §4.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

import pytest
from redis import asyncio as aioredis

from llm_router import errors
from llm_router.accumulate import complete
from llm_router.layers.breaker import CircuitBreaker, RedisBreakerState
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from tests.conftest import FakeClock
from tests.layers.conftest import RedisServer
from tests.layers.test_breaker_redis import CONFIG, FAIL, REQ, WAIT, Changes

N = 10
"""Concurrent streams started on each replica once both are due a trial."""
SLOW_OK = Script(text="ok", first_token_delay_s=1.0)
SLOW_FAIL = Script(fault=Fault("server_error"), first_token_delay_s=1.0)


class Gate:
    """A provider ``sleep`` that holds every positive delay until :meth:`open`."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.count = 0
        self._more = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.count += 1
            self._more.set()
            await self.event.wait()

    async def reached(self, n: int) -> None:
        """Wait (bounded) until ``n`` streams are held here: they reached their provider.
        Streams refused because a trial's claim is in Redis can finish before that
        trial's own task has resumed to call its provider (seen under load)."""
        async with asyncio.timeout(WAIT):
            while self.count < n:
                self._more.clear()
                await self._more.wait()

    def open(self) -> None:
        self.event.set()


class Replica:
    """One gateway replica: its own RedisBreakerState, breaker and scripted provider."""

    def __init__(self, shared: RedisBreakerState, clock: FakeClock, gate: Gate, *scripts: Script):
        self.shared = shared
        self.inner = ScriptedProvider(name="p", scripts=scripts, sleep=gate.sleep)
        self.changes = Changes()
        self.breaker = CircuitBreaker(
            self.inner, CONFIG, deployment="p/m", shared=shared, hook=self.changes, clock=clock
        )

    def burst(self, n: int = N) -> list[asyncio.Task[object]]:
        """Start ``n`` concurrent streams."""
        return [asyncio.create_task(complete(self.breaker, REQ)) for _ in range(n)]


async def settled(tasks: Collection[asyncio.Task[object]], n: int) -> None:
    """Wait (bounded) until ``n`` of ``tasks`` are done."""
    async with asyncio.timeout(WAIT):
        while sum(t.done() for t in tasks) < n:
            await asyncio.wait([t for t in tasks if not t.done()], return_when="FIRST_COMPLETED")


def refused(tasks: Collection[asyncio.Task[object]]) -> int:
    """How many of the finished ``tasks`` raised CircuitOpen."""
    done = [t for t in tasks if t.done() and not t.cancelled()]
    return sum(isinstance(t.exception(), errors.CircuitOpen) for t in done)


async def half_open_pair(
    a: RedisBreakerState, b: RedisBreakerState, clock: FakeClock, gate: Gate, trial: Script
) -> tuple[Replica, Replica]:
    """Two replicas of one deployment, tripped by the first (shared), due a trial."""
    one = Replica(a, clock, gate, FAIL)
    two = Replica(b, clock, gate, trial)
    await a.flushed()
    await b.flushed()  # both caught up: no late catch-up re-opens them after the trip
    with pytest.raises(errors.ServerError):
        await complete(one.breaker, REQ)
    await two.changes.until(two.breaker, "open")
    clock.advance(CONFIG.reset_timeout)
    one.inner.scripts, one.inner.calls = (trial,), []
    return one, two


async def test_one_trial_across_replicas_and_its_success_closes_both(
    pair: tuple[RedisBreakerState, RedisBreakerState], clock: FakeClock
) -> None:
    """10 concurrent streams on each of two half-open replicas: one trial in all; it closes both."""
    gate = Gate()
    one, two = await half_open_pair(*pair, clock, gate, SLOW_OK)
    tasks = one.burst() + two.burst()
    await settled(tasks, 2 * N - 1)
    await gate.reached(1)
    assert len(one.inner.calls) + len(two.inner.calls) == 1
    assert refused(tasks) == 2 * N - 1
    winner, loser = (one, two) if one.inner.calls else (two, one)
    assert winner.breaker.state == loser.breaker.state == "half_open"
    assert not loser.breaker.would_admit()
    with pytest.raises(errors.CircuitOpen):  # refused locally: no further claim
        await complete(loser.breaker, REQ)
    gate.open()
    await settled(tasks, 2 * N)
    assert winner.breaker.state == "closed"
    await loser.changes.until(loser.breaker, "closed")
    await complete(loser.breaker, REQ)
    assert len(loser.inner.calls) == 1
    await winner.shared.flushed()
    async with aioredis.from_url(winner.shared._url) as raw:
        assert await raw.exists(winner.shared.trial_key("p/m")) == 0


async def test_trial_failure_reopens_both(
    pair: tuple[RedisBreakerState, RedisBreakerState], clock: FakeClock
) -> None:
    """The one trial fails: the winner re-opens and the other replica follows, for reset_timeout."""
    gate = Gate()
    one, two = await half_open_pair(*pair, clock, gate, SLOW_FAIL)
    tasks = one.burst() + two.burst()
    await settled(tasks, 2 * N - 1)
    await gate.reached(1)
    assert len(one.inner.calls) + len(two.inner.calls) == 1
    winner, loser = (one, two) if one.inner.calls else (two, one)
    gate.open()
    await settled(tasks, 2 * N)
    assert sum(isinstance(t.exception(), errors.ServerError) for t in tasks) == 1
    assert winner.breaker.state == "open"
    await loser.changes.until(loser.breaker, "open")
    retry_at = loser.breaker.retry_at
    assert retry_at is not None and retry_at > clock() + CONFIG.reset_timeout - 1
    with pytest.raises(errors.CircuitOpen):
        await complete(loser.breaker, REQ)
    assert len(loser.inner.calls) == 0


async def test_cancelled_trial_frees_the_token(
    pair: tuple[RedisBreakerState, RedisBreakerState], clock: FakeClock
) -> None:
    """Cancelling the trial holder deletes its token: another replica can send the next trial."""
    gate = Gate()
    one, two = await half_open_pair(*pair, clock, gate, SLOW_OK)
    tasks = one.burst(1) + two.burst(1)
    await settled(tasks, 1)
    await gate.reached(1)
    winner, loser = (one, two) if one.inner.calls else (two, one)
    holder = [t for t in tasks if not t.done()]
    assert len(holder) == 1
    holder[0].cancel()
    await asyncio.gather(*holder, return_exceptions=True)
    assert winner.breaker.state == "half_open" and winner.breaker.would_admit()
    await winner.shared.flushed()
    async with aioredis.from_url(winner.shared._url) as raw:
        assert await raw.exists(winner.shared.trial_key("p/m")) == 0
    clock.advance(1.0)  # the loser's local refusal (trial_recheck) has run out
    gate.open()
    await complete(loser.breaker, REQ)
    assert len(loser.inner.calls) == 1
    await winner.changes.until(winner.breaker, "closed")


async def test_redis_down_each_replica_sends_its_own_single_trial(
    make_redis_server: Callable[[], RedisServer], prefix: str, clock: FakeClock
) -> None:
    """Redis stopped: no claim is possible, each replica falls back to its one local trial."""
    server = make_redis_server()
    gate = Gate()
    async with (
        RedisBreakerState(server.url, prefix=prefix, backoff_max=0.05) as a,
        RedisBreakerState(server.url, prefix=prefix, backoff_max=0.05) as b,
    ):
        one, two = await half_open_pair(a, b, clock, gate, SLOW_OK)
        server.stop()
        async with asyncio.timeout(WAIT):
            await a.wait_available(False)
            await b.wait_available(False)
        tasks = one.burst() + two.burst()
        await settled(tasks, 2 * N - 2)
        await gate.reached(2)
        assert len(one.inner.calls) == len(two.inner.calls) == 1
        gate.open()
        await settled(tasks, 2 * N)
        assert one.breaker.state == two.breaker.state == "closed"


async def test_claim_that_times_out_falls_back_to_the_local_trial(
    redis_server: RedisServer, prefix: str, clock: FakeClock
) -> None:
    """A Redis slower than claim_timeout never holds the trial up: the local decision stands."""
    async with RedisBreakerState(redis_server.url, prefix=prefix, claim_timeout=0.0) as shared:
        breaker = CircuitBreaker(
            ScriptedProvider(name="p"), CONFIG, deployment="p/m", shared=shared, clock=clock
        )
        breaker.apply_shared("open", retry_in=0.0)
        await complete(breaker, REQ)
        assert breaker.state == "closed"


async def test_closed_streams_make_no_redis_call(
    make_redis_server: Callable[[], RedisServer], prefix: str, clock: FakeClock
) -> None:
    """The closed-state path never talks to Redis (counted by the server's commandstats)."""
    server = make_redis_server()
    async with (
        RedisBreakerState(server.url, prefix=prefix) as shared,
        aioredis.from_url(server.url) as raw,
    ):
        breaker = CircuitBreaker(
            ScriptedProvider(name="p"), CONFIG, deployment="p/m", shared=shared, clock=clock
        )
        await shared.flushed()

        async def calls() -> dict[str, int]:
            stats = await raw.info("commandstats")
            skip = {"cmdstat_info", "cmdstat_ping"}
            return {k: v["calls"] for k, v in stats.items() if k not in skip}

        before = await calls()
        for _ in range(50):
            await complete(breaker, REQ)
        await shared.flushed()
        assert await calls() == before
        assert breaker.state == "closed"


async def test_trial_token_is_bounded_by_trial_ttl(
    redis_server: RedisServer, prefix: str, clock: FakeClock
) -> None:
    """The token carries a TTL (``trial_ttl``): a holder that crashes blocks trials only that long;
    until then other replicas refuse, and once it is gone they claim it."""
    gate = Gate()
    async with (
        RedisBreakerState(redis_server.url, prefix=prefix, trial_ttl=5.0) as shared,
        aioredis.from_url(redis_server.url) as raw,
    ):
        holder = Replica(shared, clock, gate, SLOW_OK)
        holder.breaker.apply_shared("open", retry_in=0.0)
        task = holder.burst(1)[0]
        await gate.reached(1)  # the holder's trial reached its provider
        key = shared.trial_key("p/m")
        assert 0 < await raw.pttl(key) <= 5000
        assert (await raw.get(key)).decode().startswith(shared.origin)
        other = Replica(shared, clock, gate, SLOW_OK)
        other.breaker.apply_shared("open", retry_in=0.0)
        with pytest.raises(errors.CircuitOpen):
            await complete(other.breaker, REQ)
        await raw.delete(key)  # as when the TTL of a crashed holder runs out
        clock.advance(1.0)  # trial_recheck
        gate.open()
        await complete(other.breaker, REQ)
        assert len(other.inner.calls) == 1
        await task
