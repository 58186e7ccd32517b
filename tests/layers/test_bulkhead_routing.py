"""The bulkhead in the stack: where the builder puts it, failover on ProviderBusy with
its reason label, neutrality for breaker and retry, deadline and cancellation through
the router, and what status() and explain() show."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import CollectorRegistry

from llm_router import (
    BreakerConfig,
    Metrics,
    RetryConfig,
    RouteEntry,
    build_router,
    errors,
    stack,
)
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.bulkhead import Bulkhead, Slots
from llm_router.layers.retry import Retry
from llm_router.observe import Event, FellBack, Retried, fan_out
from tests.conftest import FakeClock
from tests.layers.bulkhead_helpers import Held, req, still_pending


class Events:
    """A hook that records fallbacks and retries."""

    def __init__(self) -> None:
        self.fallbacks: list[tuple[str, str, str]] = []
        self.retries: list[tuple[str, str]] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, FellBack):
            self.fallbacks.append((event.from_provider, event.to_provider, event.reason))
        elif isinstance(event, Retried):
            self.retries.append((event.provider, event.reason))


def test_builder_puts_the_bulkhead_outermost_and_shares_it_per_provider() -> None:
    """Bulkhead → CircuitBreaker → Retry → provider; every deployment of a provider
    shares its slots; providers without a limit get no bulkhead."""
    a, b = Held("a"), Held("b")
    router = build_router({"default": [a, RouteEntry(a, model="big"), b]}, bulkheads={"a": 2})
    plain, big, other = router.routes["default"].candidates
    for cand in (plain, big):
        assert isinstance(cand.provider, Bulkhead)
        assert isinstance(cand.provider.inner, CircuitBreaker)
        assert isinstance(cand.provider.inner.inner, Retry)
        assert cand.breaker is cand.provider.inner
        assert cand.bulkhead is cand.provider
    assert isinstance(plain.provider, Bulkhead) and isinstance(big.provider, Bulkhead)
    assert plain.provider.slots is big.provider.slots
    assert (plain.provider.max_concurrency, plain.provider.max_waiting) == (2, 2)
    assert isinstance(other.provider, CircuitBreaker) and other.bulkhead is None
    with pytest.raises(errors.ConfigurationError, match="unknown providers: c"):
        build_router({"default": [a]}, bulkheads={"c": 1})


async def test_busy_provider_fails_over_at_once_with_its_reason() -> None:
    """A full bulkhead sends the stream to the next candidate at once: fallback
    reason ``provider_busy`` in events and metrics, no retry, breaker untouched."""
    a, b = Held("a"), Held("b")
    registry, events = CollectorRegistry(), Events()
    hook = fan_out(Metrics(registry, providers=["a", "b"]), events)
    router = build_router(
        {"default": [a, b]},
        bulkheads={"a": Slots(1, max_waiting=0)},
        retry=RetryConfig(attempts=3, initial=0.001),
        breaker=BreakerConfig(fail_max=1),
        hook=hook,
    )
    holder = router.stream_complete(req("r1", task="chat"))
    assert (await anext(holder)).provider == "a"
    second = router.stream_complete(req("r2", task="chat"))
    assert (await asyncio.wait_for(anext(second), 0.05)).provider == "b"
    assert a.opened == ["r1"] and b.opened == ["r2"]
    assert events.fallbacks == [("a", "b", "provider_busy")]
    assert events.retries == []
    labels = {"task": "chat", "from_provider": "a", "to_provider": "b", "reason": "provider_busy"}
    assert registry.get_sample_value("llm_router_fallbacks_total", labels) == 1.0
    assert router.status()["deployments"]["a"]["breaker"] == "closed"
    for stream in (holder, second):
        await stream.aclose()  # type: ignore[attr-defined]
    assert router.status()["deployments"]["a"]["slots"]["in_use"] == 0


async def test_every_candidate_busy_is_all_providers_failed() -> None:
    """The only candidate busy: AllProvidersFailed carrying ProviderBusy."""
    a = Held("a")
    router = build_router({"default": [a]}, bulkheads={"a": Slots(1, max_waiting=0)})
    holder = router.stream_complete(req("r1"))
    await anext(holder)
    with pytest.raises(errors.AllProvidersFailed) as info:
        await anext(router.stream_complete(req("r2")))
    assert [type(x.error) for x in info.value.attempts] == [errors.ProviderBusy]
    await holder.aclose()  # type: ignore[attr-defined]


async def test_waiting_stream_does_not_take_the_half_open_trial(clock: FakeClock) -> None:
    """A stream queued for a slot leaves the breaker's trial permit alone; once it gets
    the slot it is the trial, and its success closes the breaker."""
    held = Held("a")
    layer = stack(held, retry=None, breaker=BreakerConfig(fail_max=1), slots=Slots(1), clock=clock)
    assert isinstance(layer, Bulkhead) and isinstance(layer.inner, CircuitBreaker)
    breaker = layer.inner
    holder, trial = layer.stream_complete(req("r1")), layer.stream_complete(req("r2"))
    await anext(holder)
    breaker.apply_shared("open", retry_in=0.0)  # open elsewhere; a trial is due now
    waiter = asyncio.create_task(anext(trial))
    assert await still_pending(waiter)
    assert (breaker.state, breaker.would_admit(), layer.waiting) == ("open", True, 1)
    await holder.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(waiter, 1.0)
    assert breaker.state == "half_open" and not breaker.would_admit()
    held.finish("r2")
    assert [c.finish_reason async for c in trial] == ["stop"]
    assert breaker.state == "closed" and held.opened == ["r1", "r2"]


async def test_busy_is_neither_retried_nor_counted_when_composed_below() -> None:
    """Even with the bulkhead put under Retry and the breaker by hand, ProviderBusy is
    not retried and does not open the breaker."""
    held, events = Held("a"), Events()
    bulkhead = Bulkhead(held, 1, max_waiting=0)
    retry = Retry(bulkhead, RetryConfig(attempts=5, initial=0.001), hook=events)
    breaker = CircuitBreaker(retry, BreakerConfig(fail_max=1))
    holder = bulkhead.stream_complete(req("r1"))
    await anext(holder)
    for _ in range(3):
        with pytest.raises(errors.ProviderBusy):
            await asyncio.wait_for(anext(breaker.stream_complete(req("r2"))), 0.05)
    assert events.retries == [] and breaker.state == "closed"
    assert held.opened == ["r1"]
    await holder.aclose()  # type: ignore[attr-defined]


async def test_router_deadline_bounds_the_wait() -> None:
    """A routed stream queued behind a held one ends with DeadlineExceeded at its
    deadline, and leaves the queue."""
    a = Held("a")
    router = build_router({"default": [a]}, bulkheads={"a": 1})
    holder = router.stream_complete(req("r1"))
    await anext(holder)
    start = time.monotonic()
    with pytest.raises(errors.DeadlineExceeded):
        await asyncio.wait_for(anext(router.stream_complete(req("r2", deadline_s=0.03))), 1.0)
    assert time.monotonic() - start >= 0.025
    slots = router.status()["deployments"]["a"]["slots"]
    assert (slots["in_use"], slots["waiting"]) == (1, 0)
    await holder.aclose()  # type: ignore[attr-defined]


async def test_cancelled_routed_waiter_leaves_the_queue() -> None:
    """Cancelling a routed stream while it waits for a slot frees its place in the queue
    and its in-flight count; the holder keeps the slot."""
    a = Held("a")
    router = build_router({"default": [a]}, bulkheads={"a": 1})
    holder = router.stream_complete(req("r1"))
    await anext(holder)
    waiter = asyncio.create_task(anext(router.stream_complete(req("r2"))))
    assert await still_pending(waiter)
    assert router.status()["deployments"]["a"]["slots"]["waiting"] == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    status = router.status()["deployments"]["a"]
    assert status["in_flight"] == 1
    assert status["slots"] == {"max_concurrency": 1, "in_use": 1, "waiting": 0, "max_waiting": 1}
    await holder.aclose()  # type: ignore[attr-defined]
    assert router.status()["deployments"]["a"]["slots"]["in_use"] == 0
    assert a.opened == ["r1"]


async def test_status_and_explain_show_slots() -> None:
    """status() adds ``slots`` to guarded deployments only; explain() shows them per
    candidate and a full bulkhead as skipped."""
    a, b = Held("a"), Held("b")
    router = build_router({"default": [a, b]}, bulkheads={"a": Slots(1, max_waiting=1)})
    idle = router.status()["deployments"]
    assert idle["a"]["slots"] == {"max_concurrency": 1, "in_use": 0, "waiting": 0, "max_waiting": 1}
    assert "slots" not in idle["b"]
    assert [c.would_be for c in router.explain(req("x")).candidates] == ["chosen", "fallback #1"]

    holder, queued = router.stream_complete(req("r1")), router.stream_complete(req("r2"))
    await anext(holder)
    waiter = asyncio.create_task(anext(queued))
    assert await still_pending(waiter)
    explained = router.explain(req("x")).to_dict()["candidates"]
    assert explained[0]["would_be"] == "skipped: provider busy (1/1 slots in use, 1/1 waiting)"
    assert explained[0]["slots"] == {
        "max_concurrency": 1,
        "in_use": 1,
        "waiting": 1,
        "max_waiting": 1,
    }
    assert (explained[1]["would_be"], explained[1]["slots"]) == ("chosen", None)
    await holder.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(waiter, 1.0)
    assert a.opened == ["r1", "r2"]
    await queued.aclose()  # type: ignore[attr-defined]
