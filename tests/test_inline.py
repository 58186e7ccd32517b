"""``llm_router._inline``: a connection's callback runs the task steps it made ready,
in order, before it returns; never anything else, never from inside a task."""

from __future__ import annotations

import asyncio

from llm_router._inline import LIMIT, ready_queue, run_woken


async def _waiting(order: list[str], name: str, fut: asyncio.Future[None]) -> None:
    await fut
    order.append(name)


async def test_the_task_steps_a_callback_made_ready_run_before_it_returns() -> None:
    """Like a ``data_received`` that completes two futures with a plain callback
    scheduled between them: the first waiter runs at once; the plain callback, and the
    second waiter queued after it, keep their place and run at the next turn."""
    loop = asyncio.get_running_loop()
    ready = ready_queue(loop)
    assert ready is not None
    order: list[str] = []
    first, second = loop.create_future(), loop.create_future()
    tasks = [
        asyncio.create_task(_waiting(order, "a", first)),
        asyncio.create_task(_waiting(order, "b", second)),
    ]
    await asyncio.sleep(0)  # both are waiting now

    def callback() -> None:  # a protocol callback: no task is running
        since = len(ready)
        first.set_result(None)
        loop.call_soon(order.append, "plain")
        second.set_result(None)
        run_woken(ready, since)
        order.append("returned")

    loop.call_soon(callback)
    await asyncio.gather(*tasks)
    assert order == ["a", "returned", "plain", "b"]


async def test_a_task_that_keeps_yielding_gets_at_most_the_limit() -> None:
    loop = asyncio.get_running_loop()
    ready = ready_queue(loop)
    assert ready is not None
    steps: list[int] = []
    go = loop.create_future()

    async def spinner() -> None:
        await go
        for i in range(3 * LIMIT):
            steps.append(i)
            await asyncio.sleep(0)

    task = asyncio.create_task(spinner())
    await asyncio.sleep(0)
    inline: list[int] = []

    def callback() -> None:
        since = len(ready)
        go.set_result(None)
        run_woken(ready, since)
        inline.append(len(steps))

    loop.call_soon(callback)
    await task
    assert inline == [LIMIT]  # the wake-up and LIMIT - 1 more steps, then back to the loop
    assert steps == list(range(3 * LIMIT))


async def test_nothing_runs_early_inside_a_task() -> None:
    loop = asyncio.get_running_loop()
    ready = ready_queue(loop)
    assert ready is not None
    order: list[str] = []
    fut = loop.create_future()
    task = asyncio.create_task(_waiting(order, "woken", fut))
    await asyncio.sleep(0)
    since = len(ready)
    fut.set_result(None)
    run_woken(ready, since)  # this test is itself a task: a step cannot run inside it
    order.append("returned")
    await task
    assert order == ["returned", "woken"]


def test_an_unknown_loop_has_no_ready_queue() -> None:
    class OtherLoop(asyncio.AbstractEventLoop):
        _ready = [1, 2]  # not CPython's queue

    assert ready_queue(OtherLoop()) is None
