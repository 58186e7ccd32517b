"""The shared session's requests leave with their body in the turn they are sent
(``providers/_eager.py``: aiohttp's eager body writer of Python 3.12, on 3.11), and
:func:`start_eagerly` finishes a coroutine as a task would have run it."""

from __future__ import annotations

import asyncio
import sys

import pytest
from aiohttp.client_reqrep import ClientRequest

from llm_router.providers import session as session_module
from llm_router.providers._eager import EagerRequest, start_eagerly
from llm_router.providers.session import close_shared_sessions, shared_session


async def test_a_request_on_a_pooled_connection_leaves_in_the_turn_it_is_sent() -> None:
    """A loop-turn counter and a raw server that notes the turn the whole body arrived
    in: on a pooled connection, the request is written in the turn it is made, so the
    server reads it one turn later (aiohttp's lazy body task on 3.11: two)."""
    loop = asyncio.get_running_loop()
    turns = 0
    seen: list[int] = []

    def tick() -> None:
        nonlocal turns
        turns += 1
        ticking.append(loop.call_soon(tick))

    class Server(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.data = b""

        def data_received(self, data: bytes) -> None:
            self.data += data
            if self.data.endswith(b"}"):  # the JSON body's end
                seen.append(turns)
                self.data = b""
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = await loop.create_server(Server, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    session = shared_session()
    ticking = [loop.call_soon(tick)]
    try:
        took = []
        for _ in range(3):  # the first opens the connection; the others reuse it
            start = turns
            async with session.post(url, json={"q": 1}) as resp:
                assert await resp.read() == b"ok"
            took.append(seen[-1] - start)
    finally:
        ticking[-1].cancel()
        server.close()
        await close_shared_sessions()
    assert took[1:] == [1, 1]


def test_the_shared_session_starts_request_bodies_eagerly_before_python_3_12() -> None:
    expected = EagerRequest if sys.version_info < (3, 12) else ClientRequest
    assert session_module._REQUEST is expected


async def test_a_coroutine_that_does_not_wait_has_run_when_it_is_started() -> None:
    log: list[str] = []

    async def body() -> None:
        log.append("ran")

    rest = start_eagerly(body())
    assert log == ["ran"]
    await asyncio.create_task(rest)
    assert log == ["ran"]


async def test_a_coroutine_that_waits_is_finished_by_the_task() -> None:
    """The first step runs at once; the rest once what it waits for is done, with the
    value (or the exception) that the awaited future holds."""
    log: list[object] = []
    first: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    second: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def body() -> None:
        log.append("start")
        log.append(await first)
        try:
            await second
        except ValueError as exc:
            log.append(str(exc))
        await asyncio.sleep(0)  # a bare yield, too
        log.append("end")

    task = asyncio.create_task(start_eagerly(body()))
    assert log == ["start"]
    first.set_result(7)
    second.set_exception(ValueError("bad"))
    await task
    assert log == ["start", 7, "bad", "end"]


async def test_a_cancelled_task_cancels_the_coroutine_at_its_wait() -> None:
    """Cancelling the task cancels the future the coroutine waits on and raises the
    cancellation at that wait, where the coroutine's own handler sees it."""
    log: list[str] = []
    waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def body() -> None:
        try:
            await waiting
        except asyncio.CancelledError:
            log.append("cancelled at the wait")
            raise

    task = asyncio.create_task(start_eagerly(body()))
    await asyncio.sleep(0)  # the task is now waiting on ``waiting``
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["cancelled at the wait"]
    assert waiting.cancelled()


async def test_an_error_in_the_first_step_is_raised_by_the_task_not_the_caller() -> None:
    async def body() -> None:
        raise OSError("broken pipe")

    rest = start_eagerly(body())  # does not raise here
    with pytest.raises(OSError, match="broken pipe"):
        await rest
