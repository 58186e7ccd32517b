"""Anthropic Messages responses: the SSE events ``message_start`` … ``message_stop``,
the ``message`` object, and errors as ``{"type": "error", "error": {type, message}}``,
shaped like Anthropic's so its SDKs (and Anthropic-speaking tools) work unchanged.

A stream's chunks become content blocks: text deltas a ``text`` block, thinking deltas
a ``thinking`` block (closed by its ``signature_delta`` when the upstream signed it;
a redacted one is a ``redacted_thinking`` block), each tool call a ``tool_use`` block
whose arguments arrive as ``input_json_delta`` pieces; a block is closed when the next
one starts. The input token count is known only at the end (it comes with the
upstream's usage), so ``message_start`` says 0 and ``message_delta`` carries both
counts, which Anthropic's SDK takes as the totals.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from llm_router.gateway.errors import ErrorInfo
from llm_router.redact import redact_text
from llm_router.types import Completion, StreamChunk, ThinkingSignature, Usage

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
"""Normalised finish reason → Anthropic ``stop_reason`` (``content_filter`` → ``refusal``)."""
_NATIVE = frozenset(
    {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"}
)
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
}


def message_id() -> str:
    """A new ``msg_…`` id."""
    return f"msg_{uuid.uuid4().hex[:24]}"


def stop_reason(finish: str | None, raw: str | None) -> str:
    """The Anthropic ``stop_reason`` for a stream's finish (an Anthropic upstream's own
    value is kept)."""
    if raw in _NATIVE:
        return raw
    if finish == "content_filter":
        return "refusal"
    return STOP_REASONS.get(finish or "stop", "end_turn")


def usage_body(usage: Usage | None) -> dict[str, int]:
    """Anthropic's ``usage`` object (zeros when the upstream reported none).

    Anthropic counts the prompt in three parts, billed at three rates: ``input_tokens``
    (neither read from nor written to the cache), ``cache_read_input_tokens`` and
    ``cache_creation_input_tokens``. :class:`Usage` counts the whole prompt, so the
    cached parts are taken out of ``input_tokens`` and reported apart, whichever
    provider answered; a client adding the three gets the whole prompt back.
    """
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    read, written = usage.cached_input_tokens, usage.cache_write_input_tokens
    if read is None and written is None:
        return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    read, written = read or 0, written or 0
    return {
        "input_tokens": max(0, usage.input_tokens - read - written),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
        "output_tokens": usage.output_tokens,
    }


def tool_input(arguments: str) -> Any:
    """A tool call's JSON arguments as the ``input`` object."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"_arguments": arguments}  # not JSON: kept, not lost
    return value if isinstance(value, dict) else {"_arguments": value}


def message_body(completion: Completion, msg_id: str) -> dict[str, Any]:
    """The ``message`` object of a non-streaming answer."""
    content: list[dict[str, Any]] = [dict(block) for block in completion.reasoning]
    if completion.thinking and not content:  # unsigned (another provider's reasoning)
        content.append({"type": "thinking", "thinking": completion.thinking, "signature": ""})
    if completion.text or not completion.tool_calls:
        content.append({"type": "text", "text": completion.text})
    for call in completion.tool_calls:
        content.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": tool_input(call.arguments),
            }
        )
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": completion.model,
        "content": content,
        "stop_reason": stop_reason(completion.finish_reason, completion.raw_finish_reason),
        "stop_sequence": None,
        "usage": usage_body(completion.usage),
    }


def event(kind: str, data: dict[str, Any]) -> bytes:
    """One SSE event: ``event: <kind>`` and its JSON ``data`` (which repeats the type)."""
    payload = json.dumps({"type": kind, **data}, separators=(",", ":"))
    return f"event: {kind}\ndata: {payload}\n\n".encode()


class MessageEncoder:
    """Encodes one stream's chunks as Messages SSE events (see the module doc)."""

    __slots__ = ("_blocks", "_finish", "_index", "_open", "_raw", "_usage", "id")

    def __init__(self, msg_id: str) -> None:
        self.id = msg_id
        self._index = -1  # the last block opened
        self._open: str | None = None  # "text", "thinking" or "tool:<n>"
        self._blocks: dict[int, int] = {}  # tool-call index → block index
        self._finish: str | None = None
        self._raw: str | None = None
        self._usage: Usage | None = None

    def start(self, model: str) -> bytes:
        """``message_start`` (and a ``ping``, as Anthropic sends)."""
        message: dict[str, Any] = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return event("message_start", {"message": message}) + event("ping", {})

    def opening(self, first: StreamChunk) -> bytes:
        """``message_start`` and the events of the committed chunk."""
        return self.start(first.model) + self.encode(first)

    def closing(self, first: StreamChunk) -> bytes:
        """The end of a complete stream (:meth:`finish`)."""
        return self.finish()

    def _switch(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._index += 1
        self._open = kind
        return out + event("content_block_start", {"index": self._index, "content_block": block})

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return event("content_block_stop", {"index": self._index})

    def encode(self, chunk: StreamChunk) -> bytes:
        """The events for one chunk (none for a chunk that only finishes the stream)."""
        out = b""
        if chunk.thinking:
            if self._open != "thinking":
                out += self._switch("thinking", {"type": "thinking", "thinking": ""})
            delta = {"type": "thinking_delta", "thinking": chunk.thinking}
            out += event("content_block_delta", {"index": self._index, "delta": delta})
        if chunk.signature is not None:
            out += self._signed(chunk.signature)
        if chunk.text:
            if self._open != "text":
                out += self._switch("text", {"type": "text", "text": ""})
            delta = {"type": "text_delta", "text": chunk.text}
            out += event("content_block_delta", {"index": self._index, "delta": delta})
        for call in chunk.tool_calls:
            block = self._blocks.get(call.index)
            if block is None:
                tool_id = call.id or f"toolu_{uuid.uuid4().hex[:24]}"
                start = {"type": "tool_use", "id": tool_id, "name": call.name or "", "input": {}}
                out += self._switch(f"tool:{call.index}", start)
                block = self._blocks[call.index] = self._index
            if call.arguments_delta:
                delta = {"type": "input_json_delta", "partial_json": call.arguments_delta}
                out += event("content_block_delta", {"index": block, "delta": delta})
        if chunk.finish_reason is not None:
            self._finish, self._raw = chunk.finish_reason, chunk.raw_finish_reason
        if chunk.usage is not None:
            self._usage = chunk.usage
        return out

    def _signed(self, signature: ThinkingSignature) -> bytes:
        """A redacted thinking block whole, or the ``signature_delta`` closing the
        thinking block (opened empty if the signature came alone)."""
        if signature.redacted:
            block = {"type": "redacted_thinking", "data": signature.value}
            return self._switch("redacted", block) + self._close()
        out = b""
        if self._open != "thinking":
            out += self._switch("thinking", {"type": "thinking", "thinking": ""})
        delta = {"type": "signature_delta", "signature": signature.value}
        out += event("content_block_delta", {"index": self._index, "delta": delta})
        return out + self._close()

    def finish(self) -> bytes:
        """The last block's ``content_block_stop``, ``message_delta`` (stop reason, usage)
        and ``message_stop``."""
        delta = {"stop_reason": stop_reason(self._finish, self._raw), "stop_sequence": None}
        return (
            self._close()
            + event("message_delta", {"delta": delta, "usage": usage_body(self._usage)})
            + event("message_stop", {})
        )


def error_type(status: int) -> str:
    """Anthropic's error ``type`` for an HTTP status."""
    return _ERROR_TYPES.get(status, "api_error")


def error_body(info: ErrorInfo) -> dict[str, Any]:
    """``info`` as Anthropic's error body (the message scrubbed of secrets)."""
    return {
        "type": "error",
        "error": {"type": error_type(info.status), "message": redact_text(info.message)},
    }


def error_event(info: ErrorInfo) -> bytes:
    """``info`` as a final ``event: error`` of a stream (nothing follows it)."""
    return event("error", {"error": error_body(info)["error"]})
