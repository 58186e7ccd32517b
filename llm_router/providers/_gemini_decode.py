"""Gemini ``streamGenerateContent?alt=sse`` payloads → :class:`StreamChunk` (SPEC §2).

Every SSE event is a whole ``GenerateContentResponse``. Only the first candidate is
read (the router never asks for more).

Usage. Each event's ``usageMetadata`` is a cumulative snapshot, and the event with the
``finishReason`` carries the final one, so the stream ends there without waiting for
more. Counts that are zero are left out of the JSON (``candidatesTokenCount`` is absent
when a thinking model spent its whole budget thinking), so an absent count is 0.
``totalTokenCount`` = prompt + candidates + tool-use prompt + thoughts;
``Usage.input_tokens`` is ``promptTokenCount`` (which includes cached content) plus
``toolUsePromptTokenCount``, ``Usage.output_tokens`` is ``candidatesTokenCount`` plus
``thoughtsTokenCount`` (thinking is billed as output).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llm_router import errors
from llm_router.types import FinishReason, StreamChunk, ToolCallDelta, Usage

FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
"""Gemini ``finishReason`` → normalised finish reason (unknown values → ``stop``; a turn
that called functions and stopped normally → ``tool_calls``)."""

STATUS_ERRORS: dict[str, type[errors.ProviderError]] = {
    "RESOURCE_EXHAUSTED": errors.RateLimited,
    "UNAVAILABLE": errors.ServerError,
    "INTERNAL": errors.ServerError,
    "DEADLINE_EXCEEDED": errors.ServerError,
    "UNKNOWN": errors.ServerError,
    "PERMISSION_DENIED": errors.AuthError,
    "UNAUTHENTICATED": errors.AuthError,
    "INVALID_ARGUMENT": errors.BadRequest,
    "FAILED_PRECONDITION": errors.BadRequest,
    "NOT_FOUND": errors.BadRequest,
}
"""Google RPC ``status`` → error class."""

_TOO_LONG = ("token count", "too long", "exceeds the maximum number of tokens", "token limit")


def error_from_payload(
    payload: Mapping[str, Any], *, provider: str, model: str, status: int | None = None
) -> errors.ProviderError | None:
    """The typed error for a Google error object ``{"code", "message", "status"}``, or
    ``None`` when its ``status`` is not one this module knows."""
    rpc = str(payload.get("status") or "")
    message = str(payload.get("message") or rpc or "unknown error")
    cls = STATUS_ERRORS.get(rpc)
    if cls is None:
        return None
    if cls is errors.BadRequest and any(s in message.lower() for s in _TOO_LONG):
        cls = errors.ContextWindowExceeded
    return cls(f"{rpc}: {message}", provider=provider, status=status, model=model)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class GeminiDecoder:
    """Decodes one Gemini stream. ``finished`` turns true with a ``finishReason``;
    ``wants_trailer`` is true only when that event carried no ``usageMetadata``, until
    a later event brings it."""

    __slots__ = (
        "_input",
        "_model",
        "_output",
        "_provider",
        "_raw_finish",
        "_tools",
        "finished",
        "wants_trailer",
    )

    def __init__(self, provider: str, model: str) -> None:
        self._provider = provider
        self._model = model
        self._tools = 0
        self._input: int | None = None
        self._output: int | None = None
        self._raw_finish: str | None = None
        self.finished = False
        self.wants_trailer = False

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one payload; raises for an error payload or a blocked prompt."""
        if not isinstance(data, Mapping):
            return []
        if isinstance(data.get("error"), Mapping):
            payload = data["error"]
            raise error_from_payload(
                payload, provider=self._provider, model=self._model
            ) or errors.ServerError(
                str(payload.get("message") or "upstream error event"),
                provider=self._provider,
                model=self._model,
            )
        if isinstance(data.get("modelVersion"), str) and data["modelVersion"]:
            self._model = data["modelVersion"]
        has_usage = self._usage(data.get("usageMetadata"))
        if has_usage:
            self.wants_trailer = False
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            self._blocked(data.get("promptFeedback"))
            return []
        candidate = candidates[0] if isinstance(candidates[0], Mapping) else {}
        chunks = self._parts(candidate.get("content"))
        finish = candidate.get("finishReason")
        if isinstance(finish, str) and finish and finish != "FINISH_REASON_UNSPECIFIED":
            if not self.finished:
                self.wants_trailer = not has_usage
            self._raw_finish = finish
            self.finished = True
        return chunks

    def final_chunk(self) -> StreamChunk:
        """The closing chunk: normalised and raw finish reason, and usage when known."""
        raw = self._raw_finish
        finish = FINISH_REASONS.get(raw or "", "stop")
        if finish == "stop" and self._tools:
            finish = "tool_calls"
        usage = None
        if self._input is not None or self._output is not None:
            usage = Usage(input_tokens=self._input or 0, output_tokens=self._output or 0)
        return StreamChunk(
            text="",
            provider=self._provider,
            model=self._model,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=usage,
        )

    def _usage(self, meta: Any) -> bool:
        """Record a usage snapshot (absent counts are 0); false when there is none."""
        if not isinstance(meta, Mapping):
            return False
        counts = {k: _int(v) or 0 for k, v in meta.items() if k.endswith("TokenCount")}
        self._input = counts.get("promptTokenCount", 0) + counts.get("toolUsePromptTokenCount", 0)
        self._output = counts.get("candidatesTokenCount", 0) + counts.get("thoughtsTokenCount", 0)
        return True

    def _blocked(self, feedback: Any) -> None:
        if isinstance(feedback, Mapping) and feedback.get("blockReason"):
            reason = str(feedback["blockReason"])
            message = str(feedback.get("blockReasonMessage") or "prompt blocked")
            raise errors.ContentFiltered(
                f"{reason}: {message}", provider=self._provider, model=self._model
            )

    def _parts(self, content: Any) -> list[StreamChunk]:
        parts = content.get("parts") if isinstance(content, Mapping) else None
        if not isinstance(parts, list):
            return []
        chunks: list[StreamChunk] = []
        for part in parts:
            if not isinstance(part, Mapping):
                continue
            text = part.get("text")
            call = part.get("functionCall")
            if isinstance(text, str) and text:
                thought = part.get("thought") is True
                chunks.append(
                    StreamChunk(
                        text="" if thought else text,
                        provider=self._provider,
                        model=self._model,
                        thinking=text if thought else "",
                    )
                )
            elif isinstance(call, Mapping):
                chunks.append(self._call(call))
        return chunks

    def _call(self, call: Mapping[str, Any]) -> StreamChunk:
        # Gemini sends each function call whole; ids are new (and optional) in its API,
        # so one is synthesised from the call's ordinal when absent.
        ordinal = self._tools
        self._tools += 1
        args = call.get("args")
        delta = ToolCallDelta(
            index=ordinal,
            id=str(call.get("id") or f"call_{ordinal}"),
            name=str(call.get("name") or ""),
            arguments_delta=json.dumps(args if isinstance(args, Mapping) else {}),
        )
        return StreamChunk(text="", provider=self._provider, model=self._model, tool_calls=(delta,))
