"""SSE writes: the first event at once with the headers, later bursts coalesced.

**The first event** is what the client is waiting for (time to first token): it is
written inline, by the handler, and it carries the response headers with it
(:class:`EventStreamResponse` holds them back until then), so the client gets one
segment, not two, and no event-loop turn passes in between.

**Later events**: a provider decodes several events from one upstream read and hands
them over one after another without the handler ever waiting. Writing each as it
comes would cost a ``send()`` and a TCP segment per event, at the gateway and at the
client alike. :class:`EventWriter` queues them instead and writes everything queued as
one write:

- when the provider is about to read from its upstream again
  (:meth:`EventWriter.reading`, through :data:`llm_router._aio.UPSTREAM_READS`, which
  the HTTP providers call), so what one upstream read brought leaves together, at
  once, with no callback or loop turn in between;
- otherwise (a provider that does not tell, and after one has ended) from a callback at
  the next turn of the event loop (``call_soon``), so a burst still leaves together and
  an event that arrives alone leaves as soon as the handler waits.

Either way coalescing adds no latency. (Per event that arrives alone, the callback and
the loop turn it needs cost about 12 k instructions, a third of what the gateway adds
to such an event over a bare relay; hence the first way.)

The write itself: once the headers are out, an HTTP/1.1 chunked response (the usual
case, without compression) is framed here and handed to the transport directly,
``transport.write(b"%x\\r\\n" ... b"\\r\\n")``, the bytes aiohttp's writer would
send, without its two coroutines per write (about 12 k instructions per event that
arrives alone); aiohttp's ``write_eof`` still ends the body. Any other response goes
through ``response.write``, started eagerly. Either way a write returns without
suspending unless the transport is paused (the client reads slower than the upstream
sends): only then does a task wait for it to drain; meanwhile events queue up to
``high_water`` bytes, and then :meth:`EventWriter.write` waits, so memory per stream
stays bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from aiohttp import web


class _Pausable(Protocol):
    """The side of aiohttp's protocol the direct write reads (``BaseProtocol``)."""

    @property
    def writing_paused(self) -> bool:
        """Whether the transport has paused writing (its buffer is full)."""
        ...


HIGH_WATER = 64 * 1024
"""Queued bytes at which :meth:`EventWriter.write` waits for the transport."""


class EventStreamResponse(web.StreamResponse):
    """A streaming response whose headers leave with the first body write (one
    segment for headers and first event) instead of at :meth:`prepare`."""

    _send_headers_immediately = False  # aiohttp's own switch (``web.Response`` sets it too)


class EventWriter:
    """Writes a stream's SSE events to ``response`` (see the module doc).

    A write error (the client went away) is raised by the next :meth:`write` or by
    :meth:`close`. :meth:`abort` drops anything queued (cancellation).
    """

    __slots__ = (
        "_busy",
        "_direct",
        "_error",
        "_first",
        "_flush_handle",
        "_high",
        "_loop",
        "_pending",
        "_request",
        "_response",
        "_size",
        "_told",
    )

    def __init__(
        self,
        response: web.StreamResponse,
        *,
        request: web.BaseRequest | None = None,
        high_water: int = HIGH_WATER,
    ) -> None:
        self._response = response
        self._request = request  # for the direct write, once the headers are out
        self._pending: list[bytes] = []
        self._size = 0
        self._high = high_water
        self._first = True
        self._loop = asyncio.get_running_loop()
        self._flush_handle: asyncio.Handle | None = None
        self._busy: asyncio.Task[None] | None = None  # a write the transport held up
        self._error: BaseException | None = None
        self._told = False  # the provider flushes us before its next read (reading())
        self._direct: tuple[asyncio.Transport, _Pausable] | None = None

    async def write(self, data: bytes) -> None:
        """Write ``data``: at once if it is the first event, else queued for the next
        loop turn; waits only when ``high_water`` bytes are queued."""
        if self._first:
            if self._error is not None:
                raise self._error
            self._first = False
            await self._response.write(data)
            self._direct = _direct(self._response, self._request)
        elif self.push(data):
            await self._settle()

    def push(self, data: bytes) -> bool:
        """Queue a later event for the next loop turn without suspending (the per-event
        path); ``True`` when ``high_water`` bytes are queued: then await :meth:`close`."""
        if self._error is not None:
            raise self._error
        self._pending.append(data)
        self._size += len(data)
        if self._flush_handle is None and self._busy is None and not self._told:
            self._flush_handle = self._loop.call_soon(self._flush)
        return self._size >= self._high

    def reading(self, more: bool) -> None:
        """The stream is about to wait for its upstream (``more``: it will say so again
        before its next wait) or has ended (``False``): write what is queued now.
        Never raises (a write error is kept for :meth:`write` and :meth:`close`)."""
        self._told = more
        if self._pending and self._busy is None and self._error is None:
            self._flush()

    async def close(self) -> None:
        """Write everything queued."""
        await self._settle()

    def abort(self) -> None:
        """Drop anything queued and stop a held-up write."""
        self._told = False
        self._pending = []
        self._size = 0
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._busy is not None:
            self._busy.cancel()

    async def _settle(self) -> None:
        """Flush now and wait until nothing is held up by the transport."""
        while True:
            if self._busy is not None:
                await asyncio.shield(self._busy)
            if self._pending:
                self._flush()
            if self._error is not None:
                raise self._error
            if self._busy is None:
                return

    def _flush(self) -> None:
        """Write everything queued as one write (the ``call_soon`` callback)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        pending = self._pending
        if not pending or self._busy is not None or self._error is not None:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        self._pending = []
        self._size = 0
        if self._direct is not None:
            transport, protocol = self._direct
            if transport.is_closing():
                self._error = ConnectionResetError("the client has gone away")
                return
            transport.write(b"%x\r\n%b\r\n" % (len(data), data))  # one HTTP/1.1 chunk
            if protocol.writing_paused:
                assert self._request is not None  # _direct() needs it
                self._busy = self._loop.create_task(self._wait(self._request.writer.drain))
            return
        coro = self._response.write(data)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:  # mostly ConnectionResetError: the client went away
            self._error = exc  # raised in the handler by its next write() or close()
            return
        self._busy = self._loop.create_task(self._wait(lambda: _resumed(coro, waiting)))

    async def _wait(self, held: Callable[[], Awaitable[None]]) -> None:
        """Wait for what ``held()`` gives (a write the paused transport held up, or the
        transport's drain), then flush what queued meanwhile. (A callable, so nothing
        is left unawaited when the task is cancelled before it starts.)"""
        try:
            await held()
        except Exception as exc:
            self._error = exc
        finally:
            self._busy = None
        if self._pending:
            self._flush()


async def _resumed(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Finish ``coro``, started by hand, which suspended on the future ``waiting`` (the
    transport is paused), as a task would have."""
    try:
        while True:
            if waiting is None:  # a bare yield: one loop turn
                await asyncio.sleep(0)
            else:
                await asyncio.wait((waiting,))
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
    except asyncio.CancelledError:
        coro.close()
        raise


def _direct(
    response: web.StreamResponse, request: web.BaseRequest | None
) -> tuple[asyncio.Transport, _Pausable] | None:
    """The transport (and its protocol) to write chunks to directly, if ``response``
    is an HTTP/1.1 chunked body without compression whose headers are out."""
    if request is None or response.compression:
        return None
    if response.headers.get("Transfer-Encoding") != "chunked":  # set by prepare()
        return None
    transport = request.transport
    if transport is None or transport.is_closing():
        return None
    return transport, request.protocol
