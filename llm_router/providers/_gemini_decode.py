"""Gemini ``streamGenerateContent?alt=sse`` payloads → :class:`StreamChunk` (docs/DESIGN.md §2).

Every SSE event is a whole ``GenerateContentResponse``. Only the first candidate is
read (the router never asks for more).

Usage. Each event's ``usageMetadata`` is a cumulative snapshot, and the event with the
``finishReason`` carries the final one, so the stream ends there without waiting for
more. Counts that are zero are left out of the JSON (``candidatesTokenCount`` is absent
when a thinking model spent its whole budget thinking), so an absent count is 0.
``totalTokenCount`` = prompt + candidates + tool-use prompt + thoughts;
``Usage.input_tokens`` is ``promptTokenCount`` (which includes cached content) plus
``toolUsePromptTokenCount``, ``Usage.output_tokens`` is ``candidatesTokenCount`` plus
``thoughtsTokenCount`` (thinking is billed as output), ``Usage.cached_input_tokens``
``cachedContentTokenCount`` (a part of ``promptTokenCount``). Chunks carry the
deployment's model; ``modelVersion`` goes on the closing chunk as ``upstream_model``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llm_router import errors
from llm_router.providers._decoder import (
    SHAPE_ERRORS,
    array,
    count,
    obj,
    protocol_error,
    text,
    wrong,
)
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


class GeminiDecoder:
    """Decodes one Gemini stream. ``finished`` turns true with a ``finishReason``;
    ``wants_trailer`` is true only when that event carried no ``usageMetadata``, until
    a later event brings it."""

    __slots__ = (
        "_cached",
        "_input",
        "_model",
        "_output",
        "_provider",
        "_raw_finish",
        "_tools",
        "_upstream",
        "finished",
        "wants_trailer",
    )

    def __init__(self, provider: str, model: str) -> None:
        self._provider = provider
        self._model = model
        self._tools = 0
        self._input: int | None = None
        self._output: int | None = None
        self._cached: int | None = None
        self._upstream: str | None = None
        self._raw_finish: str | None = None
        self.finished = False
        self.wants_trailer = False

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one payload; raises for an error payload or a blocked prompt, and a
        :class:`~llm_router.errors.ProtocolError` for a payload of the wrong shape."""
        try:
            if type(data) is not dict:
                raise wrong("the event", data, "an object")
            if data.get("error") is not None:
                raise self._error_event(data["error"])
            model = text(data.get("modelVersion"), "modelVersion")
            if model:
                self._upstream = model
            has_usage = self._usage(obj(data.get("usageMetadata"), "usageMetadata"))
            if has_usage:
                self.wants_trailer = False
            candidates = array(data.get("candidates"), "candidates")
            if not candidates:
                self._blocked(obj(data.get("promptFeedback"), "promptFeedback"))
                return []
            candidate = candidates[0]
            if type(candidate) is not dict:
                raise wrong("candidates[0]", candidate, "an object")
            chunks = self._parts(obj(candidate.get("content"), "candidates[0].content"))
            finish = text(candidate.get("finishReason"), "candidates[0].finishReason")
            if finish and finish != "FINISH_REASON_UNSPECIFIED":
                if not self.finished:
                    self.wants_trailer = not has_usage
                self._raw_finish = finish
                self.finished = True
            return chunks
        except SHAPE_ERRORS as exc:
            raise protocol_error(exc, self._provider, self._model) from exc

    def _error_event(self, payload: Any) -> errors.ProviderError:
        if type(payload) is not dict:
            raise wrong("error", payload, "an object")
        return error_from_payload(
            payload, provider=self._provider, model=self._model
        ) or errors.ServerError(
            str(payload.get("message") or "upstream error event"),
            provider=self._provider,
            model=self._model,
        )

    def final_chunk(self) -> StreamChunk:
        """The closing chunk: normalised and raw finish reason, and usage when known."""
        raw = self._raw_finish
        finish = FINISH_REASONS.get(raw or "", "stop")
        if finish == "stop" and self._tools:
            finish = "tool_calls"
        usage = None
        if self._input is not None or self._output is not None:
            usage = Usage(
                input_tokens=self._input or 0,
                output_tokens=self._output or 0,
                cached_input_tokens=self._cached,
            )
        return StreamChunk(
            text="",
            provider=self._provider,
            model=self._model,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=usage,
            upstream_model=self._upstream,
        )

    def _usage(self, meta: dict[str, Any] | None) -> bool:
        """Record a usage snapshot (absent counts are 0); false when there is none."""
        if meta is None:
            return False
        counts = {k: count(v, k) or 0 for k, v in meta.items() if k.endswith("TokenCount")}
        self._input = counts.get("promptTokenCount", 0) + counts.get("toolUsePromptTokenCount", 0)
        self._output = counts.get("candidatesTokenCount", 0) + counts.get("thoughtsTokenCount", 0)
        self._cached = counts.get("cachedContentTokenCount")
        return True

    def _blocked(self, feedback: dict[str, Any] | None) -> None:
        reason = text(feedback.get("blockReason"), "promptFeedback.blockReason") if feedback else ""
        if feedback and reason:
            message = str(feedback.get("blockReasonMessage") or "prompt blocked")
            raise errors.ContentFiltered(
                f"{reason}: {message}", provider=self._provider, model=self._model
            )

    def _parts(self, content: dict[str, Any] | None) -> list[StreamChunk]:
        parts = array(content.get("parts"), "content.parts") if content else []
        chunks: list[StreamChunk] = []
        for part in parts:
            if type(part) is not dict:
                raise wrong("content.parts[]", part, "an object")
            piece = text(part.get("text"), "parts[].text")
            call = obj(part.get("functionCall"), "parts[].functionCall")
            if piece:
                thought = part.get("thought") is True
                chunks.append(
                    StreamChunk(
                        text="" if thought else piece,
                        provider=self._provider,
                        model=self._model,
                        thinking=piece if thought else "",
                    )
                )
            elif call is not None:
                chunks.append(self._call(call))
        return chunks

    def _call(self, call: dict[str, Any]) -> StreamChunk:
        # Gemini sends each function call whole; ids are new (and optional) in its API,
        # so one is synthesised from the call's ordinal when absent.
        ordinal = self._tools
        args = obj(call.get("args"), "functionCall.args")
        delta = ToolCallDelta(
            index=ordinal,
            id=text(call.get("id"), "functionCall.id") or f"call_{ordinal}",
            name=text(call.get("name"), "functionCall.name"),
            arguments_delta=json.dumps(args or {}),
        )
        self._tools += 1
        return StreamChunk(text="", provider=self._provider, model=self._model, tool_calls=(delta,))
