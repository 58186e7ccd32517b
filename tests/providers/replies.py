"""Small, complete upstream answers in each provider's wire format, for loopback servers
(:class:`tests.providers.conftest.Upstream`): one text answer, usage, an upstream model."""

from __future__ import annotations

import json
from typing import Any

from tests.providers.conftest import NDJSON_HEADERS, Reply, ndjson, sse


def openai_reply(
    text: str, *, model: str = "gpt-upstream-2025", usage: dict[str, Any] | None = None
) -> Reply:
    """A Chat Completions stream: role delta, ``text`` in two pieces, stop, usage, [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> bytes:
        choices = (
            [] if more.get("usage") else [{"index": 0, "delta": delta, "finish_reason": finish}]
        )
        return sse({"id": "c1", "model": model, "choices": choices, **more})

    half = len(text) // 2
    usage = usage or {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}
    return Reply(
        body=[
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": text[:half]}),
            chunk({"content": text[half:]}),
            chunk({}, "stop"),
            chunk({}, usage=usage),
            b"data: [DONE]\n\n",
        ]
    )


def _anthropic(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


def anthropic_reply(
    text: str,
    *,
    tool: str | None = None,
    model: str = "claude-upstream-20250929",
    usage: dict[str, Any] | None = None,
    whole_input: dict[str, Any] | None = None,
) -> Reply:
    """A Messages stream answering ``text``: as a text block, or (``tool``) as the
    streamed input of a ``tool_use`` block of that name, ending with ``tool_use``
    (``whole_input``: the input given whole in the block's start, as some proxies do)."""
    start_usage = usage or {"input_tokens": 9, "output_tokens": 1}
    half = len(text) // 2
    block: dict[str, Any]
    if tool is None:
        block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in (text[:half], text[half:])]
        stop = "end_turn"
    else:
        block = {"type": "tool_use", "id": "toolu_1", "name": tool, "input": whole_input or {}}
        pieces = () if whole_input else (text[:half], text[half:])
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
        stop = "tool_use"
    return Reply(
        body=[
            _anthropic("message_start", message={"model": model, "usage": start_usage}),
            _anthropic("content_block_start", index=0, content_block=block),
            *(_anthropic("content_block_delta", index=0, delta=d) for d in deltas),
            _anthropic("content_block_stop", index=0),
            _anthropic("message_delta", delta={"stop_reason": stop}, usage={"output_tokens": 5}),
            _anthropic("message_stop"),
        ]
    )


def gemini_reply(
    text: str, *, model: str = "gemini-upstream-001", usage: dict[str, Any] | None = None
) -> Reply:
    """A ``streamGenerateContent`` SSE stream: ``text`` in two events, then STOP + usage."""
    half = len(text) // 2
    usage = usage or {"promptTokenCount": 9, "candidatesTokenCount": 5, "totalTokenCount": 14}

    def event(piece: str, finish: str | None = None) -> bytes:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": piece}]}}
        data: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
        if finish:
            candidate["finishReason"] = finish
            data["usageMetadata"] = usage
        return sse(data)

    return Reply(body=[event(text[:half]), event(text[half:], "STOP")])


def ollama_reply(text: str, *, model: str = "llama-upstream:8b") -> Reply:
    """An ``/api/chat`` NDJSON stream: ``text`` in two lines, then ``done``."""
    half = len(text) // 2

    def line(piece: str, **more: Any) -> bytes:
        message = {"role": "assistant", "content": piece}
        return ndjson({"model": model, "message": message, "done": False, **more})

    last = {"done": True, "done_reason": "stop", "prompt_eval_count": 9, "eval_count": 5}
    return Reply(
        headers=dict(NDJSON_HEADERS),
        body=[line(text[:half]), line(text[half:]), line("", **last)],
    )


def as_json(value: Any) -> str:
    """``value`` as compact JSON text (an answer a JSON response format asks for)."""
    return json.dumps(value, separators=(",", ":"))
