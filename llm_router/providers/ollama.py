"""Ollama's native ``POST /api/chat`` NDJSON streaming.

The decoder also accepts ``/api/generate`` lines (``response`` instead of
``message.content``). Sampling options travel under ``options``; an
``{"error": …}`` line inside a 200 stream is a :class:`~llm_router.errors.ServerError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from llm_router import errors
from llm_router.providers._decoder import (
    SHAPE_ERRORS,
    StreamDecoder,
    array,
    count,
    obj,
    protocol_error,
    text,
    wrong,
)
from llm_router.providers._http import HTTPStreamProvider
from llm_router.providers.openai import plain
from llm_router.types import ChatRequest, FinishReason, Message, StreamChunk, ToolCallDelta, Usage


def _ollama_message(m: Message) -> dict[str, Any]:
    item: dict[str, Any] = {"role": m.role, "content": m.text()}
    if isinstance(m.content, tuple):
        images = []
        for part in m.content:
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, Mapping) else url
            if isinstance(url, str) and url.startswith("data:") and "," in url:
                images.append(url.split(",", 1)[1])
        if images:
            item["images"] = images
    if m.tool_calls:
        calls = []
        for call in plain(m.tool_calls):
            fn = call.get("function") or {}
            args = fn.get("arguments")
            if isinstance(args, str):
                try:
                    args = json.loads(args) if args else {}
                except ValueError:
                    args = {}
            calls.append({"function": {"name": fn.get("name"), "arguments": args}})
        item["tool_calls"] = calls
    if m.role == "tool" and m.name:
        item["tool_name"] = m.name
    return item


def ollama_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in Ollama's shape (text content, base64 ``images``, object arguments)."""
    return [_ollama_message(m) for m in messages]


class OllamaDecoder:
    """NDJSON lines → chunks: ``message.content`` / ``response`` text,
    ``message.thinking``, whole tool calls, ``done`` with ``done_reason`` and counts.

    Each tool call arrives whole, once, with object ``arguments``; its ``id`` (sent by
    recent Ollama) is kept, else ``call_<n>`` is made up. The last line may carry text
    as well as ``done``."""

    __slots__ = (
        "finished",
        "model",
        "provider",
        "raw_finish",
        "tools",
        "upstream",
        "usage",
        "wants_trailer",
    )

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.finished = False
        self.wants_trailer = False
        self.raw_finish: str | None = None
        self.usage: Usage | None = None
        self.upstream: str | None = None
        self.tools = 0

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one parsed line; a line of the wrong shape is a ``ProtocolError``."""
        try:
            if type(data) is not dict:
                raise wrong("the line", data, "an object")
            if data.get("error") is not None:
                raise errors.ServerError(
                    str(data["error"]) or "upstream error", provider=self.provider, model=self.model
                )
            if self.upstream is None:
                self.upstream = text(data.get("model"), "model") or None
            message = data.get("message")
            if type(message) is not dict:
                message = obj(message, "message") or {}
            piece = message.get("content")
            if type(piece) is not str or not piece:  # /api/generate: ``response``
                piece = text(piece, "message.content") or text(data.get("response"), "response")
            mt, dt = message.get("thinking"), data.get("thinking")
            thinking = (
                ""
                if mt is None and dt is None
                else text(mt, "message.thinking") or text(dt, "thinking")
            )
            calls = message.get("tool_calls")
            deltas = self._calls(array(calls, "message.tool_calls")) if calls is not None else ()
            out: list[StreamChunk] = []
            if piece or thinking or deltas:
                out.append(
                    StreamChunk(
                        text=piece,
                        provider=self.provider,
                        model=self.model,
                        tool_calls=deltas,
                        thinking=thinking,
                    )
                )
            done = data.get("done")
            if done is not None and type(done) is not bool:
                raise wrong("done", done, "a boolean")
            if done:
                self.finished = True
                self.raw_finish = text(data.get("done_reason"), "done_reason") or "stop"
                if "prompt_eval_count" in data or "eval_count" in data:
                    self.usage = Usage(
                        input_tokens=count(data.get("prompt_eval_count"), "prompt_eval_count") or 0,
                        output_tokens=count(data.get("eval_count"), "eval_count") or 0,
                    )
            return out
        except SHAPE_ERRORS as exc:
            raise protocol_error(exc, self.provider, self.model) from exc

    def _calls(self, calls: list[Any]) -> tuple[ToolCallDelta, ...]:
        """Whole tool calls (object or string ``arguments``), numbered in stream order."""
        deltas: list[ToolCallDelta] = []
        for call in calls:
            if type(call) is not dict:
                raise wrong("message.tool_calls[]", call, "an object")
            fn = obj(call.get("function"), "tool_calls[].function") or {}
            args = fn.get("arguments")
            if type(args) is not str:
                args = json.dumps(obj(args, "tool_calls[].function.arguments") or {})
            deltas.append(
                ToolCallDelta(
                    index=self.tools,
                    id=text(call.get("id"), "tool_calls[].id") or f"call_{self.tools}",
                    name=text(fn.get("name"), "tool_calls[].function.name") or None,
                    arguments_delta=args,
                )
            )
            self.tools += 1
        return tuple(deltas)

    def final_chunk(self) -> StreamChunk:
        """The closing chunk (``tool_calls`` when the model called tools)."""
        raw = self.raw_finish or "stop"
        finish: FinishReason = "length" if raw == "length" else "stop"
        if self.tools and finish == "stop":
            finish = "tool_calls"
        return StreamChunk(
            text="",
            provider=self.provider,
            model=self.model,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=self.usage,
            upstream_model=self.upstream,
        )


class OllamaProvider(HTTPStreamProvider):
    """Ollama's native chat API. ``api_key`` is optional (sent as a Bearer token, e.g.
    behind a proxy or Ollama's cloud; ``None`` reads ``OLLAMA_API_KEY`` if set)."""

    wire: ClassVar[Literal["sse", "ndjson"]] = "ndjson"
    env_var: ClassVar[str] = "OLLAMA_API_KEY"

    default_base_url: ClassVar[str] = "http://localhost:11434"
    default_name: ClassVar[str] = "ollama"
    key_required: ClassVar[bool] = False

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """URL, headers and body of a streaming ``/api/chat`` call."""
        headers = {"Accept": "application/x-ndjson"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        headers.update(self.extra_headers)
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.top_p is not None:
            options["top_p"] = request.top_p
        if request.stop is not None:
            options["stop"] = list(request.stop)
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        extra = plain(request.extra)
        options.update(extra.pop("options", None) or {})
        body: dict[str, Any] = {
            "model": model,
            "messages": ollama_messages(request.messages),
            "stream": True,
        }
        if options:
            body["options"] = options
        if request.tools is not None:
            body["tools"] = plain(request.tools)
        body.update(extra)
        return f"{self.base_url}/api/chat", headers, body

    def new_decoder(self, model: str) -> StreamDecoder:
        """An NDJSON chat/generate line decoder."""
        return OllamaDecoder(self.name, model)


__all__ = ["OllamaDecoder", "OllamaProvider", "ollama_messages"]
