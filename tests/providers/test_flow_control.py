"""Flow control on the shared session's connections (``session.ReadingResponseHandler``):
the connection is resumed only when it was paused.

aiohttp 3.14's ``StreamReader`` asks the connection to resume for every HTTP chunk it
hands out, paused or not, and each time the connection parses an empty read again;
our connection skips that unless reading is paused. These tests stream from a raw
loopback server (full control of the HTTP chunks and the encoding) and check both
halves: no empty re-parse on a stream that never pauses, and every byte read when the
body does pause the connection (past the reader's high water mark, and a gzip body
whose decompression the parser holds back while paused).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator

import aiohttp
import pytest

from llm_router.providers import _tap
from llm_router.providers import session as session_module
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.session import ReadingResponseHandler, close_shared_sessions
from tests.providers.test_openai import DONE, REQ, chunk

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def _events(n: int, size: int) -> tuple[list[bytes], str]:
    words = [f"{i:05d}" + "x" * (size - 5) for i in range(n)]
    events = [chunk(role="assistant", content=""), *(chunk(w) for w in words)]
    return [*events, chunk(finish="stop"), DONE], "".join(words)


@contextlib.asynccontextmanager
async def _serve(body: bytes) -> AsyncIterator[str]:
    """A raw server that answers one request with ``HEAD`` + ``body``, all in one
    write; yields the provider's base URL."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        writer.write(body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.close()
        await close_shared_sessions()


async def _text(base_url: str, *, hold: asyncio.Event | None = None) -> str:
    """The streamed text; with ``hold``, the reader stops after the first chunk until
    it is set (the upstream's bytes pile up in the connection meanwhile)."""
    provider = OpenAIProvider(base_url=base_url, api_key="k", model="m")
    parts: list[str] = []
    async with asyncio.timeout(10):
        async for c in provider.stream_complete(REQ):
            if hold is not None and not parts:
                await hold.wait()
            parts.append(c.text or "")
    return "".join(parts)


class Counts:
    """The connection's empty re-parses and its pauses (``pausing`` set at the first)."""

    def __init__(self) -> None:
        self.empty = 0
        self.paused = 0
        self.pausing = asyncio.Event()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counts:
    """Counts what the shared session's connections do."""
    counts = Counts()
    received = session_module._received
    pause = ReadingResponseHandler.pause_reading

    def spy_received(proto: ReadingResponseHandler, data: bytes) -> None:
        if not data:
            counts.empty += 1
        received(proto, data)

    def spy_pause(proto: ReadingResponseHandler) -> None:
        counts.paused += 1
        counts.pausing.set()
        pause(proto)

    monkeypatch.setattr(session_module, "_received", spy_received)
    monkeypatch.setattr(ReadingResponseHandler, "pause_reading", spy_pause)
    return counts


async def test_a_stream_that_never_pauses_is_never_parsed_again_empty(
    counted: Counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 events, each its own HTTP chunk, all in one write: the reader hands out the
    200 chunks without the connection re-parsing an empty read for any of them
    (aiohttp's own connection would, 200 times), and takes what is buffered in one
    join rather than popping each HTTP chunk (``_tap._Tapped``)."""
    popped = 0
    pop = aiohttp.StreamReader._read_nowait_chunk

    def spy_pop(reader: aiohttp.StreamReader, n: int) -> bytes:
        nonlocal popped
        popped += 1
        return pop(reader, n)

    monkeypatch.setattr(aiohttp.StreamReader, "_read_nowait_chunk", spy_pop)
    events, text = _events(200, 20)
    body = b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(_http_chunk(e) for e in events)
    async with _serve(HEAD + body + b"0\r\n\r\n") as url:
        assert await _text(url) == text
    assert counted.paused == 0
    assert counted.empty == 0
    assert popped < 20  # reads of one HTTP chunk only: the rest were joined


async def test_a_body_past_the_high_water_mark_pauses_and_is_read_to_the_end(
    counted: Counts,
) -> None:
    """A 2 MB body of 6,000 HTTP chunks that the reader does not read until it has
    piled up: the connection pauses at the reader's high water mark (of bytes, and of
    HTTP chunks: more than aiohttp's 4,096), and is resumed as the reader drains it,
    to the last byte."""
    events, text = _events(6000, 300)
    body = b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(_http_chunk(e) for e in events)
    hold = asyncio.Event()
    async with _serve(HEAD + body + b"0\r\n\r\n") as url:
        reading = asyncio.create_task(_text(url, hold=hold))
        async with asyncio.timeout(10):  # the bytes pile up until the connection pauses
            await counted.pausing.wait()
        hold.set()
        assert await reading == text
    assert counted.paused >= 1


async def test_a_gzip_body_the_parser_holds_back_while_paused_is_read_to_the_end(
    counted: Counts,
) -> None:
    """A gzip body that inflates to 8 MB: the parser decompresses it in slices and holds
    the rest back while the connection is paused; resuming must make it go on (an
    empty re-parse), or the stream would hang here."""
    events, text = _events(4000, 2000)
    packed = gzip.compress(b"".join(events))
    body = b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%b" % (len(packed), packed)
    hold = asyncio.Event()
    async with _serve(HEAD + body) as url:
        reading = asyncio.create_task(_text(url, hold=hold))
        async with asyncio.timeout(10):
            await counted.pausing.wait()
        hold.set()
        assert await reading == text
    assert counted.paused >= 1
    assert counted.empty >= 1  # the held-back rest was resumed


class _Protocol:
    """Counts what a reader asks of its connection."""

    def __init__(self) -> None:
        self.paused = 0
        self.resumed = 0

    def pause_reading(self) -> None:
        self.paused += 1

    def resume_reading(self) -> None:
        self.resumed += 1


async def test_reads_of_many_http_chunks_keep_the_chunk_bookkeeping_bounded() -> None:
    """5,000 HTTP chunks, read ten at a time in one join each: the reader forgets the
    chunk boundaries it has read past, as aiohttp's per-chunk pop does, so it never
    asks the connection to pause for too many chunks (aiohttp's bound is 4,096)."""
    proto = _Protocol()
    reader = aiohttp.StreamReader(proto, 2**16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    assert _tap.tappable(reader)
    reader.begin_http_chunk_receiving()
    out = []
    for batch in range(500):
        for i in range(10):
            reader.feed_data(b"%05d;" % (batch * 10 + i))
            reader.end_http_chunk_receiving()
        out.append(reader.read_nowait())
    assert b"".join(out) == b"".join(b"%05d;" % i for i in range(5000))
    assert proto.paused == 0
