"""Core value types shared by every layer: requests, chunks, completions.

All of them are frozen, slotted dataclasses: a request or a chunk handed to a layer
can never be changed behind its back, and they are cheap to create on the hot path.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Protocol, TypeAlias, cast, runtime_checkable

from llm_router._chunk import _OpenChunk

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter"]
"""Normalised finish reasons; the provider's own value travels as ``raw_finish_reason``."""

TaskName: TypeAlias = Literal[
    "code",
    "reasoning",
    "summarization",
    "translation",
    "extraction",
    "creative",
    "chat",
    "tool_use",
    "vision",
    "long_context",
]
"""Every task the detector can return (SPEC §4.2)."""

TASK_NAMES: tuple[TaskName, ...] = (
    "code",
    "reasoning",
    "summarization",
    "translation",
    "extraction",
    "creative",
    "chat",
    "tool_use",
    "vision",
    "long_context",
)

Clock: TypeAlias = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic`` unless a test injects one)."""

Sleep: TypeAlias = Callable[[float], Awaitable[None]]
"""An awaitable sleep (``asyncio.sleep`` unless a test injects one)."""

ContentPart: TypeAlias = Mapping[str, Any]
"""One part of a multi-part message, in OpenAI's shape (``{"type": "text", ...}``)."""


def _freeze_parts(parts: Sequence[Mapping[str, Any]]) -> tuple[ContentPart, ...]:
    return tuple(MappingProxyType(dict(p)) for p in parts)


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message in OpenAI's shape.

    ``content`` is text, a tuple of parts (text, ``image_url``) or ``None`` (an
    assistant turn that only calls tools).
    """

    role: str
    content: str | tuple[ContentPart, ...] | None = None
    name: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] | None = None
    tool_call_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not self.role:
            raise ValueError("message role must be a non-empty string")
        if isinstance(self.content, list | tuple):
            object.__setattr__(self, "content", _freeze_parts(self.content))
        elif self.content is not None and not isinstance(self.content, str):
            raise ValueError("message content must be text, a list of parts, or null")
        if self.tool_calls is not None:
            object.__setattr__(self, "tool_calls", _freeze_parts(self.tool_calls))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Build a message from an OpenAI-style dict; unknown keys are an error."""
        allowed = {"role", "content", "name", "tool_calls", "tool_call_id"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown message field(s): {', '.join(sorted(unknown))}")
        if "role" not in data:
            raise ValueError("message is missing 'role'")
        return cls(
            role=data["role"],
            content=data.get("content"),
            name=data.get("name"),
            tool_calls=data.get("tool_calls"),
            tool_call_id=data.get("tool_call_id"),
        )

    def text(self) -> str:
        """The message's text: the content itself, or its text parts joined."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")

    def has_image(self) -> bool:
        """Whether any content part is an image."""
        if not isinstance(self.content, tuple):
            return False
        return any(p.get("type") in ("image_url", "image", "input_image") for p in self.content)


def _new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, init=False)
class ChatRequest:
    """A chat request, independent of any provider.

    ``messages`` accepts :class:`Message` objects or OpenAI-style dicts. ``task`` is
    an explicit task hint that bypasses detection; ``deadline_s`` overrides the
    policy's request-wide deadline (retries and failovers share it); ``extra``
    carries provider-specific options passed through to the upstream body.
    ``deadline_at`` is set by the router: the absolute time (on the layers' clock)
    by which the stream must have committed; retries never wait past it.
    """

    messages: tuple[Message, ...]
    model: str | None
    max_tokens: int | None
    temperature: float | None
    top_p: float | None
    stop: tuple[str, ...] | None
    tools: tuple[Mapping[str, Any], ...] | None
    tool_choice: str | Mapping[str, Any] | None
    task: str | None
    metadata: Mapping[str, Any]
    request_id: str
    deadline_s: float | None
    extra: Mapping[str, Any]
    deadline_at: float | None

    def __init__(
        self,
        messages: Sequence[Message | Mapping[str, Any]],
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        task: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        deadline_s: float | None = None,
        extra: Mapping[str, Any] | None = None,
        deadline_at: float | None = None,
    ) -> None:
        if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
            raise ValueError("messages must be a list of messages")
        if not messages:
            raise ValueError("messages must not be empty")
        if deadline_s is not None and deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        put = object.__setattr__
        put(
            self,
            "messages",
            tuple(m if isinstance(m, Message) else Message.from_dict(m) for m in messages),
        )
        put(self, "model", model)
        put(self, "max_tokens", max_tokens)
        put(self, "temperature", temperature)
        put(self, "top_p", top_p)
        put(
            self,
            "stop",
            (stop,) if isinstance(stop, str) else None if stop is None else tuple(stop),
        )
        put(self, "tools", None if tools is None else _freeze_parts(tools))
        put(self, "tool_choice", tool_choice)
        put(self, "task", task)
        put(self, "metadata", MappingProxyType(dict(metadata or {})))
        put(self, "request_id", request_id or _new_request_id())
        put(self, "deadline_s", deadline_s)
        put(self, "extra", MappingProxyType(dict(extra or {})))
        put(self, "deadline_at", deadline_at)

    def replace(self, **changes: Any) -> ChatRequest:
        """A copy with ``changes`` applied (``dataclasses.replace`` for this class)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return ChatRequest(**fields)

    def last_user_text(self) -> str:
        """Text of the last user turn (empty if there is none)."""
        for m in reversed(self.messages):
            if m.role == "user":
                return m.text()
        return ""

    def system_text(self) -> str:
        """All system (and developer) messages' text, joined."""
        return "\n".join(m.text() for m in self.messages if m.role in ("system", "developer"))


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage reported by the upstream."""

    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call: ``id`` and ``name`` arrive once, arguments in pieces."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments_delta: str = ""


@dataclass(frozen=True, slots=True, init=False)
class StreamChunk:
    """One piece of a streamed answer, never empty.

    ``text`` is the text delta, ``thinking`` a reasoning delta kept apart from text,
    ``tool_calls`` tool-call deltas. The last chunk of a complete stream carries
    ``finish_reason`` (normalised) and ``raw_finish_reason``, and ``usage`` if known.
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
    ) -> None:
        # Built once per chunk; a frozen dataclass's own __init__ (object.__setattr__ per
        # field) costs ~3x this. The instance briefly wears its mutable twin class (same
        # slots, see _chunk.py), gets plain stores, and is a StreamChunk again before
        # anyone can see it. Subclasses take the generic path.
        if type(self) is not StreamChunk:
            values = (text, provider, model, index, finish_reason, tool_calls, usage)
            for name, value in zip(
                _CHUNK_FIELDS, (*values, raw_finish_reason, thinking), strict=True
            ):
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
    """An accumulated stream (see :func:`llm_router.complete`)."""

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
