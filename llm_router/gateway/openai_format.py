"""OpenAI Chat Completions responses: ``chat.completion.chunk`` events and
``chat.completion`` objects, shaped exactly like OpenAI's so its SDKs work unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from llm_router.types import Completion, StreamChunk, Usage

_quote = json.encoder.encode_basestring_ascii  # what json.dumps does to a str, in C


def usage_dict(usage: Usage | None) -> dict[str, Any] | None:
    """OpenAI's ``usage`` object (or ``None``), with ``prompt_tokens_details`` when the
    upstream reported cached input: ``cached_tokens`` (read from the cache) and, as
    OpenRouter names it, ``cache_write_tokens`` (written to it, Anthropic)."""
    if usage is None:
        return None
    out: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
    cached, written = usage.cached_input_tokens, usage.cache_write_input_tokens
    if cached is not None or written is not None:
        details: dict[str, int] = {"cached_tokens": cached or 0}
        if written is not None:
            details["cache_write_tokens"] = written
        out["prompt_tokens_details"] = details
    return out


class ChunkEncoder:
    """Encodes one stream's chunks as ``chat.completion.chunk`` SSE events.

    The envelope (id, created, model) is serialised once, at the first chunk; each
    chunk then costs one small ``json.dumps`` of its delta.
    """

    __slots__ = ("_head", "_include_usage", "_tail", "created", "id", "usage")

    def __init__(self, completion_id: str, created: int, *, include_usage: bool = False):
        self.id = completion_id
        self.created = created
        self._include_usage = include_usage
        self._tail = ',"usage":null}\n\n' if include_usage else "}\n\n"
        self._head = ""
        self.usage: Usage | None = None

    def encode(self, chunk: StreamChunk) -> bytes:
        """One ``data: {...}`` event for ``chunk`` (the first one carries the role)."""
        if (
            self._head
            and chunk.text
            and not chunk.thinking
            and not chunk.tool_calls
            and chunk.finish_reason is None
            and chunk.usage is None
        ):  # the common case: a text delta, one escape instead of a json.dumps
            return (
                f'{self._head}[{{"index":0,"delta":{{"content":{_quote(chunk.text)}}},'
                f'"logprobs":null,"finish_reason":null}}]{self._tail}'
            ).encode()
        delta: dict[str, Any] = {}
        if not self._head:
            self._head = self._envelope(chunk.model)
            delta["role"] = "assistant"
            delta["content"] = chunk.text or None
        elif chunk.text:
            delta["content"] = chunk.text
        if chunk.thinking:
            delta["reasoning_content"] = chunk.thinking
        if chunk.tool_calls:
            calls = []
            for tc in chunk.tool_calls:
                call: dict[str, Any] = {"index": tc.index}
                fn: dict[str, Any] = {"arguments": tc.arguments_delta}
                if tc.id:
                    call["id"] = tc.id
                    call["type"] = "function"
                if tc.name:
                    fn["name"] = tc.name
                call["function"] = fn
                calls.append(call)
            delta["tool_calls"] = calls
        if chunk.usage is not None:
            self.usage = chunk.usage
        if not delta and chunk.finish_reason is None:
            return b""  # nothing Chat Completions shows (a thinking signature, bare usage)
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": None,
            "finish_reason": chunk.finish_reason,
        }
        return f"{self._head}[{json.dumps(choice, separators=(',', ':'))}]{self._tail}".encode()

    def opening(self, first: StreamChunk) -> bytes:
        """The stream's first event: the committed chunk's (with the role)."""
        return self.encode(first)

    def closing(self, first: StreamChunk) -> bytes:
        """The end of a complete stream: the usage event (when asked for) and ``[DONE]``."""
        if self._include_usage:
            return self.usage_event(first.model) + DONE_EVENT
        return DONE_EVENT

    def usage_event(self, model: str) -> bytes:
        """The final usage event (empty ``choices``) of ``stream_options.include_usage``."""
        head = self._head or self._envelope(model)
        usage = json.dumps(usage_dict(self.usage), separators=(",", ":"))
        return f'{head}[],"usage":{usage}}}\n\n'.encode()

    def _envelope(self, model: str) -> str:
        fixed = json.dumps(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": model,
                "system_fingerprint": None,
            },
            separators=(",", ":"),
        )
        return f'data: {fixed[:-1]},"choices":'


DONE_EVENT = b"data: [DONE]\n\n"
"""The OpenAI stream terminator, sent only after a complete answer."""


def completion_body(completion: Completion, completion_id: str, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object for a non-streaming answer."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.text if completion.text or not completion.tool_calls else None,
        "refusal": None,
    }
    if completion.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in completion.tool_calls
        ]
    if completion.thinking:
        message["reasoning_content"] = completion.thinking
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": completion.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": completion.finish_reason or "stop",
            }
        ],
        "usage": usage_dict(completion.usage),
        "system_fingerprint": None,
    }
