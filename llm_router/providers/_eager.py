"""The request body leaves with its headers, in the same loop turn, on Python 3.11.

aiohttp's client writes a request's body from a task of its own, and holds the
headers back to coalesce them with it. From Python 3.12 it starts that task eagerly
(the body is written at once, and the task exists only if the write has to wait); on
3.11 the task first runs one loop turn later, so every upstream request waits for a
turn of the event loop, behind whatever else the loop has queued (a gateway under
load: milliseconds). :class:`EagerRequest` gives 3.11 the same eager start: its
``write_bytes`` runs the body writer's first step at once, and the task aiohttp
creates only finishes what is left, if anything.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any

from aiohttp.client_reqrep import ClientRequest


class _Rest:
    """The rest of a coroutine whose first step ran already (it waits on ``first``): an
    awaitable that hands each future it waits on to the task, as ``await`` would, and
    passes back whatever the task sends or throws (a cancellation included)."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, None], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, None, None]:
        coro, waiting = self.coro, self.first
        while True:
            try:
                yield waiting
            except BaseException as exc:  # delivered to coro, as a task would
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = coro.send(None)
            except StopIteration:
                return


async def _finish(rest: _Rest) -> None:
    await rest


async def _done() -> None:
    return


async def _raise(exc: Exception) -> None:
    raise exc


def start_eagerly(coro: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
    """Run ``coro`` up to its first wait now; a coroutine that finishes it (at once, if
    it did not wait). An exception of the first step is raised by that coroutine, as
    it would be by an eager task."""
    try:
        first = coro.send(None)
    except StopIteration:
        return _done()
    except Exception as exc:  # the task's to raise, not the caller's
        return _raise(exc)
    return _finish(_Rest(coro, first))


class EagerRequest(ClientRequest):
    """aiohttp's ``ClientRequest`` whose body is written as the request is sent (the
    shared session's request class on Python 3.11; later Pythons do this already)."""

    def write_bytes(  # the same call, eagerly started
        self, *args: Any, **kwargs: Any
    ) -> Coroutine[Any, Any, None]:
        """aiohttp's body writer, started at once (:func:`start_eagerly`)."""
        return start_eagerly(super().write_bytes(*args, **kwargs))


__all__ = ["EagerRequest", "start_eagerly"]
