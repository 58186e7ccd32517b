"""Reading a committed stream in the upstream connection's callback (the push path).

Awaiting each upstream read costs, per read, a future, a loop turn and a resumption of
every frame between the handler's task and the read (the gateway's relay, the router,
the provider): most of what a gateway adds to an event that arrives alone. After the
commit point, when whoever reads the stream can take chunks from a callback
(:data:`llm_router._aio.CHUNK_SINK`, which the router sets for the gateway), the
provider's generator instead waits once on a :class:`Tap`: aiohttp hands each body
read to :meth:`Tap.data` inside the connection's ``data_received``, which decodes it
and gives the chunks to the sink there and then (the gateway encodes and queues them),
with no task step at all. The consumer is told to flush (``UPSTREAM_READS``) once the
connection has handled the whole read (:class:`~.session.ReadingResponseHandler` calls
:meth:`Tap.flush`), so a read of several HTTP chunks still leaves in one write; on a
connection of another kind, after each.

The tap lets go, and the generator carries on reading the ordinary way, as soon as
anything is not a plain middle chunk: the sink does not take more (the client reads
slower than the upstream sends) or did not take a chunk (its write failed), a fault,
the finish signal, the end of the body or an error on the connection (the watchdog's
timeouts come this way). Chunks a read decoded but the sink did not take are
:attr:`Tap.held` and yielded first; bytes that arrive after the tap let go are
buffered by aiohttp as usual. Every chunk is
delivered once and in order, and the stream's bookkeeping (the chunks sent, for a
rescue, the idle clock) is the same on both paths.

The hook: the response's ``StreamReader`` becomes a :class:`_Tapped` (the same object,
a subclass adding no state, ``__class__`` assigned), whose ``feed_data`` goes to the
stream's tap while one is attached and to aiohttp's buffer otherwise. Every stream of
an HTTP provider reads through it, tap or not: it also takes a buffer of several HTTP
chunks in one join, where aiohttp pops them one by one.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

import aiohttp

from llm_router._aio import Sink
from llm_router.providers._feed import Feed
from llm_router.providers._watchdog import Watchdog
from llm_router.providers.session import ReadingResponseHandler
from llm_router.types import StreamChunk

_NO_CAUSE = BaseException()
_TAPS: dict[aiohttp.StreamReader, Tap] = {}


class Tap:
    """One push phase of one stream: attached to its body by :meth:`run`, fed by
    aiohttp through :class:`_Tapped`, let go by :meth:`stop`."""

    __slots__ = (
        "failure",
        "feed",
        "held",
        "loop",
        "proto",
        "refused",
        "sent",
        "sink",
        "stopped",
        "told",
        "waiter",
        "wd",
    )

    def __init__(
        self,
        feed: Feed,
        sink: Sink,
        sent: list[StreamChunk],
        told: Callable[[bool], None] | None,
        wd: Watchdog,
        loop: asyncio.AbstractEventLoop,
        resp: aiohttp.ClientResponse,
    ) -> None:
        conn = resp.connection
        proto = None if conn is None else conn.protocol
        self.proto: ReadingResponseHandler | None = None
        """The connection, when it tells the end of each read (the shared session's)
        and there is a consumer to flush then."""
        if told is not None and isinstance(proto, ReadingResponseHandler):
            self.proto = proto
        self.feed = feed
        self.sink = sink
        self.sent = sent
        self.told = told
        self.wd = wd
        self.loop = loop
        self.held: list[StreamChunk] = []
        """Chunks decoded but not taken by the sink, in order: the reader yields them."""
        self.failure: BaseException | None = None
        """An unexpected error in the callback (a bug), raised by the reader."""
        self.stopped = False
        self.refused = False
        """The sink wanted no more (or did not take a chunk): it is not offered the
        stream again until the consumer has pulled a chunk, which is where it waits for
        its client."""
        self.waiter: asyncio.Future[None] = loop.create_future()

    async def run(self, content: aiohttp.StreamReader) -> list[StreamChunk]:
        """Attach to ``content`` (a :func:`tappable` one) until :meth:`stop`; the held chunks."""
        _TAPS[content] = self
        proto = self.proto
        if proto is not None:
            assert self.told is not None  # a proto is kept only with a consumer to tell
            proto.after_read = functools.partial(self.told, True)
        try:
            await self.waiter
        finally:
            self.stopped = True
            del _TAPS[content]
            if proto is not None:
                proto.after_read = None
        if self.failure is not None:
            raise self.failure
        return self.held

    def data(self, data: bytes) -> None:
        """One body read, in aiohttp's ``data_received``: decode it and hand its chunks
        over. Never raises (aiohttp would take it for a broken body)."""
        try:
            self.wd.since = self.loop.time()  # the idle clock runs from the last read
            feed = self.feed
            held = hand_over(feed.chunks(data), self.sink, self.sent)
            if held is not None:
                self.held = held
                self.refused = True
                self.stop()
            if feed.error is not None or feed.ended or feed.decoder.finished:
                self.stop()  # the rest (the fault, the final chunk, a trailer) the usual way
            if self.proto is None:  # else once the whole read is handled (flush)
                self.flush()
        except BaseException as exc:  # a bug: raised by the reader, not lost in aiohttp
            self.failure = exc
            self.stop()

    def flush(self) -> None:
        """What the read brought leaves now, in one write (never raises)."""
        if self.told is not None:
            self.told(True)

    def stop(self) -> None:
        """Let go: later reads are buffered, and the reader wakes up."""
        self.stopped = True
        if not self.waiter.done():
            self.waiter.set_result(None)


def hand_over(
    chunks: list[StreamChunk], sink: Sink, sent: list[StreamChunk]
) -> list[StreamChunk] | None:
    """Give ``chunks`` to ``sink``, recording those it took in ``sent``; ``None`` if it
    took them all and wants more, else the chunks it did not take (the caller yields
    them, and offers the sink nothing more until one has been pulled)."""
    if not chunks:
        return None
    taken, more = sink(chunks)
    if taken == len(chunks):
        sent += chunks
        return None if more else []
    sent += chunks[:taken]
    return chunks[taken:]


class _Tapped(aiohttp.StreamReader):
    """aiohttp's ``StreamReader``, with body reads going to the stream's :class:`Tap`
    while one is attached, and what is buffered read in one join (adds no state: an
    instance's class is switched in place)."""

    __slots__ = ()

    def feed_data(self, data: bytes, size: int = 0) -> bool:
        tap = _TAPS.get(self)
        if tap is None or tap.stopped or not data:
            return super().feed_data(data, size)
        tap.data(data)
        return False  # nothing buffered: no more data pending in aiohttp's sense

    def _read_nowait(self, n: int) -> bytes:
        # aiohttp's, but what is buffered is taken in one join: aiohttp pops each HTTP
        # chunk on its own (its bookkeeping and a resume check each), and a fast stream
        # buffers one chunk per event. The bookkeeping after the join is the same.
        buffer = self._buffer
        if n != -1 or len(buffer) < 2 or self._buffer_offset:
            return super()._read_nowait(n)
        self._timer.assert_timeout()
        data = b"".join(buffer)
        buffer.clear()
        self._size -= len(data)
        cursor = self._cursor = self._cursor + len(data)
        splits = self._http_chunk_splits
        while splits and splits[0] < cursor:
            splits.popleft()
        if self._size < self._low_water and (
            splits is None or len(splits) < self._low_water_chunks
        ):
            self._protocol.resume_reading()  # may feed more: left for the next read
        return data

    def feed_eof(self) -> None:
        super().feed_eof()
        tap = _TAPS.get(self)
        if tap is not None:
            tap.stop()

    def set_exception(self, exc: BaseException, exc_cause: BaseException = _NO_CAUSE) -> None:
        if exc_cause is _NO_CAUSE:
            super().set_exception(exc)
        else:
            super().set_exception(exc, exc_cause)
        tap = _TAPS.get(self)
        if tap is not None:
            tap.stop()


def tappable(content: aiohttp.StreamReader) -> bool:
    """Whether a tap can attach to ``content`` (aiohttp's own reader: made a
    :class:`_Tapped` here; anything else, such as a test double, is read as it is)."""
    if type(content) is aiohttp.StreamReader:
        content.__class__ = _Tapped
        return True
    return type(content) is _Tapped
