"""Request value types: :class:`Message`, :class:`ChatRequest` and the task names
(re-exported by :mod:`llm_router.types`, their public home).

Both are frozen, slotted dataclasses; their mutable inputs (content parts, tools,
metadata, extras) are copied into read-only mappings at construction, so a request
handed to a layer can never change behind its back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, get_args

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
"""Every task the detector can return (docs/DESIGN.md §4.2), and the only values
``ChatRequest.task`` accepts."""

TASK_NAMES: tuple[TaskName, ...] = get_args(TaskName)
"""The same names as a tuple, in that order."""

ContentPart: TypeAlias = Mapping[str, Any]
"""One part of a multi-part message, in OpenAI's shape (``{"type": "text", ...}``)."""


def _freeze_parts(parts: Sequence[Mapping[str, Any]]) -> tuple[ContentPart, ...]:
    return tuple(MappingProxyType(dict(p)) for p in parts)


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message in OpenAI's shape.

    ``content`` is text, a tuple of parts (text, ``image_url``) or ``None`` (an
    assistant turn that only calls tools). ``reasoning`` holds an assistant turn's
    signed reasoning as its provider wrote it (Anthropic's ``thinking`` blocks with
    their ``signature``, ``redacted_thinking`` blocks), to be sent back verbatim: a model
    with extended thinking needs it to go on after a tool call. Only the provider that
    reads it (Anthropic) sends it; every other leaves it out.
    """

    role: str
    content: str | tuple[ContentPart, ...] | None = None
    name: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] | None = None
    tool_call_id: str | None = None
    reasoning: tuple[Mapping[str, Any], ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not self.role:
            raise ValueError("message role must be a non-empty string")
        if isinstance(self.content, list | tuple):
            object.__setattr__(self, "content", _freeze_parts(self.content))
        elif self.content is not None and not isinstance(self.content, str):
            raise ValueError("message content must be text, a list of parts, or null")
        if self.tool_calls is not None:
            object.__setattr__(self, "tool_calls", _freeze_parts(self.tool_calls))
        if self.reasoning is not None:
            object.__setattr__(self, "reasoning", _freeze_parts(self.reasoning))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Build a message from an OpenAI-style dict; unknown keys are an error."""
        allowed = {"role", "content", "name", "tool_calls", "tool_call_id", "reasoning"}
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
            reasoning=data.get("reasoning"),
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
    an explicit task hint that bypasses detection (one of ``TASK_NAMES``, else a
    ``ValueError``); ``deadline_s`` overrides the policy's request-wide deadline
    (retries and failovers share it); ``extra`` carries provider-specific options
    passed through to the upstream body.
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
        if task is not None and task not in TASK_NAMES:
            shown = task if isinstance(task, str) and len(task) <= 64 else "…"
            raise ValueError(f"unknown task {shown!r}; use one of {', '.join(TASK_NAMES)}")
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
        """A copy with ``changes`` applied (``dataclasses.replace`` for this class).

        Changes to fields ``__init__`` stores as given (``model``, ``deadline_at``,
        the sampling options: what the router changes on every stream) copy the
        other fields as they are instead of converting and validating them again.
        """
        if _AS_GIVEN.issuperset(changes):
            put = object.__setattr__
            new = object.__new__(ChatRequest)
            for name in _FIELDS:
                put(new, name, changes[name] if name in changes else getattr(self, name))
            return new
        fields = {name: getattr(self, name) for name in _FIELDS}
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


_FIELDS = tuple(ChatRequest.__dataclass_fields__)
_AS_GIVEN = frozenset({"model", "max_tokens", "temperature", "top_p", "tool_choice", "deadline_at"})
"""Fields ``ChatRequest.__init__`` stores without converting or checking them."""
