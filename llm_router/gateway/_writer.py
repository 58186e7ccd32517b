"""Coalesced SSE writes: one write per burst of chunks, not one per chunk.

A provider decodes several events from one upstream read and hands them over one
after another without the handler ever waiting. Writing each as it comes costs a
send() system call and a TCP segment per chunk, at the gateway and at the client
alike. :class:`EventWriter` queues the events instead; a small writer task sends
everything queued as one write as soon as the handler waits (for the upstream's next
read), so a burst leaves together while a chunk that arrives alone goes out within
one event-loop turn: coalescing adds no latency.

Backpressure: when the client reads slower than the upstream sends, the queue grows
to ``high_water`` bytes and :meth:`EventWriter.write` then waits for the writer, so
memory per stream stays bounded.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

HIGH_WATER = 64 * 1024
"""Queued bytes at which :meth:`EventWriter.write` waits for the writer."""


class EventWriter:
    """Queues a stream's SSE events and writes them in batches to ``response``.

    A write error (the client went away) is raised by the next :meth:`write` or by
    :meth:`close`. :meth:`abort` stops the writer without flushing (cancellation).
    """

    __slots__ = (
        "_closing",
        "_error",
        "_high",
        "_pending",
        "_response",
        "_room",
        "_size",
        "_task",
        "_wake",
    )

    def __init__(self, response: web.StreamResponse, *, high_water: int = HIGH_WATER) -> None:
        self._response = response
        self._pending: list[bytes] = []
        self._size = 0
        self._high = high_water
        self._wake = asyncio.Event()
        self._room: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def write(self, data: bytes) -> None:
        """Queue ``data``; waits only when ``high_water`` bytes are already queued."""
        if self._error is not None:
            raise self._error
        self._pending.append(data)
        self._size += len(data)
        self._wake.set()
        if self._size >= self._high:
            room = self._room = asyncio.get_running_loop().create_future()
            await room
            if self._error is not None:
                raise self._error

    async def close(self) -> None:
        """Write everything queued, then stop the writer."""
        self._closing = True
        self._wake.set()
        await asyncio.shield(self._task)
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop the writer at once, dropping anything queued."""
        self._task.cancel()
        self._free_room()

    def _free_room(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)

    async def _run(self) -> None:
        response, wake = self._response, self._wake
        try:
            while True:
                pending = self._pending
                if not pending:
                    if self._closing:
                        return
                    await wake.wait()
                    wake.clear()
                    continue
                data = pending[0] if len(pending) == 1 else b"".join(pending)
                self._pending = []
                self._size = 0
                self._free_room()
                await response.write(data)
        except Exception as exc:  # mostly ConnectionResetError: the client went away
            self._error = exc  # raised in the handler by its next write() or close()
            self._free_room()
