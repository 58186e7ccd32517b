"""The router and the push path (``_aio.CHUNK_SINK``, ``providers/_tap.py``).

A consumer that offers a sink (the gateway's relay does) gets a committed stream's
middle chunks from the upstream connection's callback. The router passes them on only
while it reads the committed stream directly, counts them in the stream's record, and
never lets a rescue's streams push: their chunks must pass the seam, which drops what
the client already has. Real loopback upstreams, held after the first word so the
later words arrive while the provider waits on its tap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llm_router._aio import CHUNK_SINK
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.errors import StreamInterrupted
from llm_router.layers.routing import Router
from llm_router.observe import Event, StreamEnded, StreamRecord
from llm_router.types import StreamChunk
from tests.layers.test_rescue import (
    ANSWER,
    FAULTS,
    REQUEST,
    WORDS,
    _Detection,
    delta,
    finish,
    full,
    provider,
)
from tests.providers.conftest import Hold, Reply, Step, Upstream, started


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """The loopback upstream."""
    async with started() as up:
        yield up


class Consumer:
    """Reads a router's stream with a sink set: both channels in arrival order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, bool]] = []  # (channel, text, no task running)
        self.first = asyncio.Event()
        self.records: list[StreamRecord] = []

    def sink(self, chunks: list[StreamChunk]) -> tuple[int, bool]:
        self.log.extend(("sink", c.text, asyncio.current_task() is None) for c in chunks)
        return len(chunks), True

    def hook(self, event: Event) -> None:
        if isinstance(event, StreamEnded):
            self.records.append(event.record)

    async def read(self, r: Router, *, late: bool = False) -> None:
        """Read ``r``'s stream with the sink set from the start, or (``late``) only once
        the first chunk is in, as the gateway's relay does."""
        token = None if late else CHUNK_SINK.set(self.sink)
        try:
            async with r:
                stream: AsyncIterator[StreamChunk] = r.stream_complete(REQUEST)
                async for chunk in stream:
                    self.log.append(("yield", chunk.text, False))
                    if token is None:
                        token = CHUNK_SINK.set(self.sink)
                    self.first.set()
        finally:
            if token is not None:
                CHUNK_SINK.reset(token)
        assert CHUNK_SINK.get() is None  # the router put back what it found

    def text(self) -> str:
        return "".join(entry[1] for entry in self.log)

    def pushed(self) -> list[str]:
        return [text for channel, text, _ in self.log if channel == "sink"]


def router(consumer: Consumer, *providers: Any, rescue: RescueConfig | None = None) -> Router:
    return build_router(
        {"default": list(providers)},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=50),
        detector=lambda r: _Detection(),
        hook=consumer.hook,
        **({} if rescue is None else {"rescue": rescue}),
    )


def held(consumer: Consumer, n: int, *fault: Step) -> Reply:
    """The first word, then (once the consumer has it) words 2..n, then ``fault``."""
    rest = [delta(content=w) for w in WORDS[1:n]]
    head = [delta(role="assistant", content=""), delta(content=WORDS[0]), Hold(consumer.first)]
    return Reply(body=[*head, *rest, *fault])


@pytest.mark.parametrize("late", [False, True], ids=["offered-first", "offered-late"])
async def test_the_router_passes_pushed_chunks_on_and_counts_them(
    upstream: Upstream, late: bool
) -> None:
    consumer = Consumer()
    upstream.script(held(consumer, len(WORDS), *finish()))
    await consumer.read(router(consumer, provider(upstream, "a")), late=late)
    assert consumer.text() == ANSWER
    assert consumer.pushed() == WORDS[1:]  # from the connection's callback
    assert all(no_task for channel, _, no_task in consumer.log if channel == "sink")
    (record,) = consumer.records
    assert record.outcome == "success"
    assert record.chunks == len(consumer.log)  # yielded and pushed alike


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_rescue_after_pushed_chunks_delivers_the_answer_once(
    upstream: Upstream, fault: str
) -> None:
    """Replay on the same deployment: the replayed stream repeats the three words the
    client has (two of them pushed); the seam drops them, so none may be pushed."""
    consumer = Consumer()
    upstream.script(held(consumer, 3, *FAULTS[fault]), full())
    await consumer.read(router(consumer, provider(upstream, "a")))
    assert consumer.text() == ANSWER  # once: nothing doubled, nothing lost
    assert consumer.pushed() == WORDS[1:3]  # the rescue's chunks were all yielded
    (record,) = consumer.records
    assert record.outcome == "success" and len(upstream.requests) == 2  # replayed
    assert record.chunks == len(consumer.log)


async def test_without_rescue_a_break_after_pushed_chunks_reports_them(upstream: Upstream) -> None:
    consumer = Consumer()
    upstream.script(held(consumer, 3))  # the body ends without a finish
    no_rescue = router(consumer, provider(upstream, "a"), rescue=RescueConfig.off())
    with pytest.raises(StreamInterrupted) as caught:
        await consumer.read(no_rescue)
    assert caught.value.partial.text == "".join(WORDS[:3])
    (record,) = consumer.records
    assert record.outcome == "interrupted" and record.chunks == 3


class Watching:
    """A fallback that replays the answer and notes, each time it is read, the sink
    it would see (a rescue's stream must see none)."""

    name = "watching"

    def __init__(self) -> None:
        self.sinks: list[object] = []

    async def stream_complete(self, request: Any) -> AsyncIterator[StreamChunk]:
        for word in WORDS:
            self.sinks.append(CHUNK_SINK.get())
            yield StreamChunk(word, self.name, "m")
        self.sinks.append(CHUNK_SINK.get())
        yield StreamChunk("", self.name, "m", finish_reason="stop")


@pytest.mark.parametrize("late", [False, True], ids=["offered-first", "offered-late"])
async def test_a_rescue_stream_is_never_offered_the_sink(upstream: Upstream, late: bool) -> None:
    """Offered late (the gateway sets its sink once it has the first chunk), the sink
    must not reach the rescue either: the router takes it when it reads on."""
    consumer, watching = Consumer(), Watching()
    refused = Reply.json(400, {"error": {"message": "no", "type": "invalid_request_error"}})
    upstream.script(held(consumer, 3), refused)  # the primary breaks, then refuses
    await consumer.read(router(consumer, provider(upstream, "a"), watching), late=late)
    assert consumer.text() == ANSWER
    assert consumer.pushed() == WORDS[1:3]
    assert len(watching.sinks) == len(WORDS) + 1
    assert watching.sinks == [None] * len(watching.sinks)
