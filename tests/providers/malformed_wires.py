"""The four wire formats, as a table the malformed-event tests walk (real wire bytes).

Each :class:`Wire` builds a provider pointed at a loopback upstream and the bytes of a
healthy stream: a preamble, one content event per piece of text and the finish signal.
``wrong_shapes`` are valid-JSON events of the wrong shape for that format; ``unknown``
are well-formed events the decoder does not know, which must be ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from llm_router.providers import AnthropicProvider, GeminiProvider, OllamaProvider, OpenAIProvider
from llm_router.providers._http import HTTPStreamProvider
from tests.providers.conftest import NDJSON_HEADERS, SSE_HEADERS, ndjson, sse

SECRET = "sk-live-SECRET-in-a-wrong-field"
"""Put in wrong-typed fields: no error message may repeat a value from the event."""


@dataclass(frozen=True)
class Wire:
    """One provider's wire format; see the module docstring."""

    name: str
    cls: type[HTTPStreamProvider]
    event: Callable[[Any], bytes]
    """One event carrying ``payload`` as JSON (Anthropic: named after its ``type``)."""
    piece: Callable[[str], Any]
    """The payload of a content event carrying this text."""
    head: tuple[Any, ...]
    """Payloads (or raw bytes) before the content."""
    tail: tuple[Any, ...]
    """Payloads (or raw bytes) after the content: the finish signal."""
    wrong_shapes: Mapping[str, Any]
    unknown: Sequence[bytes]
    headers: Mapping[str, str] = field(default_factory=lambda: SSE_HEADERS)
    path: str = ""
    """Appended to the upstream's URL to make the provider's ``base_url``."""

    def make(
        self, url: str, session: aiohttp.ClientSession | None, name: str | None = None
    ) -> HTTPStreamProvider:
        """A provider of this format pointed at ``url`` (named after the format)."""
        return self.cls(
            base_url=url + self.path,
            api_key="k",
            model="m",
            session=session,
            name=name or self.name,
        )

    def body(self, *events: bytes) -> list[bytes]:
        """A whole stream with ``events`` (already encoded) as its content."""
        return [*map(self._item, self.head), *events, *map(self._item, self.tail)]

    def _item(self, item: Any) -> bytes:
        return item if isinstance(item, bytes) else self.event(item)

    def text(self, text: str) -> bytes:
        """An encoded content event."""
        return self.event(self.piece(text))

    def broken(self, text: str, how: str) -> bytes:
        """A content event whose JSON does not parse (cut short, or garbage)."""
        good = self.text(text)
        if how == "cut":  # the JSON loses its closing brace
            end = good.rindex(b"}")
            return good[:end] + good[end + 1 :]
        return good.replace(b"{", b"{not json ", 1)


def _sse(payload: Any) -> bytes:
    return sse(json.dumps(payload))


def _anthropic_event(payload: Any) -> bytes:
    kind = payload.get("type") if isinstance(payload, dict) else None
    return sse(json.dumps(payload), event=kind if isinstance(kind, str) else None)


def _openai_piece(text: str) -> Any:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def _anthropic_piece(text: str) -> Any:
    return {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": text},
    }


def _gemini_piece(text: str) -> Any:
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}]}


def _ollama_piece(text: str) -> Any:
    return {"model": "llama3", "message": {"role": "assistant", "content": text}, "done": False}


def _delta(**fields: Any) -> Any:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def _call(**fields: Any) -> Any:
    return _delta(tool_calls=[{"index": 0, "function": {"arguments": "{}"}, **fields}])


def _text_delta(delta: Any) -> Any:
    return {"type": "content_block_delta", "index": 0, "delta": delta}


def _gemini(candidate: Any) -> Any:
    return {"candidates": [candidate]}


OPENAI = Wire(
    name="openai",
    cls=OpenAIProvider,
    path="/v1",
    event=_sse,
    piece=_openai_piece,
    head=(_delta(role="assistant", content=""),),
    tail=(
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}},
        b"data: [DONE]\n\n",
    ),
    wrong_shapes={
        "choices-string": {"choices": SECRET},
        "usage-number": {"usage": 5},
        "content-number": {"choices": [{"delta": {"content": 5}}]},
        "content-object": _delta(content={"text": SECRET}),
        "tool-index-string": _call(index=SECRET),
        "tool-id-number": _call(id=5),
        "tool-arguments-object": _call(function={"arguments": {"a": 1}}),
        "usage-not-numeric": {"choices": [], "usage": {"prompt_tokens": SECRET}},
        "usage-fraction": {"choices": [], "usage": {"completion_tokens": 1.5}},
        "choice-string": {"choices": [SECRET]},
        "choice-index-string": {"choices": [{"index": "0", "delta": {"content": "x"}}]},
        "delta-string": {"choices": [{"index": 0, "delta": SECRET}]},
        "finish-number": {"choices": [{"index": 0, "delta": {}, "finish_reason": 5}]},
        "reasoning-number": _delta(reasoning_content=5),
        "event-array": [1, 2],
        "event-string": SECRET,
        "event-null": None,
    },
    unknown=(
        b": keep-alive\n\n",
        b": OPENROUTER PROCESSING\n\n",
        b"data:\n\n",
        b"event: ping\ndata: {}\n\n",
        sse({"object": "chat.completion.future_thing", "data": [1, {"x": None}]}),
        sse({"choices": [{"index": 0, "delta": {"audio": {"id": "a"}}, "logprobs": None}]}),
        sse({"choices": [{"index": 1, "delta": {"content": "second answer"}}]}),
    ),
)

ANTHROPIC = Wire(
    name="anthropic",
    cls=AnthropicProvider,
    event=_anthropic_event,
    piece=_anthropic_piece,
    head=(
        {"type": "message_start", "message": {"model": "m", "usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    tail=(
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 4},
        },
        {"type": "message_stop"},
    ),
    wrong_shapes={
        "text-number": _text_delta({"type": "text_delta", "text": 5}),
        "text-missing": _text_delta({"type": "text_delta"}),
        "delta-string": _text_delta(SECRET),
        "thinking-object": _text_delta({"type": "thinking_delta", "thinking": {"t": SECRET}}),
        "json-delta-index-string": {
            "type": "content_block_delta",
            "index": SECRET,
            "delta": {"type": "input_json_delta", "partial_json": "{}"},
        },
        "block-string": {"type": "content_block_start", "index": 1, "content_block": SECRET},
        "block-text-number": {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "text", "text": 5},
        },
        "usage-not-numeric": {
            "type": "message_delta",
            "delta": {},
            "usage": {"output_tokens": SECRET},
        },
        "usage-number": {"type": "message_delta", "delta": {}, "usage": 5},
        "stop-reason-number": {"type": "message_delta", "delta": {"stop_reason": 5}},
        "message-string": {"type": "message_start", "message": SECRET},
        "type-number": {"type": 5},
        "event-array": [SECRET],
    },
    unknown=(
        b": keep-alive\n\n",
        sse({"type": "ping"}, event="ping"),
        sse({"type": "future_event", "payload": {"x": [1]}}, event="future_event"),
        sse(_text_delta({"type": "citations_delta", "citation": {"cited_text": "c"}})),
        sse(_text_delta({"type": "signature_delta", "signature": "abc"})),
    ),
)

GEMINI = Wire(
    name="gemini",
    cls=GeminiProvider,
    path="/v1beta",
    event=_sse,
    piece=_gemini_piece,
    head=(),
    tail=(
        {
            "candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4},
        },
    ),
    wrong_shapes={
        "candidates-string": {"candidates": SECRET},
        "candidate-string": {"candidates": [SECRET]},
        "parts-string": _gemini({"content": {"parts": SECRET}}),
        "part-text-number": _gemini({"content": {"parts": [{"text": 5}]}}),
        "part-string": _gemini({"content": {"parts": [SECRET]}}),
        "content-string": _gemini({"content": SECRET}),
        "finish-number": _gemini({"content": {"parts": []}, "finishReason": 5}),
        "function-call-string": _gemini({"content": {"parts": [{"functionCall": SECRET}]}}),
        "usage-not-numeric": {"usageMetadata": {"promptTokenCount": SECRET}},
        "usage-string": {"usageMetadata": SECRET},
        "error-string": {"error": SECRET},
        "event-array": [SECRET],
    },
    unknown=(
        b": keep-alive\n\n",
        sse({"futureField": {"x": 1}}),
        sse(_gemini({"content": {"parts": [{"executableCode": {"code": "print(1)"}}]}})),
        sse(_gemini({"content": {"parts": [{"text": "", "thoughtSignature": "abc"}]}})),
    ),
)

OLLAMA = Wire(
    name="ollama",
    cls=OllamaProvider,
    event=ndjson,
    piece=_ollama_piece,
    head=(),
    tail=(
        {
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 3,
            "eval_count": 4,
        },
    ),
    wrong_shapes={
        "message-string": {"message": SECRET, "done": False},
        "content-number": {"message": {"role": "assistant", "content": 5}, "done": False},
        "response-object": {"response": {"text": SECRET}, "done": False},
        "tool-calls-string": {"message": {"content": "", "tool_calls": SECRET}},
        "tool-call-name-number": {"message": {"tool_calls": [{"function": {"name": 5}}]}},
        "done-string": {"message": {"content": ""}, "done": SECRET},
        "eval-count-string": {"done": True, "done_reason": "stop", "eval_count": SECRET},
        "event-array": [SECRET],
    },
    unknown=(
        b"\n",
        b"   \n",
        ndjson({"model": "llama3", "future": {"x": [1]}, "done": False}),
        ndjson({"message": {"role": "assistant", "content": "", "images": None}, "done": False}),
    ),
    headers=NDJSON_HEADERS,
)

WIRES = (OPENAI, ANTHROPIC, GEMINI, OLLAMA)
