"""The breaker's half-open trial is one attempt, and its open period adapts
(docs/DESIGN.md §4.1): short at first, doubled per failed trial up to a cap, jittered,
reset on close; a Retry-After is honoured. All on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from llm_router import errors
from llm_router.accumulate import complete
from llm_router.builder import build_router, stack
from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest, StreamChunk
from tests.conftest import FakeClock

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
OK = Script(text="ok")
FAIL = Script(fault=Fault("server_error"))
RETRY3 = RetryConfig(attempts=3, initial=0.1, max_wait=0.1)


def breaker_over(
    clock: FakeClock,
    *scripts: Script,
    config: BreakerConfig,
    retry: RetryConfig | None = RETRY3,
    rng: Callable[[], float] = lambda: 0.0,
) -> tuple[CircuitBreaker, ScriptedProvider]:
    """CircuitBreaker(Retry(scripted)) as the builder stacks them."""
    inner = ScriptedProvider(name="p", scripts=scripts, sleep=clock.sleep)
    layer = stack(inner, retry=retry, breaker=config, clock=clock, sleep=clock.sleep, rng=rng)
    assert isinstance(layer, CircuitBreaker)
    return layer, inner


async def fail_once(breaker: CircuitBreaker) -> None:
    with pytest.raises((errors.ServerError, errors.RateLimited)):
        await complete(breaker, REQ)


# --- the trial is one attempt ------------------------------------------------------


async def test_trial_is_one_attempt_while_closed_streams_keep_their_retries(
    clock: FakeClock,
) -> None:
    """Closed: a failing stream makes its 3 attempts. The half-open trial makes one.
    After the trial, streams are retried again (the mark never outlives the trial)."""
    config = BreakerConfig(fail_max=1, reset_timeout=10.0, jitter=0.0)
    scripts = (FAIL, FAIL, FAIL, FAIL, OK, OK, FAIL, FAIL, OK)
    breaker, inner = breaker_over(clock, *scripts, config=config)
    await fail_once(breaker)
    assert len(inner.calls) == 3 and breaker.state == "open"
    clock.advance(10.0)
    await fail_once(breaker)  # the trial
    assert len(inner.calls) == 4 and breaker.state == "open"
    clock.advance(20.0)
    assert (await complete(breaker, REQ)).text == "ok"  # the next trial: one attempt, closes
    assert len(inner.calls) == 5 and breaker.state == "closed"
    assert (await complete(breaker, REQ)).text == "ok"
    assert (await complete(breaker, REQ)).text == "ok"  # FAIL, FAIL, then OK: 3 attempts
    assert len(inner.calls) == 9


async def test_outage_costs_one_call_per_trial(clock: FakeClock) -> None:
    """The issue's count: 15 requests, one every 4 s, into an outage, 2 attempts each
    while closed. The primary gets fail_max x 2 calls, then one per trial (it got 18
    when trials were retried)."""
    config = BreakerConfig(fail_max=5, reset_timeout=5.0, jitter=0.0)
    retry = RetryConfig(attempts=2, initial=0.1, max_wait=0.1)
    breaker, inner = breaker_over(clock, FAIL, config=config, retry=retry)
    trials = 0
    for _ in range(15):
        if breaker.state != "closed" and breaker.would_admit():
            trials += 1
        with pytest.raises((errors.ServerError, errors.CircuitOpen)):
            await complete(breaker, REQ)
        clock.advance(4.0)
    assert trials > 0
    assert len(inner.calls) == 5 * 2 + trials


async def test_trial_mark_does_not_reach_the_next_candidate(clock: FakeClock) -> None:
    """A failed trial fails over; the fallback's own Retry still retries."""
    primary = ScriptedProvider(name="a", scripts=(FAIL,), sleep=clock.sleep)
    fallback = ScriptedProvider(name="b", scripts=(FAIL, OK), sleep=clock.sleep)
    router = build_router(
        {"default": [primary, fallback]},
        retry=RETRY3,
        breaker=BreakerConfig(fail_max=1, reset_timeout=1.0, jitter=0.0),
        clock=clock,
        sleep=clock.sleep,
    )
    async with router:
        assert (await complete(router, REQ)).text == "ok"  # a: 3 attempts; b: 2
        clock.advance(1.0)
        fallback.calls.clear()
        assert (await complete(router, REQ)).text == "ok"  # a's trial: 1 attempt
    assert len(primary.calls) == 4
    assert len(fallback.calls) == 2  # b failed once more and was retried


async def test_trial_that_ends_without_a_chunk_counts_as_its_outcome(clock: FakeClock) -> None:
    """A trial over a stream that yields nothing is still recorded: a stream that ends
    before its first chunk broke the provider contract (``ProtocolError``), as the
    router and the retry layer see it, so the trial failed and the breaker re-opens."""

    class Empty:
        name = "empty"

        async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
            return
            yield  # pragma: no cover - an async generator that yields nothing

    breaker = CircuitBreaker(Empty(), BreakerConfig(fail_max=1, jitter=0.0), clock=clock)
    breaker.apply_shared("open", retry_in=0.0)
    with pytest.raises(errors.ProtocolError, match="before its first chunk"):
        _ = [c async for c in breaker.stream_complete(REQ)]
    assert breaker.state == "open"
