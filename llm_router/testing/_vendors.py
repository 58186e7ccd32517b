"""Each vendor's answer, as events: OpenAI Chat Completions SSE, Anthropic Messages SSE,
Gemini ``alt=sse`` and Ollama NDJSON; their error bodies and in-stream error events.

Each renderer returns ``(preamble, pieces, finish, error_event)``: the events before the
first content, one event per text piece or tool call, the finish signal (with usage),
and the in-stream error event (:func:`llm_router.testing._wire.render` assembles them).
"""

from __future__ import annotations

import json
from typing import Any

from llm_router.testing._reply import Reply
from llm_router.types import ToolCall

Events = tuple[list[bytes], list[bytes], list[bytes], bytes]
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}
_FINISH = {
    "anthropic": {
        "stop": "end_turn",
        "length": "max_tokens",
        "tool_calls": "tool_use",
        "content_filter": "refusal",
    },
    "gemini": {
        "stop": "STOP",
        "length": "MAX_TOKENS",
        "tool_calls": "STOP",
        "content_filter": "SAFETY",
    },
}


def _sse(payload: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def _line(payload: Any) -> bytes:
    return (json.dumps(payload, separators=(",", ":")) + "\n").encode()


def _args(call: ToolCall) -> Any:
    try:
        return json.loads(call.arguments or "{}")
    except ValueError:
        return {}


def error_body(kind: str, status: int, message: str) -> bytes:
    """The vendor's JSON error body for an error answer."""
    message = message or f"scripted HTTP {status}"
    if kind == "anthropic":
        kind_name = _ANTHROPIC_ERRORS.get(status, "api_error")
        return json.dumps(
            {"type": "error", "error": {"type": kind_name, "message": message}}
        ).encode()
    if kind == "gemini":
        state = _GEMINI_STATUS.get(status, "INTERNAL")
        return json.dumps({"error": {"code": status, "message": message, "status": state}}).encode()
    if kind == "ollama":
        return json.dumps({"error": message}).encode()
    code = "rate_limit_exceeded" if status == 429 else None
    error = {"message": message, "type": "scripted_error", "param": None, "code": code}
    return json.dumps({"error": error}).encode()


def _openai(reply: Reply, model: str) -> Events:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse(
            {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [choice],
            }
        )

    body = [chunk({"content": p}) for p in reply.text_pieces()]
    for i, call in enumerate(reply.tool_calls):
        fn = {"name": call.name, "arguments": call.arguments}
        body.append(
            chunk({"tool_calls": [{"index": i, "id": call.id, "type": "function", "function": fn}]})
        )
    usage = reply.final_usage()
    counts = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
    tail = [
        chunk({}, reply.final_finish),
        _sse(
            {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [],
                "usage": counts,
            }
        ),
        b"data: [DONE]\n\n",
    ]
    error = _sse(
        {
            "error": {
                "message": reply.message or "scripted error event",
                "type": "server_error",
                "code": "429" if reply.status == 429 else None,
            }
        }
    )
    return [chunk({"role": "assistant", "content": ""})], body, tail, error


def _anthropic(reply: Reply, model: str) -> Events:
    def ev(kind: str, **fields: Any) -> bytes:
        return _sse({"type": kind, **fields}, kind)

    usage = reply.final_usage()
    start: dict[str, Any] = {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": 1},
    }
    head = [ev("message_start", message=start), ev("ping")]
    body: list[bytes] = []
    index = 0
    pieces = reply.text_pieces()
    for n, piece in enumerate(pieces):
        start_block = ev("content_block_start", index=0, content_block={"type": "text", "text": ""})
        delta = ev("content_block_delta", index=0, delta={"type": "text_delta", "text": piece})
        stop = ev("content_block_stop", index=0) if n == len(pieces) - 1 else b""
        body.append((start_block if n == 0 else b"") + delta + stop)
    index = 1 if pieces else 0
    for i, call in enumerate(reply.tool_calls):
        block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        body.append(
            ev("content_block_start", index=index + i, content_block=block)
            + ev(
                "content_block_delta",
                index=index + i,
                delta={"type": "input_json_delta", "partial_json": call.arguments},
            )
            + ev("content_block_stop", index=index + i)
        )
    stop_reason = _FINISH["anthropic"][reply.final_finish]
    tail = [
        ev(
            "message_delta",
            delta={"stop_reason": stop_reason, "stop_sequence": None},
            usage={"output_tokens": usage.output_tokens},
        ),
        ev("message_stop"),
    ]
    kind = "overloaded_error" if reply.status in (429, 529) else "api_error"
    error = ev("error", error={"type": kind, "message": reply.message or "scripted error event"})
    return head, body, tail, error


def _gemini(reply: Reply, model: str) -> Events:
    def event(parts: list[dict[str, Any]], **extra: Any) -> bytes:
        candidate = {"content": {"role": "model", "parts": parts}, "index": 0, **extra}
        return _sse({"candidates": [candidate], "modelVersion": model})

    body = [event([{"text": p}]) for p in reply.text_pieces()]
    body += [
        event([{"functionCall": {"name": c.name, "args": _args(c)}}]) for c in reply.tool_calls
    ]
    usage = reply.final_usage()
    meta = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens,
        "totalTokenCount": usage.input_tokens + usage.output_tokens,
    }
    finish = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": ""}]},
                "finishReason": _FINISH["gemini"][reply.final_finish],
                "index": 0,
            }
        ],
        "usageMetadata": meta,
        "modelVersion": model,
    }
    state = "RESOURCE_EXHAUSTED" if reply.status == 429 else "INTERNAL"
    error = _sse(
        {
            "error": {
                "code": reply.status if reply.status != 200 else 500,
                "message": reply.message or "scripted error event",
                "status": state,
            }
        }
    )
    return [], body, [_sse(finish)], error


def _ollama(reply: Reply, model: str) -> Events:
    def line(message: dict[str, Any], **extra: Any) -> bytes:
        return _line(
            {
                "model": model,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", **message},
                **extra,
            }
        )

    body = [line({"content": p}, done=False) for p in reply.text_pieces()]
    body += [
        line(
            {"content": "", "tool_calls": [{"function": {"name": c.name, "arguments": _args(c)}}]},
            done=False,
        )
        for c in reply.tool_calls
    ]
    usage = reply.final_usage()
    reason = "length" if reply.final_finish == "length" else "stop"
    tail = [
        line(
            {"content": ""},
            done=True,
            done_reason=reason,
            prompt_eval_count=usage.input_tokens,
            eval_count=usage.output_tokens,
        )
    ]
    error = _line({"error": reply.message or "scripted error event"})
    return [], body, tail, error


RENDERERS = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini, "ollama": _ollama}
