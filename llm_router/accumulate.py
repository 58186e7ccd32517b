"""Turning a stream into a :class:`Completion`, and the commit-point guard.

One accumulator serves :func:`complete`, the partial answer carried by
:class:`~llm_router.errors.StreamInterrupted`, and the gateway's non-streaming path.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from llm_router._aio import closing
from llm_router.errors import ProviderError, StreamInterrupted
from llm_router.types import (
    ChatRequest,
    Clock,
    Completion,
    FinishReason,
    Provider,
    StreamChunk,
    ThinkingSignature,
    ToolCall,
    Usage,
)


class _ToolCallBuilder:
    __slots__ = ("args", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.args: list[str] = []


class Accumulator:
    """Collects chunks; :meth:`build` assembles text, tool calls (per index) and usage."""

    __slots__ = (
        "_block",
        "_calls",
        "_reasoning",
        "_text",
        "_thinking",
        "chunks",
        "finish_reason",
        "model",
        "provider",
        "raw_finish_reason",
        "upstream_model",
        "usage",
    )

    def __init__(self, provider: str = "", model: str = "") -> None:
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._block = 0  # where in _thinking the thinking block being signed starts
        self._reasoning: list[dict[str, str]] = []  # signed blocks, Anthropic's shape
        self._calls: dict[int, _ToolCallBuilder] = {}
        self.chunks = 0
        self.provider = provider
        self.model = model
        self.finish_reason: FinishReason | None = None
        self.raw_finish_reason: str | None = None
        self.usage: Usage | None = None
        self.upstream_model: str | None = None

    def add(self, chunk: StreamChunk) -> None:
        """Add one chunk."""
        self.chunks += 1
        if chunk.text:
            self._text.append(chunk.text)
        if chunk.thinking:
            self._thinking.append(chunk.thinking)
        if chunk.signature is not None:
            self._sign(chunk.signature)
        for delta in chunk.tool_calls:
            call = self._calls.get(delta.index)
            if call is None:
                call = self._calls[delta.index] = _ToolCallBuilder()
            if delta.id:
                call.id = delta.id
            if delta.name:
                call.name = delta.name
            if delta.arguments_delta:
                call.args.append(delta.arguments_delta)
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason
            self.raw_finish_reason = chunk.raw_finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.upstream_model is not None:
            self.upstream_model = chunk.upstream_model
        self.provider = chunk.provider
        self.model = chunk.model

    def _sign(self, signature: ThinkingSignature) -> None:
        if signature.redacted:
            self._reasoning.append({"type": "redacted_thinking", "data": signature.value})
            return
        thinking = "".join(self._thinking[self._block :])
        self._block = len(self._thinking)
        block = {"type": "thinking", "thinking": thinking, "signature": signature.value}
        self._reasoning.append(block)

    @property
    def text(self) -> str:
        """The text so far."""
        return "".join(self._text)

    def build(self, *, ttft_s: float | None = None, duration_s: float = 0.0) -> Completion:
        """The completion of everything added so far."""
        calls = tuple(
            ToolCall(id=c.id, name=c.name, arguments="".join(c.args))
            for _, c in sorted(self._calls.items())
        )
        return Completion(
            text="".join(self._text),
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
            provider=self.provider,
            model=self.model,
            ttft_s=ttft_s,
            duration_s=duration_s,
            chunks=self.chunks,
            raw_finish_reason=self.raw_finish_reason,
            thinking="".join(self._thinking),
            upstream_model=self.upstream_model,
            reasoning=tuple(self._reasoning),
        )


async def complete(
    provider: Provider, request: ChatRequest, *, clock: Clock = time.monotonic
) -> Completion:
    """Accumulate ``provider``'s stream for ``request`` into one :class:`Completion`."""
    acc = Accumulator(provider=provider.name)
    start = clock()
    ttft: float | None = None
    # A router reads the whole stream as its setup phase when nothing is shown before
    # the end (docs/DESIGN.md §1.2): a break on the way starts afresh, never a partial.
    buffered = getattr(provider, "stream_buffered", None)
    opened = provider.stream_complete(request) if buffered is None else buffered(request)
    async with closing(opened) as stream:
        async for chunk in stream:
            if ttft is None:
                ttft = clock() - start
            acc.add(chunk)
    return acc.build(ttft_s=ttft, duration_s=clock() - start)


def interrupted(
    sent: list[StreamChunk],
    cause: ProviderError,
    *,
    provider: str,
    model: str,
    ttft_s: float | None,
    duration_s: float,
) -> StreamInterrupted:
    """The :class:`StreamInterrupted` for ``cause`` raised after ``sent`` went out.

    Streams keep only references to the chunks they yielded (one list append per
    chunk); the partial :class:`Completion` is assembled here, once, only when a
    stream actually breaks.
    """
    acc = Accumulator(provider, model)
    for chunk in sent:
        acc.add(chunk)
    return StreamInterrupted(acc.build(ttft_s=ttft_s, duration_s=duration_s), cause, chunks=sent)


async def guard_commit(
    stream: AsyncIterator[StreamChunk], *, provider: str, model: str, clock: Clock = time.monotonic
) -> AsyncIterator[StreamChunk]:
    """Pass ``stream`` through; a :class:`ProviderError` after the first chunk becomes
    :class:`StreamInterrupted` carrying the partial answer.

    Providers wrap their raw chunk generator in this once per stream, so the commit
    rule lives in one place (the HTTP providers apply the same rule inside their own
    generator, with :func:`interrupted`, to save a layer per chunk). The inner stream
    is always closed.
    """
    sent: list[StreamChunk] = []
    start = clock()
    ttft: float | None = None
    async with closing(stream) as inner:
        try:
            async for chunk in inner:
                if not sent:
                    ttft = clock() - start
                sent.append(chunk)
                yield chunk
        except ProviderError as exc:
            if not sent:
                raise
            raise interrupted(
                sent, exc, provider=provider, model=model, ttft_s=ttft, duration_s=clock() - start
            ) from exc
