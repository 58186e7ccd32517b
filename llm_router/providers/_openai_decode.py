"""Decoding OpenAI Chat Completions stream chunks into :class:`StreamChunk` values."""

from __future__ import annotations

from typing import Any

from llm_router import errors
from llm_router.providers._decoder import (
    SHAPE_ERRORS,
    array,
    count,
    index,
    obj,
    protocol_error,
    text,
    wrong,
)
from llm_router.providers._openai_text import TextTemplate, learn, plain_text
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


def _usage(usage: dict[str, Any]) -> Usage:
    """OpenAI's ``usage`` object: prompt and completion tokens, and the prompt's cached
    part (``prompt_tokens_details.cached_tokens``; OpenRouter adds ``cache_write_tokens``)."""
    details = obj(usage.get("prompt_tokens_details"), "usage.prompt_tokens_details") or {}
    return Usage(
        input_tokens=count(usage.get("prompt_tokens"), "usage.prompt_tokens") or 0,
        output_tokens=count(usage.get("completion_tokens"), "usage.completion_tokens") or 0,
        cached_input_tokens=count(details.get("cached_tokens"), "cached_tokens"),
        cache_write_input_tokens=count(details.get("cache_write_tokens"), "cache_write_tokens"),
    )


def _tool_deltas(calls: list[Any], legacy: dict[str, Any] | None) -> tuple[ToolCallDelta, ...]:
    """Tool-call deltas of one delta (``tool_calls``, else the legacy ``function_call``).
    The common types are checked inline (this runs for every argument piece)."""
    if calls:
        deltas = []
        for call in calls:
            if type(call) is not dict:
                raise wrong("delta.tool_calls[]", call, "an object")
            fn = call.get("function")
            if type(fn) is not dict:
                fn = obj(fn, "tool_calls[].function") or {}
            i, id_ = call.get("index"), call.get("id")
            name, args = fn.get("name"), fn.get("arguments")
            if type(i) is not int or i < 0:
                i = index(i, "tool_calls[].index")
            if id_ is not None and type(id_) is not str:
                raise wrong("tool_calls[].id", id_, "a string")
            if name is not None and type(name) is not str:
                raise wrong("tool_calls[].function.name", name, "a string")
            if type(args) is not str:
                args = text(args, "tool_calls[].function.arguments")
            deltas.append(ToolCallDelta(i, id_ or None, name or None, args))
        return tuple(deltas)
    if legacy:
        return (
            ToolCallDelta(
                index=0,
                id=None,
                name=text(legacy.get("name"), "function_call.name") or None,
                arguments_delta=text(legacy.get("arguments"), "function_call.arguments"),
            ),
        )
    return ()


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
    ``content_filter`` verdict after the ``stop`` chunk, and that verdict wins.

    Every field read is type-checked: an event of the wrong shape (``{"choices": "x"}``,
    a non-string ``content``, a non-integer tool-call index, non-numeric usage) is a
    :class:`~llm_router.errors.ProtocolError`, never a wrong-typed chunk."""

    __slots__ = (
        "await_done",
        "finished",
        "model",
        "provider",
        "raw_finish",
        "template",
        "tries",
        "upstream",
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
        self.upstream: str | None = None
        self.template: TextTemplate | None = None
        self.tries = 2

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one parsed event; a wrong-shaped event is a ``ProtocolError``."""
        try:
            if type(data) is not dict:
                raise wrong("the event", data, "an object")
            piece = plain_text(data)  # the common chunk: one choice, a text-only delta
            if piece is not None:
                return [StreamChunk(piece, self.provider, self.model)]
            choices = data.get("choices")
            if data.get("error") is not None:
                raise error_from_event(data["error"], self.provider, self.model)
            if self.upstream is None:  # the first chunk (role delta) names it
                self.upstream = text(data.get("model"), "model") or None
            usage = obj(data.get("usage"), "usage")
            if usage:
                self.usage = _usage(usage)
                self.wants_trailer = self.await_done
            return self._choices(array(choices, "choices"))
        except SHAPE_ERRORS as exc:
            raise protocol_error(exc, self.provider, self.model) from exc

    def decode_text(self, raw: str) -> list[StreamChunk] | None:
        """A raw text delta's chunk, unparsed (:mod:`._openai_text`); ``None``: parse it."""
        piece = None if self.template is None else self.template.text(raw)
        return None if piece is None else [StreamChunk(piece, self.provider, self.model)]

    def learn(self, raw: str, data: Any) -> None:
        """Learn the text-delta envelope from a parsed event (two tries per stream)."""
        if self.tries and plain_text(data) is not None:
            self.tries -= 1
            self.template = learn(raw, data) or self.template

    def _choices(self, choices: list[Any]) -> list[StreamChunk]:
        out: list[StreamChunk] = []
        for choice in choices:
            if type(choice) is not dict:
                raise wrong("choices[]", choice, "an object")
            i = choice.get("index")
            if i or (i is not None and type(i) is not int):
                index(i, "choices[].index")  # raises unless it is a valid index
                continue  # n > 1 is not supported: keep the first answer coherent
            delta = choice.get("delta")
            if delta:
                if type(delta) is not dict:
                    raise wrong("choices[].delta", delta, "an object")
                content = delta.get("content")
                if type(content) is not str:
                    content = text(content, "delta.content")
                rc, r = delta.get("reasoning_content"), delta.get("reasoning")
                thinking = (
                    ""
                    if rc is None and r is None
                    else text(rc, "delta.reasoning_content") or text(r, "delta.reasoning")
                )
                calls = delta.get("tool_calls")
                legacy = delta.get("function_call")
                tool_deltas = (
                    _tool_deltas(
                        array(calls, "delta.tool_calls"), obj(legacy, "delta.function_call")
                    )
                    if calls is not None or legacy is not None
                    else ()
                )
                if content or tool_deltas or thinking:
                    out.append(
                        StreamChunk(
                            text=content,
                            provider=self.provider,
                            model=self.model,
                            tool_calls=tool_deltas,
                            thinking=thinking,
                        )
                    )
            elif delta is not None and type(delta) is not dict:
                raise wrong("choices[].delta", delta, "an object")
            raw = choice.get("finish_reason")
            if raw is not None:
                if type(raw) is not str:
                    raise wrong("choices[].finish_reason", raw, "a string")
                if raw:
                    self._finish(raw)
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
            upstream_model=self.upstream,
        )
