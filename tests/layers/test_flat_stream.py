"""After the commit point the router reads the innermost stream itself: a chunk is
yielded once, not once per layer (docs/DESIGN.md §3). These tests look at the frames
that resume the provider's stream, and check that what each layer does when a stream
ends (breaker accounting, the bulkhead's slot, closing upstream) is unchanged, on
every way a stream can end."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from llm_router import errors
from llm_router.builder import assemble, stack
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.layers.bulkhead import Bulkhead
from llm_router.layers.commit import Opened, open_stream
from llm_router.types import ChatRequest, StreamChunk

LAYER_FILES = ("retry.py", "bulkhead.py", "_core.py", "commit.py")


def req() -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "hi"}], model="default")


class Recording:
    """A provider that notes, for every chunk it yields, the code files of the frames
    that resumed it (up to the test), and whether its stream was closed."""

    def __init__(self, name: str = "p", chunks: int = 5, cut_after: int | None = None) -> None:
        self.name = name
        self.chunks = chunks
        self.cut_after = cut_after
        self.callers: list[list[str]] = []
        self.closed = 0
        self.release = asyncio.Event()
        self.holding = asyncio.Event()
        self.hold_at: int | None = None

    async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        try:
            for i in range(self.chunks):
                if i == self.hold_at:
                    self.holding.set()
                    await self.release.wait()
                if self.cut_after is not None and i == self.cut_after:
                    raise errors.ConnectError("reset", provider=self.name)
                frames, frame = [], sys._getframe(1)
                while frame is not None and "test_flat_stream" not in frame.f_code.co_filename:
                    frames.append(frame.f_code.co_filename)
                    frame = frame.f_back
                self.callers.append(frames)
                last = i == self.chunks - 1
                yield StreamChunk(
                    text=f"w{i} ", provider=self.name, model="m",
                    finish_reason="stop" if last else None,
                )  # fmt: skip
        finally:
            self.closed += 1


def layer_frames(files: list[str]) -> list[str]:
    return [f for f in files if f.endswith(LAYER_FILES) and "/layers/" in f]


async def test_chunks_after_the_first_do_not_pass_through_the_layers() -> None:
    """Router → Bulkhead → CircuitBreaker → Retry → provider: the first chunk is pulled
    through every layer (the commit point); every later chunk is resumed by the router
    alone, with no layer's frame between it and the provider."""
    inner = Recording()
    assembly = assemble({"default": [inner]}, bulkheads={"p": 4}, hook=None)
    async with assembly.router as router:
        got = [c.text async for c in router.stream_complete(req())]
    assert got == ["w0 ", "w1 ", "w2 ", "w3 ", "w4 "]
    assert layer_frames(inner.callers[0])  # the setup ran through the layers
    for later in inner.callers[1:]:
        assert layer_frames(later) == []
        assert later[0].endswith("routing/_router.py")
    assert inner.closed == 1


async def test_a_layer_used_alone_still_streams_every_chunk() -> None:
    """Without a router each layer is still a complete Provider."""
    inner = Recording()
    layered = stack(inner, retry=RetryConfig(), breaker=BreakerConfig())
    assert [c.text async for c in layered.stream_complete(req())][-1] == "w4 "
    assert inner.closed == 1


@pytest.mark.parametrize("how", ["finished", "broke", "left early", "cancelled"])
async def test_every_layer_is_told_once_how_the_stream_ended(how: str) -> None:
    """The breaker records one outcome (a finished stream a success, a broken one a
    failure, one the consumer left or cancelled neutral), the bulkhead's slot is
    given back and the upstream stream is closed: on every way out."""
    inner = Recording(cut_after=2 if how == "broke" else None)
    if how == "cancelled":
        inner.hold_at = 1
    assembly = assemble(
        {"default": [inner]},
        bulkheads={"p": 1},
        breaker=BreakerConfig(fail_max=1),
        rescue=RescueConfig.off(),
        hook=None,
    )
    bulkhead = assembly.router.routes["default"].candidates[0].provider
    assert isinstance(bulkhead, Bulkhead)
    breaker = assembly.breakers["p"]
    recorded: list[tuple[bool, str | None]] = []
    record = breaker._record

    def spy(token: object | None, success: bool, failure: BaseException | None) -> None:
        recorded.append((success, None if failure is None else type(failure).__name__))
        record(token, success, failure)

    breaker._record = spy  # type: ignore[method-assign]
    async with assembly.router as router:
        stream = router.stream_complete(req())
        async with aclosing(stream):  # type: ignore[type-var]
            first = await anext(stream)
            assert first.text == "w0 " and bulkhead.in_use == 1
            if how == "finished":
                assert len([c async for c in stream]) == 4
            elif how == "broke":
                with pytest.raises(errors.ConnectError):
                    _ = [c async for c in stream]
            elif how == "cancelled":
                task = asyncio.create_task(anext(stream))
                await inner.holding.wait()  # the task waits on the held provider
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
        assert bulkhead.in_use == 0
        assert inner.closed == 1
        assert breaker.state == ("open" if how == "broke" else "closed")
        expected = {
            "finished": (True, None),
            "broke": (False, "ConnectError"),
            "left early": (False, None),  # neutral
            "cancelled": (False, None),  # neutral
        }
        assert recorded == [expected[how]]


async def test_open_stream_over_a_plain_provider_pulls_its_first_chunk() -> None:
    """:func:`open_stream` on a provider without ``open_stream`` opens its
    ``stream_complete`` and pulls the first chunk; ``finish`` closes it."""
    inner = Recording()
    opened = await open_stream(inner, req(), "p")
    assert isinstance(opened, Opened) and opened.first.text == "w0 "
    assert [c.text async for c in opened.rest][:1] == ["w1 "]
    ended: list[BaseException | None] = []
    opened.ends.append(ended.append)
    await opened.finish(None)
    assert ended == [None] and inner.closed == 1
