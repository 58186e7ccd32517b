"""Core value types shared by every layer: requests, chunks, completions.

All of them are frozen, slotted dataclasses: a request or a chunk handed to a layer
can never be changed behind its back, and they are cheap to create on the hot path.
The request types (:class:`Message`, :class:`ChatRequest`, ``ContentPart``, the task
names ``TaskName``/``TASK_NAMES``) live in
:mod:`llm_router._messages` and are re-exported here, their public home; this module
holds the streamed side (chunks, usage, completions), the aliases and the
:class:`Provider` protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, cast, runtime_checkable

from llm_router._chunk import _OpenChunk
from llm_router._messages import TASK_NAMES as TASK_NAMES
from llm_router._messages import ChatRequest as ChatRequest
from llm_router._messages import ContentPart as ContentPart
from llm_router._messages import Message as Message
from llm_router._messages import TaskName as TaskName

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter"]
"""Normalised finish reasons; the provider's own value travels as ``raw_finish_reason``."""


Clock: TypeAlias = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic`` unless a test injects one)."""

Sleep: TypeAlias = Callable[[float], Awaitable[None]]
"""An awaitable sleep (``asyncio.sleep`` unless a test injects one)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage reported by the upstream.

    ``input_tokens`` is the whole prompt, cached parts included. Of it,
    ``cached_input_tokens`` were read from the provider's prompt cache (OpenAI
    ``prompt_tokens_details.cached_tokens``, Anthropic ``cache_read_input_tokens``,
    Gemini ``cachedContentTokenCount``) and ``cache_write_input_tokens`` were written
    to it (Anthropic ``cache_creation_input_tokens``); both are billed at other rates.
    ``None``: the upstream did not say.
    """

    input_tokens: int
    output_tokens: int
    cached_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None

    def __repr__(self) -> str:
        # The cache counts only when the upstream reported them: most usages have none.
        cache = "".join(
            f", {name}={value}"
            for name, value in (
                ("cached_input_tokens", self.cached_input_tokens),
                ("cache_write_input_tokens", self.cache_write_input_tokens),
            )
            if value is not None
        )
        return f"Usage(input_tokens={self.input_tokens}, output_tokens={self.output_tokens}{cache})"


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call: ``id`` and ``name`` arrive once, arguments in pieces."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments_delta: str = ""


@dataclass(frozen=True, slots=True)
class ThinkingSignature:
    """Anthropic's proof of a thinking block: the ``signature`` that closes the thinking
    streamed before it (``signature_delta``), or, when ``redacted``, a whole encrypted
    thinking block (``redacted_thinking``'s ``data``). Opaque; a client sends it back
    verbatim with the turn it belongs to (:attr:`Message.reasoning`)."""

    value: str
    redacted: bool = False


@dataclass(frozen=True, slots=True, init=False)
class StreamChunk:
    """One piece of a streamed answer, never empty.

    ``text`` is the text delta, ``thinking`` a reasoning delta kept apart from text,
    ``tool_calls`` tool-call deltas. ``model`` is the deployment's model (the one the
    request was sent to). The last chunk of a complete stream carries
    ``finish_reason`` (normalised) and ``raw_finish_reason``, ``usage`` if known, and
    ``upstream_model``, the model name the upstream reported, if it named one.
    ``signature`` closes a thinking block (or is a redacted one): see
    :class:`ThinkingSignature`.
    """

    text: str
    provider: str
    model: str
    index: int = 0
    finish_reason: FinishReason | None = None
    tool_calls: tuple[ToolCallDelta, ...] = ()
    usage: Usage | None = None
    raw_finish_reason: str | None = None
    thinking: str = ""
    upstream_model: str | None = None
    signature: ThinkingSignature | None = None

    def __init__(
        self,
        text: str,
        provider: str,
        model: str,
        index: int = 0,
        finish_reason: FinishReason | None = None,
        tool_calls: tuple[ToolCallDelta, ...] = (),
        usage: Usage | None = None,
        raw_finish_reason: str | None = None,
        thinking: str = "",
        upstream_model: str | None = None,
        signature: ThinkingSignature | None = None,
    ) -> None:
        # Built once per chunk; a frozen dataclass's own __init__ (object.__setattr__ per
        # field) costs ~3x this. The instance briefly wears its mutable twin class (same
        # slots, see _chunk.py), gets plain stores, and is a StreamChunk again before
        # anyone can see it. Subclasses take the generic path.
        if type(self) is not StreamChunk:
            values = (text, provider, model, index, finish_reason, tool_calls, usage)
            rest = (raw_finish_reason, thinking, upstream_model, signature)
            for name, value in zip(_CHUNK_FIELDS, (*values, *rest), strict=True):
                _setattr(self, name, value)
            return
        _setattr(self, "__class__", _OpenChunk)
        c = cast(_OpenChunk, self)
        c.text = text
        c.provider = provider
        c.model = model
        c.index = index
        c.finish_reason = finish_reason
        c.tool_calls = tool_calls
        c.usage = usage
        c.raw_finish_reason = raw_finish_reason
        c.thinking = thinking
        c.upstream_model = upstream_model
        c.signature = signature
        c.__class__ = StreamChunk  # type: ignore[assignment]


_setattr = object.__setattr__
_CHUNK_FIELDS = StreamChunk.__slots__
assert _OpenChunk.__slots__ == _CHUNK_FIELDS, "the twin must keep StreamChunk's slot layout"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call: ``arguments`` is the full JSON string."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Completion:
    """An accumulated stream (see :func:`llm_router.complete`).

    ``model`` is the model of the deployment that answered (what the request was sent
    to, the same rule for every provider type); ``upstream_model`` is the name the
    upstream reported for itself (``claude-sonnet-4-5-20250929`` for a deployment of
    ``claude-sonnet-4-5``, whatever a local server loaded), ``None`` if it gave none.
    """

    text: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason | None
    usage: Usage | None
    provider: str
    model: str
    ttft_s: float | None
    duration_s: float
    chunks: int
    raw_finish_reason: str | None = None
    thinking: str = ""
    upstream_model: str | None = None
    reasoning: tuple[Mapping[str, Any], ...] = ()
    """The signed thinking blocks in Anthropic's shape, in order (``thinking`` with its
    ``signature``, ``redacted_thinking`` with its ``data``); empty when the upstream
    signed none. What a client sends back as the turn's :attr:`Message.reasoning`."""


@runtime_checkable
class Provider(Protocol):
    """The one interface: every concrete provider and every layer implements it.

    ``stream_complete`` is an async generator of non-empty chunks. A stream that
    ends without error has delivered its finish signal; anything else raises an
    error of :mod:`llm_router.errors`.
    """

    @property
    def name(self) -> str:
        """A label-safe name (used in metrics, logs and policies)."""
        ...

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream the answer to ``request``."""
        ...
