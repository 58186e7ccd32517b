"""Ollama's native ``POST /api/chat`` NDJSON streaming.

The decoder also accepts ``/api/generate`` lines (``response`` instead of
``message.content``). The request body is built in :mod:`._ollama_request`; an
``{"error": …}`` line inside a 200 stream is a :class:`~llm_router.errors.ServerError`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from llm_router import errors
from llm_router.capabilities import Capabilities
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
from llm_router.providers._ollama_request import build_body, check, ollama_messages
from llm_router.types import ChatRequest, FinishReason, StreamChunk, ToolCallDelta, Usage


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
    default_capabilities: ClassVar[Capabilities] = Capabilities(vision=False)
    """Most local models read text only (declare ``vision: true`` for llava, gemma3…)."""

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """URL, headers and body of a streaming ``/api/chat`` call (the body:
        :func:`~._ollama_request.build_body`)."""
        headers = {"Accept": "application/x-ndjson"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        headers.update(self.extra_headers)
        return f"{self.base_url}/api/chat", headers, build_body(request, model, provider=self.name)

    def unsupported(self, request: ChatRequest) -> errors.Unsupported | None:
        """An option Ollama cannot honour (a forced tool call, ``logit_bias``…)."""
        return check(request, self.name)

    def new_decoder(self, model: str) -> StreamDecoder:
        """An NDJSON chat/generate line decoder."""
        return OllamaDecoder(self.name, model)


__all__ = ["OllamaDecoder", "OllamaProvider", "ollama_messages"]
