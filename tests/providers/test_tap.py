"""The push path (``providers/_tap.py``): after the commit point, a consumer that sets
``_aio.CHUNK_SINK`` gets the stream's chunks from the upstream connection's callback.

Every test streams from a real loopback upstream that holds its later events until the
consumer has the first chunk, so they arrive while the provider waits on its tap. The
consumer records both channels in one list, in the order it sees them: the chunks the
sink took (marked with whether a task was running: none is, in a protocol callback)
and the chunks the generator yielded. Whatever the path, each chunk must arrive once
and in the upstream's order.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from llm_router._aio import CHUNK_SINK, UPSTREAM_READS
from llm_router.config import Timeouts
from llm_router.errors import IdleTimeout, ProtocolError, StreamInterrupted
from llm_router.providers import _tap
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.session import close_shared_sessions
from llm_router.types import StreamChunk
from tests.providers.conftest import RESET, Hold, Reply, Upstream, sse
from tests.providers.test_openai import DONE, REQ, chunk, make, usage

WORDS = ["two ", "three ", "four ", "five "]


@pytest.fixture(autouse=True)
def _no_tap_left() -> Iterator[None]:
    yield
    assert not _tap._TAPS  # every tap let go of its stream, however it ended


class Seen:
    """Both channels in arrival order: ``("sink", text, in_callback)`` and
    ``("yield", text)``; ``first`` is set once the first chunk is in."""

    def __init__(self, take: Callable[[int], bool | None] = lambda n: True) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.first = asyncio.Event()
        self.saw_two = asyncio.Event()
        self.saw_four = asyncio.Event()
        self.got: dict[str, asyncio.Event] = collections.defaultdict(asyncio.Event)
        """Per text: set once a chunk with that text is in."""
        self.take = take  # the sink's answer for its n-th chunk (None: raise)
        self.calls = 0

    def sink(self, chunks: list[StreamChunk]) -> tuple[int, bool]:
        """``take`` decides per chunk: ``None`` leaves it untaken (as a failed write)."""
        for i, c in enumerate(chunks):
            self.calls += 1
            more = self.take(self.calls)
            if more is None:
                return i, False
            self.add(("sink", c.text, asyncio.current_task() is None))
            if not more:
                return i + 1, False
        return len(chunks), True

    def add(self, entry: tuple[Any, ...]) -> None:
        self.log.append(entry)
        self.first.set()
        self.got[entry[1]].set()
        if entry[1] == "two ":
            self.saw_two.set()
        if entry[1] == "four ":
            self.saw_four.set()

    def text(self) -> str:
        return "".join(entry[1] or "" for entry in self.log)

    def sources(self) -> list[str]:
        return [entry[0] for entry in self.log if entry[1]]


def _body(gate: asyncio.Event, *later: bytes) -> list[Any]:
    """``one `` at once; the rest once the consumer has it, one write each."""
    return [chunk(role="assistant", content=""), chunk("one "), Hold(gate), *later]


async def _stream(provider: Any, seen: Seen, *, late: bool = False) -> StreamChunk:
    """Read the stream with the sink set from the start, or (``late``) only once the
    first chunk is in, as the gateway's relay does; the last chunk yielded."""
    last: StreamChunk | None = None
    token = None if late else CHUNK_SINK.set(seen.sink)
    try:
        stream: AsyncIterator[StreamChunk] = provider.stream_complete(REQ)
        async for c in stream:
            seen.add(("yield", c.text))
            last = c
            if token is None:
                token = CHUNK_SINK.set(seen.sink)
    finally:
        if token is not None:
            CHUNK_SINK.reset(token)
    assert last is not None
    return last


async def _sources(upstream: Upstream, session: Any, seen: Seen, body: list[Any]) -> list[str]:
    """Stream ``body`` (after the first word) with the sink set; check the whole text
    arrived once, in order; where each word came from."""
    upstream.script(Reply(body=_body(seen.first, *body)))
    await _stream(make(upstream, session), seen)
    assert seen.text() == "one " + "".join(WORDS)
    return seen.sources()


async def test_after_the_first_chunk_the_chunks_come_from_the_connection_callback(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    later = [chunk(w) for w in WORDS] + [chunk(finish="stop"), usage(3, 5), DONE]
    upstream.script(Reply(body=_body(seen.first, *later)))
    last = await _stream(make(upstream, session), seen)
    assert seen.text() == "one " + "".join(WORDS)
    assert seen.log[0] == ("yield", "one ")
    assert seen.log[1:-1] == [("sink", w, True) for w in WORDS]  # no task ran them
    assert last.finish_reason == "stop" and last.usage is not None  # the trailer, too
    assert last.usage.input_tokens == 3


async def test_the_rest_of_the_first_read_goes_to_a_sink_offered_after_the_first_chunk(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The first read brings the first chunk and three more; the consumer offers its
    sink only once it has the first (as the gateway's relay does): the three go to
    the sink, in order, without being yielded."""
    seen = Seen()
    burst = chunk(role="assistant", content="") + b"".join(chunk(w) for w in ["one ", *WORDS[:3]])
    later = [Hold(seen.saw_four), chunk(WORDS[3]), chunk(finish="stop"), DONE]
    upstream.script(Reply(body=[burst, *later]))
    await _stream(make(upstream, session), seen, late=True)
    assert seen.text() == "one " + "".join(WORDS)
    assert seen.sources() == ["yield", "sink", "sink", "sink", "sink"]


async def test_without_a_sink_every_chunk_is_yielded(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    later = [chunk(w) for w in WORDS] + [chunk(finish="stop"), DONE]
    upstream.script(Reply(body=_body(seen.first, *later)))
    async for c in make(upstream, session).stream_complete(REQ):
        seen.log.append(("yield", c.text))
        seen.first.set()
    assert seen.sources() == ["yield"] * 5
    assert seen.text() == "one " + "".join(WORDS)


async def test_a_sink_that_wants_no_more_gets_the_rest_of_the_read_yielded_in_order(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The sink takes one chunk and says no more; the other words of that same read
    are yielded after it, and the next read goes to the sink again."""
    seen = Seen(take=lambda n: False)
    burst = b"".join(chunk(w) for w in WORDS[:3])  # one write: one read
    rest = [Hold(seen.saw_four), chunk(WORDS[3]), chunk(finish="stop"), DONE]
    sources = await _sources(upstream, session, seen, [burst, *rest])
    assert sources == ["yield", "sink", "yield", "yield", "sink"]


async def test_after_the_sink_wants_no_more_it_gets_nothing_until_a_chunk_is_pulled(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A sink that says "no more" at each chunk (a client that reads slower than the
    upstream sends), each word in a read of its own: the sink is not offered the next
    read until the consumer has pulled a chunk, so it gets every other word and the
    consumer's pace still holds the stream back (else a slow client's queue would grow
    by one read at a time, unbounded)."""
    seen = Seen(take=lambda n: False)
    body: list[Any] = [chunk(WORDS[0])]
    for before, word in itertools.pairwise(WORDS):
        body += [Hold(seen.got[before]), chunk(word)]  # once the one before is in
    body += [Hold(seen.got[WORDS[-1]]), chunk(finish="stop"), DONE]
    sources = await _sources(upstream, session, seen, body)
    assert sources == ["yield", "sink", "yield", "sink", "yield"]


async def test_a_chunk_the_sink_does_not_take_is_yielded_instead(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The sink takes one chunk of a read and not the next (a failed write): that one
    and the rest of the read are yielded, each once."""
    seen = Seen(take=lambda n: None if n == 2 else True)
    burst = b"".join(chunk(w) for w in WORDS)
    sources = await _sources(upstream, session, seen, [burst, chunk(finish="stop"), DONE])
    assert sources == ["yield", "sink", "yield", "yield", "yield"]  # "three " once


async def _interrupted(provider: Any, seen: Seen) -> StreamInterrupted:
    with pytest.raises(StreamInterrupted) as caught:
        await _stream(provider, seen)
    return caught.value


async def test_a_malformed_event_while_pushed_interrupts_with_every_chunk_counted(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    bad = b"data: {not json\n\n"
    upstream.script(Reply(body=_body(seen.first, chunk(WORDS[0]), chunk(WORDS[1]), bad)))
    exc = await _interrupted(make(upstream, session), seen)
    assert isinstance(exc.__cause__, ProtocolError)
    assert exc.partial.text == "one two three "  # the pushed chunks are in the partial
    assert seen.text() == "one two three "


async def test_a_malformed_event_after_chunks_of_the_same_read_comes_after_them(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    burst = chunk(WORDS[0]) + b"data: {not json\n\n" + chunk(WORDS[1])
    upstream.script(Reply(body=_body(seen.first, burst)))
    exc = await _interrupted(make(upstream, session), seen)
    assert exc.partial.text == "one two "  # delivered up to the fault, nothing after it
    assert seen.text() == "one two "


async def test_an_upstream_idle_while_pushed_times_out(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The watchdog's idle timer fails the body while the provider waits on its tap:
    the tap lets go and the timeout surfaces (idle measured from the last read)."""
    seen = Seen()
    never = upstream.hold()
    upstream.script(Reply(body=_body(seen.first, chunk(WORDS[0]), Hold(never))))
    provider = make(upstream, session, timeouts=Timeouts(idle=0.05))
    async with asyncio.timeout(5):
        exc = await _interrupted(provider, seen)
    assert isinstance(exc.__cause__, IdleTimeout)
    assert exc.partial.text == "one two "
    async with asyncio.timeout(5):
        await upstream.disconnected.wait()  # the upstream was hung up on


async def test_a_connection_reset_while_pushed_interrupts_the_stream(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    upstream.script(Reply(body=_body(seen.first, chunk(WORDS[0]), RESET)))
    async with asyncio.timeout(5):
        exc = await _interrupted(make(upstream, session), seen)
    assert isinstance(exc.__cause__, ProtocolError)
    assert exc.partial.text == "one two "


async def test_an_end_without_finish_while_pushed_is_truncated(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    upstream.script(Reply(body=_body(seen.first, chunk(WORDS[0]))))  # then the body ends
    async with asyncio.timeout(5):
        exc = await _interrupted(make(upstream, session), seen)
    assert "truncated" in str(exc.__cause__)
    assert exc.partial.text == "one two "


async def test_a_consumer_cancelled_while_pushed_closes_the_upstream(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    never = upstream.hold()
    upstream.script(Reply(body=_body(seen.first, chunk(WORDS[0]), Hold(never))))
    task = asyncio.create_task(_stream(make(upstream, session), seen))
    async with asyncio.timeout(5):
        await seen.saw_two.wait()  # pushed: the provider waits on its tap now
    assert seen.sources() == ["yield", "sink"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        await upstream.disconnected.wait()


async def test_a_provider_event_error_while_pushed_is_raised_after_the_chunks_before_it(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    seen = Seen()
    error = sse({"error": {"message": "overloaded", "type": "server_error"}})
    upstream.script(Reply(body=_body(seen.first, chunk(WORDS[0]) + error)))
    exc = await _interrupted(make(upstream, session), seen)
    assert exc.partial.text == "one two "
    assert seen.sources() == ["yield", "sink"]


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


async def test_what_one_read_brought_is_flushed_once_after_all_its_http_chunks() -> None:
    """Three events in one TCP write, each its own HTTP chunk: aiohttp feeds the tap
    three times in one ``data_received``; the consumer is told to flush once, after
    the three (the shared session's connection tells the end of each read), so they
    leave in one write, as they do on the awaiting path."""
    seen = Seen()
    log: list[object] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            + _http_chunk(chunk(role="assistant", content="") + chunk("one "))
        )
        await seen.first.wait()
        writer.write(b"".join(_http_chunk(chunk(w)) for w in WORDS[:3]))  # one write
        await seen.saw_four.wait()
        tail = chunk(WORDS[3]) + chunk(finish="stop") + DONE
        writer.write(_http_chunk(tail) + b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    provider = OpenAIProvider(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", model="m")

    def told(more: bool) -> None:
        log.append(("told", more))

    def sink(chunks: list[StreamChunk]) -> tuple[int, bool]:
        log.extend(("sink", c.text) for c in chunks)
        return seen.sink(chunks)

    reads = UPSTREAM_READS.set(told)
    sinks = CHUNK_SINK.set(sink)
    try:
        async with asyncio.timeout(5):
            async for c in provider.stream_complete(REQ):
                seen.add(("yield", c.text))
                log.append(("yield", c.text))
    finally:
        CHUNK_SINK.reset(sinks)
        UPSTREAM_READS.reset(reads)
        server.close()
        await close_shared_sessions()
    assert seen.text() == "one " + "".join(WORDS)
    start = log.index(("sink", WORDS[0]))
    assert log[start : start + 4] == [
        ("sink", WORDS[0]),
        ("sink", WORDS[1]),
        ("sink", WORDS[2]),
        ("told", True),  # once, after the read's three chunks
    ]
