"""Decoding OpenAI Chat Completions stream chunks into :class:`StreamChunk` values."""

from __future__ import annotations

from typing import Any

from llm_router import errors
from llm_router.types import FinishReason, StreamChunk, ToolCallDelta, Usage

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def normalise_finish(raw: str) -> FinishReason:
    """OpenAI's finish reason, normalised (unknown values of compatible servers → stop)."""
    return _FINISH.get(raw, "stop")


def error_from_event(err: Any, provider: str, model: str) -> errors.ProviderError:
    """The typed error for an ``{"error": …}`` event inside a 200 stream."""
    if isinstance(err, dict):
        message = str(err.get("message") or "upstream error event")
        kind = f"{err.get('type') or ''} {err.get('code') or ''}".lower()
    else:
        message, kind = str(err), ""
    cls: type[errors.ProviderError] = errors.ServerError
    if "rate_limit" in kind or "rate limit" in message.lower() or "429" in kind:
        cls = errors.RateLimited
    elif "context_length" in kind:
        cls = errors.ContextWindowExceeded
    elif "content_filter" in kind:
        cls = errors.ContentFiltered
    elif "invalid_api_key" in kind or "authentication" in kind:
        cls = errors.AuthError
    return cls(message, provider=provider, model=model)


class OpenAIDecoder:
    """Chat Completions chunks → chunks: text (and ``reasoning_content`` as thinking),
    tool-call deltas, the finish reason and the trailing usage chunk. Role-only
    deltas, Azure's ``prompt_filter_results`` chunk and its content-filter annotation
    chunks produce nothing.

    An ``{"error": …}`` event raises (OpenRouter sends one inside a 200 stream, with
    ``finish_reason: "error"``); a ``finish_reason: "error"`` alone raises too, so a
    failed generation is never passed off as a finished one. With ``await_done``
    (Azure) the stream is read up to ``[DONE]`` after its finish reason (within the
    trailer grace): Azure's asynchronous content filter may deliver its
    ``content_filter`` verdict after the ``stop`` chunk, and that verdict wins."""

    __slots__ = (
        "await_done",
        "finished",
        "model",
        "provider",
        "raw_finish",
        "usage",
        "want_usage",
        "wants_trailer",
    )

    def __init__(
        self, provider: str, model: str, *, want_usage: bool, await_done: bool = False
    ) -> None:
        self.provider = provider
        self.model = model
        self.want_usage = want_usage
        self.await_done = await_done
        self.finished = False
        self.wants_trailer = False
        self.raw_finish: str | None = None
        self.usage: Usage | None = None

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one parsed event."""
        if type(data) is not dict:
            return []
        choices = data.get("choices")
        if type(choices) is list and len(choices) == 1:
            # Fast path for the common chunk: one choice whose delta is only text (the
            # general code below gives the same chunk, with more lookups).
            choice = choices[0]
            delta = choice.get("delta")
            if type(delta) is dict and len(delta) == 1:
                text = delta.get("content")
                if (
                    type(text) is str
                    and text
                    and not choice.get("finish_reason")
                    and not choice.get("index")
                    and not data.get("usage")
                    and data.get("error") is None
                ):
                    return [StreamChunk(text, self.provider, self.model)]
        if data.get("error") is not None:
            raise error_from_event(data["error"], self.provider, self.model)
        usage = data.get("usage")
        if usage:
            self.usage = Usage(
                input_tokens=int(usage.get("prompt_tokens") or 0),
                output_tokens=int(usage.get("completion_tokens") or 0),
            )
            self.wants_trailer = self.await_done
        out: list[StreamChunk] = []
        for choice in choices or ():
            if choice.get("index", 0) != 0:
                continue  # n > 1 is not supported: keep the first answer coherent
            delta = choice.get("delta")
            if delta:
                text = delta.get("content") or ""
                thinking = delta.get("reasoning_content") or delta.get("reasoning") or ""
                calls = delta.get("tool_calls")
                tool_deltas = self._tool_deltas(calls, delta.get("function_call"))
                if text or tool_deltas or thinking:
                    out.append(
                        StreamChunk(
                            text=text,
                            provider=self.provider,
                            model=self.model,
                            tool_calls=tool_deltas,
                            thinking=thinking if isinstance(thinking, str) else "",
                        )
                    )
            raw = choice.get("finish_reason")
            if raw:
                self._finish(str(raw))
        return out

    def _finish(self, raw: str) -> None:
        if raw == "error":
            raise errors.ServerError(
                "upstream ended the stream with finish_reason 'error'",
                provider=self.provider,
                model=self.model,
            )
        if self.raw_finish != "content_filter":  # a filter verdict is never undone
            self.raw_finish = raw
        self.finished = True
        self.wants_trailer = self.await_done or (self.want_usage and self.usage is None)

    @staticmethod
    def _tool_deltas(calls: Any, legacy: Any) -> tuple[ToolCallDelta, ...]:
        if calls:
            deltas = []
            for call in calls:
                fn = call.get("function") or {}
                deltas.append(
                    ToolCallDelta(
                        index=int(call.get("index", 0)),
                        id=call.get("id") or None,
                        name=fn.get("name") or None,
                        arguments_delta=fn.get("arguments") or "",
                    )
                )
            return tuple(deltas)
        if legacy:
            return (
                ToolCallDelta(
                    index=0,
                    id=None,
                    name=legacy.get("name") or None,
                    arguments_delta=legacy.get("arguments") or "",
                ),
            )
        return ()

    def final_chunk(self) -> StreamChunk:
        """The closing chunk: normalised and raw finish reason, and usage if any."""
        raw = self.raw_finish or "stop"
        return StreamChunk(
            text="",
            provider=self.provider,
            model=self.model,
            finish_reason=normalise_finish(raw),
            raw_finish_reason=raw,
            usage=self.usage,
        )


__all__ = ["OpenAIDecoder", "error_from_event", "normalise_finish"]
