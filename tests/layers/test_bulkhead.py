"""The bulkhead layer on its own: exact slots, FIFO queue, busy, release on every path,
cancelled waiters, wait timeout and deadline. Streams are held open by events; the only
timeouts are tens of milliseconds against streams that are held."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from llm_router import errors
from llm_router.layers.bulkhead import Bulkhead, Slots
from tests.conftest import FakeClock
from tests.layers.bulkhead_helpers import Held, req, still_pending


async def test_exactly_max_concurrency_streams_reach_the_provider() -> None:
    """With 3 slots, 5 concurrent streams: 3 open upstream, 2 wait; each stream that
    ends lets exactly one waiter in."""
    held = Held()
    bulkhead = Bulkhead(held, 3, max_waiting=10)
    streams = [bulkhead.stream_complete(req(f"r{i}")) for i in range(5)]
    firsts = [asyncio.create_task(anext(s)) for s in streams]
    await asyncio.wait_for(asyncio.gather(*firsts[:3]), 1.0)
    assert await still_pending(*firsts[3:])
    assert held.opened == ["r0", "r1", "r2"]
    assert (bulkhead.in_use, bulkhead.waiting) == (3, 2)

    held.finish("r1")
    rest = [c async for c in streams[1]]
    assert rest[-1].finish_reason == "stop"
    await asyncio.wait_for(firsts[3], 1.0)
    assert await still_pending(firsts[4])
    assert held.opened == ["r0", "r1", "r2", "r3"]
    assert (bulkhead.in_use, bulkhead.waiting) == (3, 1)

    for i in (0, 2, 3):
        await streams[i].aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(firsts[4], 1.0)
    await streams[4].aclose()  # type: ignore[attr-defined]
    assert (bulkhead.in_use, bulkhead.waiting) == (0, 0)
    assert held.closed == 5


async def test_waiters_get_slots_in_arrival_order() -> None:
    """The queue is FIFO, and a stream arriving just as a slot frees queues behind
    the waiters instead of taking it."""
    held = Held()
    bulkhead = Bulkhead(held, 1, max_waiting=5)
    holder = bulkhead.stream_complete(req("holder"))
    await anext(holder)
    order: list[str] = []

    async def consume(rid: str) -> None:
        stream = bulkhead.stream_complete(req(rid))
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            await anext(stream)
            order.append(rid)
            async for _ in stream:
                pass

    waiters = {rid: asyncio.create_task(consume(rid)) for rid in ("w1", "w2", "w3")}
    assert await still_pending(*waiters.values())
    assert bulkhead.waiting == 3
    await holder.aclose()  # type: ignore[attr-defined]
    waiters["late"] = asyncio.create_task(consume("late"))
    for rid in ("w1", "w2", "w3", "late"):
        held.finish(rid)
        await asyncio.wait_for(waiters[rid], 1.0)
    assert order == ["w1", "w2", "w3", "late"]
    assert held.opened == ["holder", "w1", "w2", "w3", "late"]
    assert (bulkhead.in_use, bulkhead.waiting) == (0, 0)


async def test_full_queue_raises_provider_busy_at_once() -> None:
    """Slots and queue full: ProviderBusy at once, before the provider is called; it
    fails over, is not retryable and is neutral for the breaker."""
    held = Held()
    bulkhead = Bulkhead(held, 1, max_waiting=1)
    holder, queued = bulkhead.stream_complete(req("a")), bulkhead.stream_complete(req("w"))
    await anext(holder)
    waiter = asyncio.create_task(anext(queued))
    assert await still_pending(waiter)
    with pytest.raises(errors.ProviderBusy) as info:
        await asyncio.wait_for(anext(bulkhead.stream_complete(req("x"))), 0.05)
    busy = info.value
    assert (busy.provider, busy.reason, busy.retryable) == ("p", "provider_busy", False)
    assert busy.fails_over and not busy.counts_against_breaker
    assert "1 stream(s) waiting" in str(busy)
    assert held.opened == ["a"]
    assert (bulkhead.in_use, bulkhead.waiting) == (1, 1)
    await holder.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(waiter, 1.0)
    assert held.opened == ["a", "w"]
    await queued.aclose()  # type: ignore[attr-defined]
    assert bulkhead.in_use == 0


async def test_queue_defaults_to_max_concurrency_and_zero_means_none() -> None:
    """``max_waiting`` defaults to ``max_concurrency``; 0 refuses as soon as the slots
    are taken."""
    held = Held()
    default = Bulkhead(held, 2)
    assert default.max_waiting == 2
    opened = [default.stream_complete(req(f"o{i}")) for i in range(2)]
    for stream in opened:
        await anext(stream)
    queued = [asyncio.create_task(anext(default.stream_complete(req(f"q{i}")))) for i in range(2)]
    assert await still_pending(*queued)
    with pytest.raises(errors.ProviderBusy):
        await anext(default.stream_complete(req("x")))
    for task in queued:
        task.cancel()
    await asyncio.gather(*queued, return_exceptions=True)
    assert default.waiting == 0

    no_queue = Bulkhead(Held("n"), 1, max_waiting=0)
    first = no_queue.stream_complete(req("n0"))
    await anext(first)
    with pytest.raises(errors.ProviderBusy):
        await asyncio.wait_for(anext(no_queue.stream_complete(req("n1"))), 0.05)
    assert no_queue.waiting == 0
    for stream in (*opened, first):
        await stream.aclose()  # type: ignore[attr-defined]


PATHS = ["finish", "aclose", "break", "cancel", "error_before_first", "error_after_first"]


@pytest.mark.parametrize("path", PATHS)
async def test_slot_is_released_on_every_path(path: str) -> None:
    """However a stream ends, its slot is free afterwards and the inner stream closed."""
    held = Held()
    bulkhead = Bulkhead(held, 1, max_waiting=0)
    stream = bulkhead.stream_complete(req("s"))
    if path == "finish":
        held.finish("s")
        assert [c.text async for c in stream] == ["first ", "last"]
    elif path == "aclose":
        await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
    elif path == "break":
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for _ in stream:
                break
    elif path == "cancel":
        await anext(stream)
        task = asyncio.create_task(anext(stream))
        assert await still_pending(task)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    elif path == "error_before_first":
        held.fail = errors.ServerError("boom", provider="p")
        with pytest.raises(errors.ServerError):
            await anext(stream)
    else:
        held.fail_after_first = errors.ServerError("cut", provider="p")
        await anext(stream)
        with pytest.raises(errors.ServerError):
            await anext(stream)
    assert (bulkhead.in_use, held.closed) == (0, 1)
    held.fail = held.fail_after_first = None
    again = bulkhead.stream_complete(req("again"))
    assert (await asyncio.wait_for(anext(again), 0.05)).text == "first "
    await again.aclose()  # type: ignore[attr-defined]


async def test_cancelled_waiter_releases_nothing_it_does_not_hold() -> None:
    """A waiter cancelled by its consumer leaves the queue; the holder keeps its slot
    and the limit still holds afterwards."""
    held = Held()
    bulkhead = Bulkhead(held, 1, max_waiting=2)
    holder = bulkhead.stream_complete(req("a"))
    await anext(holder)
    waiter = asyncio.create_task(anext(bulkhead.stream_complete(req("w"))))
    assert await still_pending(waiter)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (bulkhead.in_use, bulkhead.waiting) == (1, 0)
    later = bulkhead.stream_complete(req("later"))
    pending = asyncio.create_task(anext(later))
    assert await still_pending(pending)  # the holder's slot was not given away
    await holder.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(pending, 1.0)
    assert held.opened == ["a", "later"]
    await later.aclose()  # type: ignore[attr-defined]
    assert (bulkhead.in_use, bulkhead.waiting) == (0, 0)


async def test_slot_handed_to_a_waiter_cancelled_at_that_instant_is_passed_on() -> None:
    """If the slot reaches a waiter in the same instant it is cancelled, the waiter
    passes it on to the next one: no slot is lost or doubled."""
    slots = Slots(1, max_waiting=2)
    assert slots.try_acquire()
    first = asyncio.create_task(slots.wait(None))
    second = asyncio.create_task(slots.wait(None))
    assert await still_pending(first, second)
    slots.release()  # hands the slot to ``first``…
    first.cancel()  # …which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1.0) is True
    assert (slots.in_use, slots.waiting) == (1, 0)
    slots.release()
    assert slots.in_use == 0 and slots.try_acquire()


async def test_wait_timeout_gives_provider_busy() -> None:
    """A waiter gives up after ``wait_timeout`` (deadline further away) with ProviderBusy."""
    held = Held()
    bulkhead = Bulkhead(held, 1, wait_timeout=0.03)
    holder = bulkhead.stream_complete(req("a"))
    await anext(holder)
    start = time.monotonic()
    late = req("w", deadline_at=time.monotonic() + 10.0)
    with pytest.raises(errors.ProviderBusy, match="wait_timeout"):
        await asyncio.wait_for(anext(bulkhead.stream_complete(late)), 1.0)
    assert time.monotonic() - start >= 0.025
    assert (bulkhead.in_use, bulkhead.waiting, held.opened) == (1, 0, ["a"])
    await holder.aclose()  # type: ignore[attr-defined]


async def test_wait_never_crosses_the_request_deadline() -> None:
    """The request's deadline bounds the wait even when ``wait_timeout`` is longer:
    DeadlineExceeded when it passes, and the queue is left clean."""
    held = Held()
    bulkhead = Bulkhead(held, 1, wait_timeout=10.0)
    holder = bulkhead.stream_complete(req("a"))
    await anext(holder)
    start = time.monotonic()
    late = req("w", deadline_at=start + 0.03)
    with pytest.raises(errors.DeadlineExceeded, match="waiting for a concurrency slot"):
        await asyncio.wait_for(anext(bulkhead.stream_complete(late)), 1.0)
    assert time.monotonic() - start >= 0.025
    assert (bulkhead.in_use, bulkhead.waiting, held.opened) == (1, 0, ["a"])
    await holder.aclose()  # type: ignore[attr-defined]


async def test_deadline_already_passed_fails_at_once_without_queueing(clock: FakeClock) -> None:
    """No time left and no free slot: DeadlineExceeded at once; a free slot is still
    taken (the router decides whether a candidate is worth starting)."""
    held = Held()
    bulkhead = Bulkhead(held, 1, clock=clock)
    gone = clock.now - 1.0
    holder = bulkhead.stream_complete(req("a", deadline_at=gone))
    await anext(holder)
    with pytest.raises(errors.DeadlineExceeded):
        await asyncio.wait_for(anext(bulkhead.stream_complete(req("w", deadline_at=gone))), 0.05)
    assert (bulkhead.in_use, bulkhead.waiting, held.opened) == (1, 0, ["a"])
    await holder.aclose()  # type: ignore[attr-defined]


def test_arguments_are_checked() -> None:
    """Bad limits are ConfigurationErrors; a layer exposes its inner provider and slots."""
    held = Held()
    for bad in (
        lambda: Bulkhead(held),
        lambda: Bulkhead(held, 1, slots=Slots(1)),
        lambda: Slots(0),
        lambda: Slots(True),  # type: ignore[arg-type]
        lambda: Slots(1, max_waiting=-1),
        lambda: Slots(1, wait_timeout=0),
    ):
        with pytest.raises(errors.ConfigurationError):
            bad()
    shared = Slots(2, max_waiting=0)
    a, b = Bulkhead(held, slots=shared), Bulkhead(Held("q"), slots=shared)
    assert a.slots is b.slots and (a.name, b.name) == ("p", "q") and a.inner is held
    assert (a.max_concurrency, a.max_waiting) == (2, 0)


async def test_deployments_sharing_slots_share_the_limit() -> None:
    """Two layers over one ``Slots`` (two deployments of a provider) count together."""
    shared = Slots(1, max_waiting=0)
    first = Bulkhead(Held("p"), slots=shared).stream_complete(req("a"))
    await anext(first)
    with pytest.raises(errors.ProviderBusy):
        await anext(Bulkhead(Held("p"), slots=shared).stream_complete(req("b")))
    await first.aclose()  # type: ignore[attr-defined]
    assert shared.in_use == 0
