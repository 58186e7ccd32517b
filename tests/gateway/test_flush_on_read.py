"""The gateway writes what one upstream read brought before the provider reads again.

The HTTP providers tell a batching consumer (``_aio.UPSTREAM_READS``) just before each
upstream read and once when they end; the gateway's event writer flushes then, with no
loop turn in between, and flushes on its own (at the next loop turn) for a provider
that does not tell. The upstreams here move in lockstep with the client: the next
word is sent only once the client has received the previous one, so an event held
back anywhere on the way deadlocks the test (its timeout fails it) instead of passing.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.client_proto import ResponseHandler

from llm_router._aio import UPSTREAM_READS
from llm_router.errors import StreamInterrupted
from llm_router.gateway import _writer
from llm_router.gateway._writer import EventWriter
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.session import close_shared_sessions
from llm_router.testing._loopback import serve_loopback
from llm_router.types import ChatRequest, StreamChunk
from tests.gateway.conftest import MakeClient, chat_body

WORDS = ("one ", "two ", "three ", "four ", "five")


def _event(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return f"data: {json.dumps({**body, 'choices': [choice]})}\n\n".encode()


class Lockstep:
    """Who has seen which word: ``seen[i]`` is set when the client has word ``i``."""

    def __init__(self, cut_after: int | None = None) -> None:
        self.seen = [asyncio.Event() for _ in WORDS]
        self.cut_after = cut_after

    def saw(self, text: str) -> None:
        """Mark every word the client's text so far has."""
        for i in range(len(WORDS)):
            if "".join(WORDS[: i + 1]) in text:
                self.seen[i].set()

    async def upstream(self, request: web.Request) -> web.StreamResponse:
        """An OpenAI upstream that sends each word once the client has the previous."""
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(_event({"role": "assistant", "content": ""}))
        for i, word in enumerate(WORDS):
            await resp.write(_event({"content": word}))
            await self.seen[i].wait()
            if i + 1 == self.cut_after:
                assert request.transport is not None
                request.transport.close()  # the gateway rescues the stream
                return resp
        await resp.write(_event({}, "stop") + b"data: [DONE]\n\n")
        return resp


class SilentProvider:
    """A provider that never tells of its reads, in lockstep with the client."""

    name = "silent"

    def __init__(self, lockstep: Lockstep) -> None:
        self.lockstep = lockstep

    async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """The words, each after the client saw the one before."""
        for i, word in enumerate(WORDS):
            if i:
                await self.lockstep.seen[i - 1].wait()
            yield StreamChunk(word, self.name, "m")
        yield StreamChunk("", self.name, "m", finish_reason="stop")


def _answer(body: bytes) -> str:
    """The text of an SSE body of chunk events, which must end with ``[DONE]``."""
    assert body.rstrip().endswith(b"data: [DONE]")
    return "".join(
        json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
        for line in body.split(b"\n")
        if line.startswith(b"data: {")
    )


async def _read(client: Any, lockstep: Lockstep) -> str:
    """Stream one answer through the gateway, marking each word as it arrives."""
    text = ""
    async with asyncio.timeout(5):  # a held-back event deadlocks: this fails it
        resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
        assert resp.status == 200
        async for line in resp.content:
            if line.startswith(b"data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"]
                text += delta.get("content") or ""
                lockstep.saw(text)
    return text


async def _through_the_gateway(make_client: MakeClient) -> None:
    """One answer in lockstep through the gateway and an HTTP provider, whole."""
    lockstep = Lockstep()
    runner, url = await serve_loopback(lockstep.upstream)
    try:
        async with aiohttp.ClientSession() as s:
            provider = OpenAIProvider(base_url=url + "/v1", api_key="k", model="m", session=s)
            client = await make_client({"default": [provider]})
            assert await _read(client, lockstep) == "".join(WORDS)
    finally:
        await runner.cleanup()


async def test_each_event_leaves_before_the_provider_reads_again(
    make_client: MakeClient,
) -> None:
    await _through_the_gateway(make_client)


async def test_a_provider_that_does_not_tell_is_flushed_at_the_next_loop_turn(
    make_client: MakeClient,
) -> None:
    lockstep = Lockstep()
    client = await make_client({"default": [SilentProvider(lockstep)]})
    assert await _read(client, lockstep) == "".join(WORDS)


async def test_a_rescue_onto_a_provider_that_does_not_tell_is_still_flushed(
    make_client: MakeClient,
) -> None:
    """The HTTP provider breaks after two words and says it has ended; the rescue
    replays on a provider that never tells, whose new words must still leave."""
    lockstep = Lockstep(cut_after=2)
    runner, url = await serve_loopback(lockstep.upstream)
    try:
        async with aiohttp.ClientSession() as s:
            provider = OpenAIProvider(base_url=url + "/v1", api_key="k", model="m", session=s)
            client = await make_client({"default": [provider, SilentProvider(lockstep)]})
            assert await _read(client, lockstep) == "".join(WORDS)
    finally:
        await runner.cleanup()


async def _told(upstream: Any) -> list[Any]:
    """Stream from ``upstream`` through an OpenAI provider with a recording consumer
    set: what it was told (``True``/``False``) among the chunks' texts (or finish
    reasons), and ``"interrupted"`` if the stream broke."""
    runner, url = await serve_loopback(upstream)
    log: list[Any] = []
    token = UPSTREAM_READS.set(log.append)
    try:
        async with aiohttp.ClientSession() as s:
            provider = OpenAIProvider(base_url=url + "/v1", api_key="k", model="m", session=s)
            request = ChatRequest(messages=[{"role": "user", "content": "hi"}])
            try:
                async for chunk in provider.stream_complete(request):
                    log.append(chunk.text or chunk.finish_reason)
            except StreamInterrupted:
                log.append("interrupted")
    finally:
        UPSTREAM_READS.reset(token)
        await runner.cleanup()
    return log


async def test_the_provider_tells_before_each_read_and_once_at_its_end() -> None:
    """True before every upstream read; False once, right after the final chunk (before
    the trailer is drained) or when the stream breaks."""
    lockstep = Lockstep()
    for lock in lockstep.seen:
        lock.set()  # no lockstep here: the upstream sends at once
    log = await _told(lockstep.upstream)
    assert log[0] is True  # told before the first read after the request
    assert log.count(False) == 1 and log[-1] is False and log[-2] == "stop"
    words = [x for x in log if isinstance(x, str) and x != "stop"]
    assert "".join(words) == "".join(WORDS)


async def test_a_broken_stream_tells_its_end_before_the_error_arrives() -> None:
    async def cut(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(_event({"content": "one "}))
        assert request.transport is not None
        request.transport.close()
        return resp

    log = await _told(cut)
    assert "one " in log
    assert log[-2:] == [False, "interrupted"]
    assert log.count(False) == 1


async def test_a_client_that_reads_slowly_pauses_the_direct_writes_and_loses_nothing(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks written straight to the transport: a client with a tiny receive window
    (and small socket buffers on the way) fills it, the transport pauses, the writer
    waits for it to drain, and the client then reads every event in order, then
    ``[DONE]``."""
    words = [f"w{i:04d}" + "x" * 1000 + " " for i in range(2000)]  # about 2 MB

    async def upstream(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for word in words:
            await resp.write(_event({"content": word}))
        await resp.write(_event({}, "stop") + b"data: [DONE]\n\n")
        return resp

    paused = asyncio.Event()
    wait = EventWriter._wait

    async def watched(self: EventWriter, held: Any) -> None:
        paused.set()
        await wait(self, held)

    monkeypatch.setattr(EventWriter, "_wait", watched)
    _small_send_buffers(monkeypatch)
    runner, url = await serve_loopback(upstream)
    try:
        async with aiohttp.ClientSession() as s:
            provider = OpenAIProvider(base_url=url + "/v1", api_key="k", model="m", session=s)
            client = await make_client({"default": [provider]})
            body = await _read_slowly(client.make_url("/v1/chat/completions"), paused)
    finally:
        await runner.cleanup()
    assert _answer(body) == "".join(words)


def _small_send_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's sockets to its clients get a 4 KiB send buffer: without
    autotuning the kernel cannot absorb a whole answer for a client that reads slowly."""
    direct = _writer._direct

    def small_send_buffer(response: Any, request: Any) -> Any:
        request.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
        )
        return direct(response, request)

    monkeypatch.setattr(_writer, "_direct", small_send_buffer)


async def _read_slowly(url: Any, paused: asyncio.Event) -> bytes:
    """POST on a socket with a tiny receive buffer; read nothing until ``paused``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (url.host, url.port))
    body = json.dumps(chat_body(stream=True)).encode()
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(head.encode() + body)
        async with asyncio.timeout(20):
            await paused.wait()  # the gateway's transport is full: now read it all
            raw = await reader.read(-1)
    finally:
        writer.close()  # also when cancelled: the gateway sees its client leave
    headers, _, chunked = raw.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.1 200")
    out = bytearray()
    while True:  # undo the chunked framing
        size_line, _, rest = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return bytes(out)
        out += rest[:size]
        chunked = rest[size + 2 :]


async def test_an_http_1_0_client_gets_the_events_unframed(make_client: MakeClient) -> None:
    """No chunked encoding without HTTP/1.1: the writer leaves framing to aiohttp."""
    lockstep = Lockstep()
    for lock in lockstep.seen:
        lock.set()
    runner, url = await serve_loopback(lockstep.upstream)
    try:
        async with aiohttp.ClientSession() as s:
            provider = OpenAIProvider(base_url=url + "/v1", api_key="k", model="m", session=s)
            client = await make_client({"default": [provider]})
            target = client.make_url("/v1/chat/completions")
            reader, writer = await asyncio.open_connection(target.host, target.port)
            body = json.dumps(chat_body(stream=True)).encode()
            writer.write(
                f"POST {target.path} HTTP/1.0\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            async with asyncio.timeout(5):
                raw = await reader.read(-1)
            writer.close()
    finally:
        await runner.cleanup()
    headers, _, events = raw.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.0 200") and b"chunked" not in headers.lower()
    assert events.startswith(b"data: {")  # no chunk size line in front
    assert _answer(events) == "".join(WORDS)


async def test_later_events_are_written_from_the_upstream_connection_callback(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first word the HTTP provider hands its chunks to the relay from the
    upstream connection's ``data_received`` (``_aio.CHUNK_SINK``): they are encoded and
    queued with no task running, and leave before the upstream sends the next word."""
    pushed: list[tuple[bytes, bool]] = []
    push = EventWriter.push

    def spy(self: EventWriter, data: bytes) -> bool:
        pushed.append((data, asyncio.current_task() is None))
        return push(self, data)

    monkeypatch.setattr(EventWriter, "push", spy)
    await _through_the_gateway(make_client)
    in_callback = [data for data, no_task in pushed if no_task]
    for word in WORDS[1:]:  # the first leaves with the headers, written by the handler
        assert sum(word.encode() in data for data in in_callback) == 1


async def test_a_client_that_stops_reading_holds_the_upstream_back(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the commit point each upstream event is pushed to the gateway's writer
    from the connection's callback. A client that stops reading fills the writer; the
    provider must then stop reading its upstream (aiohttp's reader fills and pauses
    the connection), not keep pushing one read at a time into an unbounded queue.

    The upstream sends each event once the writer has queued the one before (the
    first is written, not queued), so each arrives in a read of its own, the case
    where nothing else would hold it back; it runs free once the gateway waits for
    its client. The gateway stops reading it
    before it has written its 4 MB answer; once the client reads again, every event
    arrives, in order."""
    words = [f"w{i:04d}" + "x" * 1000 + " " for i in range(4000)]
    held, finished = asyncio.Event(), asyncio.Event()
    moved, waits = asyncio.Event(), asyncio.Event()
    early: list[bool] = []  # at the first pause: was the upstream still writing?

    async def upstream(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(_event({"role": "assistant", "content": ""}))
        for i, word in enumerate(words):
            moved.clear()
            await resp.write(_event({"content": word}))
            if i and not waits.is_set():  # lockstep with the writer until the gateway waits
                either = [asyncio.create_task(moved.wait()), asyncio.create_task(waits.wait())]
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                for waiting in either:
                    waiting.cancel()
        await resp.write(_event({}, "stop") + b"data: [DONE]\n\n")
        finished.set()
        return resp

    push, close, pause = EventWriter.push, EventWriter.close, ResponseHandler.pause_reading

    def pushed(self: EventWriter, data: bytes) -> bool:
        moved.set()
        return push(self, data)

    async def closing(self: EventWriter) -> None:
        waits.set()  # the relay waits for its client
        await close(self)

    def pausing(proto: ResponseHandler) -> None:
        if not held.is_set():  # the provider stopped reading: its reader filled up
            early.append(not finished.is_set())
            held.set()
        pause(proto)

    monkeypatch.setattr(EventWriter, "push", pushed)
    monkeypatch.setattr(EventWriter, "close", closing)
    monkeypatch.setattr(ResponseHandler, "pause_reading", pausing)
    _small_send_buffers(monkeypatch)
    runner, url = await serve_loopback(upstream)
    provider = OpenAIProvider(base_url=url + "/v1", api_key="k", model="m")
    client = await make_client({"default": [provider]})
    go = asyncio.Event()
    reading = asyncio.create_task(_read_slowly(client.make_url("/v1/chat/completions"), go))
    try:
        either = [asyncio.create_task(held.wait()), asyncio.create_task(finished.wait())]
        async with asyncio.timeout(20):
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        for waiting in either:
            waiting.cancel()
        assert early == [True]  # (the kernel may take the rest of it once paused)
        go.set()  # now the client reads it all
        body = await reading
    finally:
        reading.cancel()  # a no-op once read; else the client leaves
        await runner.cleanup()
        await close_shared_sessions()
    assert _answer(body) == "".join(words)
