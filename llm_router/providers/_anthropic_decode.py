"""Anthropic Messages streaming events → :class:`StreamChunk` (docs/DESIGN.md §2).

A pure, synchronous decoder: the HTTP base feeds it one parsed SSE event at a time
and asks for the closing chunk once the stream has ended normally.

Usage. Anthropic splits the prompt into three disjoint counts: ``input_tokens`` (only
the tokens after the last cache breakpoint), ``cache_creation_input_tokens`` and
``cache_read_input_tokens``; its docs give ``total_input_tokens`` as their sum.
``Usage.input_tokens`` is that sum, the whole prompt, as OpenAI's ``prompt_tokens`` and
Gemini's ``promptTokenCount`` (both include cached tokens). Every count in a
``message_delta`` is cumulative (not an increment), so each one present replaces the
value of ``message_start``; a count a ``message_delta`` leaves out keeps its
``message_start`` value, as in Anthropic's SDK. ``output_tokens`` is the last one seen.
``cache_read_input_tokens`` is also ``Usage.cached_input_tokens`` and
``cache_creation_input_tokens`` ``Usage.cache_write_input_tokens``.

Chunks carry the deployment's model; the model ``message_start`` names goes on the
closing chunk as ``upstream_model``. With ``json_tool`` (the forced tool that carries a
``response_format``, see :mod:`._anthropic_request`), that tool's input streams as the
answer's text, and a turn that ends by calling it ends as ``stop``.

Thinking arrives as ``thinking`` deltas; the ``signature_delta`` that closes a thinking
block, and a ``redacted_thinking`` block whole, arrive as a chunk's ``signature``
(:class:`~llm_router.types.ThinkingSignature`), so a client can send them back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llm_router.providers._anthropic_errors import STOP_REASONS
from llm_router.providers._anthropic_errors import error_from_payload as error_from_payload
from llm_router.providers._decoder import (
    SHAPE_ERRORS,
    count,
    index,
    obj,
    protocol_error,
    string,
    text,
    wrong,
)
from llm_router.types import StreamChunk, ThinkingSignature, ToolCallDelta, Usage

_INPUT_COUNTS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
"""The disjoint parts of an Anthropic prompt; their sum is the whole prompt."""

JSON_BLOCK = -1
"""The block ordinal of the response tool's input (streamed as text, not a tool call)."""


class AnthropicDecoder:
    """Decodes one Anthropic stream. ``finished`` turns true with a ``stop_reason``
    (``message_delta``); ``wants_trailer`` stays true until ``message_stop`` so the
    base waits briefly for it."""

    __slots__ = (
        "_blocks",
        "_input",
        "_json_tool",
        "_model",
        "_output",
        "_pending_args",
        "_provider",
        "_stop_reason",
        "_tools",
        "_upstream",
        "finished",
        "wants_trailer",
    )

    def __init__(self, provider: str, model: str, json_tool: str | None = None) -> None:
        self._provider = provider
        self._model = model
        self._upstream: str | None = None
        self._json_tool = json_tool
        # content-block index → tool-call ordinal (JSON_BLOCK: the json_tool's input)
        self._blocks: dict[int, int] = {}
        # tool calls whose arguments have not started yet → their start-event input
        self._pending_args: dict[int, Any] = {}
        self._tools = 0
        # input_tokens, cache_creation_input_tokens, cache_read_input_tokens
        self._input: dict[str, int] = {}
        self._output: int | None = None
        self._stop_reason: str | None = None
        self.finished = False
        self.wants_trailer = False

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one event (none for bookkeeping events); raises for ``error``, and
        a :class:`~llm_router.errors.ProtocolError` for a known event of the wrong shape."""
        try:
            if type(data) is not dict:
                raise wrong("the event", data, "an object")
            kind = data.get("type") or event
            if kind == "content_block_delta":
                return self._delta(data)
            if kind == "content_block_start":
                return self._block_start(data)
            if kind == "message_start":
                self._message_start(obj(data.get("message"), "message"))
            elif kind == "message_delta":
                self._message_delta(data)
            elif kind == "content_block_stop":
                return self._block_stop(data)
            elif kind == "message_stop":
                self.finished = True
                self.wants_trailer = False
            elif kind == "error":
                payload = data.get("error")
                payload = payload if isinstance(payload, Mapping) else {}
                raise error_from_payload(payload, provider=self._provider, model=self._model)
            elif type(kind) is not str:
                raise wrong("type", kind, "a string")
            # ping and unknown (future) event types are consumed.
            return []
        except SHAPE_ERRORS as exc:
            raise protocol_error(exc, self._provider, self._model) from exc

    def final_chunk(self) -> StreamChunk:
        """The closing chunk: normalised and raw stop reason, and usage when known."""
        raw = self._stop_reason
        usage = None
        if self._input or self._output is not None:
            usage = Usage(
                input_tokens=sum(self._input.values()),
                output_tokens=self._output or 0,
                cached_input_tokens=self._input.get("cache_read_input_tokens"),
                cache_write_input_tokens=self._input.get("cache_creation_input_tokens"),
            )
        finish = STOP_REASONS.get(raw or "", "stop")
        if finish == "tool_calls" and not self._tools and JSON_BLOCK in self._blocks.values():
            # the turn called only the response tool: its input was the answer
            finish = "stop"
        return StreamChunk(
            text="",
            provider=self._provider,
            model=self._model,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=usage,
            upstream_model=self._upstream,
        )

    def _chunk(
        self,
        text: str = "",
        thinking: str = "",
        tool: ToolCallDelta | None = None,
        signature: ThinkingSignature | None = None,
    ) -> list[StreamChunk]:
        return [
            StreamChunk(
                text=text,
                provider=self._provider,
                model=self._model,
                tool_calls=() if tool is None else (tool,),
                thinking=thinking,
                signature=signature,
            )
        ]

    def _usage(self, usage: Any) -> None:
        usage = obj(usage, "usage")
        if not usage:
            return
        for key in _INPUT_COUNTS:
            if (n := count(usage.get(key), key)) is not None:
                self._input[key] = n
        if (n := count(usage.get("output_tokens"), "output_tokens")) is not None:
            self._output = n

    def _message_start(self, message: dict[str, Any] | None) -> None:
        if not message:
            return
        model = text(message.get("model"), "message.model")
        if model:
            self._upstream = model
        self._usage(message.get("usage"))

    def _message_delta(self, data: dict[str, Any]) -> None:
        self._usage(data.get("usage"))
        delta = obj(data.get("delta"), "message_delta.delta")
        stop = text(delta.get("stop_reason"), "delta.stop_reason") if delta else ""
        if stop:
            self._stop_reason = stop
            if not self.finished:
                self.finished = True
                self.wants_trailer = True

    def _block_start(self, data: dict[str, Any]) -> list[StreamChunk]:
        block = data.get("content_block")
        if type(block) is not dict:
            raise wrong("content_block", block, "an object")
        kind = block.get("type")
        json_tool = self._json_tool
        if kind == "tool_use" and json_tool and text(block.get("name"), "name") == json_tool:
            ordinal = self._blocks[index(data.get("index"), "index")] = JSON_BLOCK
            self._pending_args[ordinal] = block.get("input")
            return []
        if kind == "tool_use":  # server tools run at Anthropic: not the caller's calls
            ordinal = self._blocks[index(data.get("index"), "index")] = self._tools
            self._tools += 1
            self._pending_args[ordinal] = block.get("input")
            return self._chunk(
                tool=ToolCallDelta(
                    index=ordinal,
                    id=text(block.get("id"), "content_block.id"),
                    name=text(block.get("name"), "content_block.name"),
                )
            )
        if kind == "text":
            piece = text(block.get("text"), "content_block.text")
            return self._chunk(text=piece) if piece else []
        if kind == "thinking":
            thinking = text(block.get("thinking"), "content_block.thinking")
            return self._chunk(thinking=thinking) if thinking else []
        if kind == "redacted_thinking":
            sealed = text(block.get("data"), "content_block.data")
            return self._chunk(signature=ThinkingSignature(sealed, redacted=True)) if sealed else []
        return []

    def _delta(self, data: dict[str, Any]) -> list[StreamChunk]:
        delta = data.get("delta")
        if type(delta) is not dict:
            raise wrong("content_block_delta.delta", delta, "an object")
        kind = delta.get("type")
        if kind == "text_delta":
            piece = string(delta.get("text"), "text_delta.text")
            return self._chunk(text=piece) if piece else []
        if kind == "input_json_delta":
            piece = string(delta.get("partial_json"), "input_json_delta.partial_json")
            # None: a server tool's block (run at Anthropic), not one of the caller's calls
            ordinal = self._blocks.get(index(data.get("index"), "index"))
            if not piece or ordinal is None:
                return []
            self._pending_args.pop(ordinal, None)
            if ordinal == JSON_BLOCK:
                return self._chunk(text=piece)
            return self._chunk(tool=ToolCallDelta(index=ordinal, arguments_delta=piece))
        if kind == "thinking_delta":
            thinking = string(delta.get("thinking"), "thinking_delta.thinking")
            return self._chunk(thinking=thinking) if thinking else []
        if kind == "signature_delta":
            signature = string(delta.get("signature"), "signature_delta.signature")
            return self._chunk(signature=ThinkingSignature(signature)) if signature else []
        # citations_delta and future delta types are consumed.
        return []

    def _block_stop(self, data: dict[str, Any]) -> list[StreamChunk]:
        # A tool call that streamed no argument pieces (no parameters, or a proxy that
        # sends the input whole in content_block_start) still gets valid JSON.
        ordinal = self._blocks.get(index(data.get("index"), "index"))
        if ordinal is None or ordinal not in self._pending_args:
            return []
        start_input = self._pending_args.pop(ordinal)
        args = json.dumps(start_input if isinstance(start_input, Mapping) else {})
        if ordinal == JSON_BLOCK:
            return self._chunk(text=args)
        return self._chunk(tool=ToolCallDelta(index=ordinal, arguments_delta=args))
