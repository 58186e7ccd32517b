"""EventWriter: the first event leaves at once, bursts leave in one write, a lone event
leaves at the next loop turn (or before the provider's next upstream read, when it
tells), backpressure bounds the queue, and write errors reach the handler; plus the
encoder's fast path."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import pytest
from aiohttp import web

from llm_router.gateway._writer import EventWriter
from llm_router.gateway.openai_format import ChunkEncoder
from llm_router.types import StreamChunk, ToolCallDelta, Usage


class Recorder:
    """Stands in for ``web.StreamResponse``: records each write; can be held."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.wrote = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None

    async def write(self, data: bytes) -> None:
        if self.fail is not None:
            raise self.fail
        self.writes.append(data)
        self.wrote.set()
        await self.release.wait()  # returns at once unless held: like an unpaused transport


def writer_for(rec: Recorder, **kw: Any) -> EventWriter:
    return EventWriter(cast(web.StreamResponse, rec), **kw)


async def test_the_first_event_is_written_at_once() -> None:
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"data: first\n\n")
    assert rec.writes == [b"data: first\n\n"]  # no loop turn in between


async def test_a_burst_leaves_in_one_write_in_order() -> None:
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"data: first\n\n")
    events = [f"data: {i}\n\n".encode() for i in range(50)]
    for e in events:  # no await suspends here: the handler never waits
        await w.write(e)
    assert rec.writes == [b"data: first\n\n"]
    await w.close()
    assert rec.writes == [b"data: first\n\n", b"".join(events)]


async def test_a_lone_event_is_written_while_the_handler_waits() -> None:
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"data: one\n\n")
    await w.write(b"data: two\n\n")
    await asyncio.sleep(0)  # the handler waiting = the flush
    assert rec.writes == [b"data: one\n\n", b"data: two\n\n"]
    await w.write(b"data: three\n\n")
    await w.close()
    assert rec.writes[-1] == b"data: three\n\n"


async def test_backpressure_holds_the_handler_at_high_water() -> None:
    rec = Recorder()
    w = writer_for(rec, high_water=100)
    await w.write(b"first")
    rec.release.clear()  # the client reads nothing: the next write is held up
    await w.write(b"x" * 10)
    await asyncio.sleep(0)  # flushed, and held up in the transport
    assert rec.writes == [b"first", b"x" * 10]
    await w.write(b"y" * 50)  # queued behind it, below high water
    blocked = asyncio.ensure_future(w.write(b"z" * 50))  # reaches high water
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(blocked), 0.03)
    rec.release.set()
    await asyncio.wait_for(blocked, 0.05)
    await w.close()
    assert b"".join(rec.writes) == b"first" + b"x" * 10 + b"y" * 50 + b"z" * 50


async def test_a_write_error_reaches_the_handler() -> None:
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"data: first\n\n")
    rec.fail = ConnectionResetError("client gone")
    await w.write(b"data: a\n\n")
    with pytest.raises(ConnectionResetError):
        await w.close()
    with pytest.raises(ConnectionResetError):
        await w.write(b"data: b\n\n")


async def test_abort_drops_the_queue_and_stops_a_held_up_write() -> None:
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"data: first\n\n")
    rec.release.clear()
    await w.write(b"data: a\n\n")
    await asyncio.sleep(0)  # "a" is held up in the transport
    await w.write(b"data: b\n\n")
    w.abort()
    await asyncio.sleep(0)
    assert rec.writes == [b"data: first\n\n", b"data: a\n\n"]


async def test_a_provider_that_tells_of_its_reads_is_flushed_by_them_alone() -> None:
    """While told (``reading(True)``) queued events wait for the next ``reading`` call,
    not for a loop turn; ``reading(False)`` flushes and hands the flush back."""
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"first")
    w.reading(True)  # nothing queued: nothing written
    assert rec.writes == [b"first"]
    w.push(b"a")
    w.push(b"b")
    for _ in range(3):
        await asyncio.sleep(0)  # loop turns pass: the provider will say when
    assert rec.writes == [b"first"]
    w.reading(True)  # about to read again: the burst leaves as one write, at once
    assert rec.writes == [b"first", b"ab"]
    w.push(b"c")
    w.reading(False)  # the stream ended: flushed now
    assert rec.writes[-1] == b"c"
    w.push(b"d")
    await asyncio.sleep(0)  # and from now on at the next loop turn again
    assert rec.writes[-1] == b"d"


async def test_reading_never_raises_and_keeps_the_error_for_the_handler() -> None:
    rec = Recorder()
    w = writer_for(rec)
    await w.write(b"first")
    w.reading(True)
    rec.fail = ConnectionResetError("client gone")
    w.push(b"a")
    w.reading(True)  # the write fails inside the provider's read: nothing raised there
    w.reading(False)
    with pytest.raises(ConnectionResetError):
        await w.close()


TEXTS = ["hi", " ", 'q " and \\ s', "é ü 中文", "emoji 😀", "line\nbreak\ttab", "\u2028\x00"]


@pytest.mark.parametrize("include_usage", [False, True])
@pytest.mark.parametrize("text", TEXTS)
def test_the_text_fast_path_matches_json_dumps(text: str, include_usage: bool) -> None:
    enc = ChunkEncoder("chatcmpl-1", 7, include_usage=include_usage)
    enc.encode(StreamChunk(text="first", provider="p", model="m", index=0))
    got = enc.encode(StreamChunk(text=text, provider="p", model="m", index=1))
    choice = {"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}
    expected = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 7,
        "model": "m",
        "system_fingerprint": None,
        "choices": [choice],
    }
    if include_usage:
        expected["usage"] = None
    assert got == b"data: " + json.dumps(expected, separators=(",", ":")).encode() + b"\n\n"


def test_other_chunks_keep_the_general_path() -> None:
    enc = ChunkEncoder("chatcmpl-1", 7)
    enc.encode(StreamChunk(text="first", provider="p", model="m", index=0))
    call = ToolCallDelta(index=0, id="c1", name="f", arguments_delta='{"a"')
    tool = json.loads(
        enc.encode(StreamChunk(text="", provider="p", model="m", index=1, tool_calls=(call,)))[6:]
    )
    assert tool["choices"][0]["delta"]["tool_calls"][0]["function"] == {
        "arguments": '{"a"',
        "name": "f",
    }
    last = json.loads(
        enc.encode(
            StreamChunk(
                text="end",
                provider="p",
                model="m",
                index=2,
                finish_reason="stop",
                usage=Usage(1, 2),
            )
        )[6:]
    )
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["choices"][0]["delta"] == {"content": "end"}
    assert enc.usage == Usage(1, 2)
