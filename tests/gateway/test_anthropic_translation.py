"""The Anthropic front door's translation, both ways, without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_router.gateway.anthropic_format import MessageEncoder, stop_reason, tool_input
from llm_router.gateway.anthropic_request import parse_messages_request
from llm_router.gateway.body import RequestInvalid
from llm_router.types import StreamChunk, ToolCallDelta, Usage


def parse(**body: Any) -> Any:
    body.setdefault("model", "auto")
    body.setdefault("max_tokens", 10)
    return parse_messages_request(json.dumps(body).encode())


def test_blocks_become_openai_shaped_messages() -> None:
    """System blocks, images (base64 and URL), a failed tool result, documents."""
    parsed = parse(
        system=[{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
        stream=True,
        top_k=5,
        messages=[
            {"role": "user", "content": [
                {"type": "text", "text": "Look", "cache_control": {"type": "ephemeral"}},
                {"type": "image",
                 "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hm", "signature": "s"},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "is_error": True,
                 "content": [{"type": "text", "text": "boom"}]},
                {"type": "document", "source": {"type": "text", "data": "doc"}},
            ]},
        ],
    )  # fmt: skip
    request = parsed.request
    assert parsed.stream and dict(request.extra) == {"anthropic": {"top_k": 5}}
    system, user, assistant, tool, doc = request.messages
    assert (system.role, system.content) == ("system", "A\nB")
    assert user.content is not None and [p["type"] for p in user.content] == [
        "text", "image_url", "image_url",
    ]  # fmt: skip
    assert user.content[1]["image_url"]["url"] == "data:image/png;base64,AAA"
    assert assistant.content is None and assistant.tool_calls is not None
    assert assistant.tool_calls[0]["function"] == {"name": "f", "arguments": "{}"}
    # the signed thinking travels with the turn (only an Anthropic upstream is sent it)
    assert assistant.reasoning == ({"type": "thinking", "thinking": "hm", "signature": "s"},)
    assert (tool.role, tool.tool_call_id, tool.content) == ("tool", "t1", "Error: boom")
    assert doc.content is not None and doc.content[0]["type"] == "document"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_tool_choice(choice: dict[str, Any], expected: Any) -> None:
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    request = parse(messages=[{"role": "user", "content": "x"}], tools=tools, tool_choice=choice)
    assert request.request.tool_choice == expected


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"messages": [{"role": "system", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": [{"type": "tool_use"}]}]}, "not supported"),
        ({"messages": [{"role": "user", "content": "x"}],
          "tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "server tool"),
        ({"messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "maybe"}},
         "tool_choice"),
        ({"messages": [{"role": "user", "content": "x"}], "temperature": 1.5}, "temperature"),
        ({"messages": []}, "non-empty"),
        ({"model": "", "messages": [{"role": "user", "content": "x"}]}, "model"),
    ],
)  # fmt: skip
def test_bad_bodies_name_the_field(body: dict[str, Any], words: str) -> None:
    with pytest.raises(RequestInvalid, match=words):
        parse(**body)


def _events(data: bytes) -> list[dict[str, Any]]:
    return [
        json.loads(line[6:]) for line in data.decode().splitlines() if line.startswith("data: ")
    ]


def test_encoder_blocks_in_order() -> None:
    """Thinking, then text, then two tool calls: each its own block, closed when the next
    starts; a late argument piece still goes to its own block's index."""
    enc = MessageEncoder("msg_1")
    chunks = [
        StreamChunk("", "p", "m", thinking="hmm"),
        StreamChunk("Hi", "p", "m"),
        StreamChunk("", "p", "m", tool_calls=(ToolCallDelta(0, "a", "f", '{"x"'),)),
        StreamChunk("", "p", "m", tool_calls=(ToolCallDelta(1, "b", "g", "{}"),)),
        StreamChunk("", "p", "m", tool_calls=(ToolCallDelta(0, None, None, ": 1}"),)),
        StreamChunk("", "p", "m", finish_reason="tool_calls", usage=Usage(3, 4)),
    ]
    data = enc.start("m") + b"".join(enc.encode(c) for c in chunks) + enc.finish()
    events = _events(data)
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["message_start", "ping"] and kinds[-1] == "message_stop"
    starts = [
        (e["index"], e["content_block"]["type"])
        for e in events
        if e["type"] == "content_block_start"
    ]
    assert starts == [(0, "thinking"), (1, "text"), (2, "tool_use"), (3, "tool_use")]
    late = [e for e in events if e.get("delta", {}).get("partial_json") == ": 1}"]
    assert late[0]["index"] == 2
    delta = events[-2]
    assert delta["delta"]["stop_reason"] == "tool_use"
    assert delta["usage"] == {"input_tokens": 3, "output_tokens": 4}


def test_stop_reasons_and_tool_input() -> None:
    """An Anthropic upstream's own stop reason is kept; others are mapped."""
    assert stop_reason("stop", "stop_sequence") == "stop_sequence"
    assert stop_reason("length", "length") == "max_tokens"
    assert stop_reason("content_filter", None) == "refusal"
    assert tool_input('{"a": 1}') == {"a": 1}
    assert tool_input("not json") == {"_arguments": "not json"}
