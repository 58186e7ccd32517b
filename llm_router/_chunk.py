"""The mutable twin of :class:`llm_router.types.StreamChunk`, used only inside its
``__init__`` (the fast construction path; see the comment there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llm_router.types import FinishReason, ThinkingSignature, ToolCallDelta, Usage


class _OpenChunk:
    """Same slots, in the same order, as ``StreamChunk`` (checked at import)."""

    __slots__ = (  # noqa: RUF023 - the dataclass field order, as in StreamChunk
        "text",
        "provider",
        "model",
        "index",
        "finish_reason",
        "tool_calls",
        "usage",
        "raw_finish_reason",
        "thinking",
        "upstream_model",
        "signature",
    )
    text: str
    provider: str
    model: str
    index: int
    finish_reason: FinishReason | None
    tool_calls: tuple[ToolCallDelta, ...]
    usage: Usage | None
    raw_finish_reason: str | None
    thinking: str
    upstream_model: str | None
    signature: ThinkingSignature | None
