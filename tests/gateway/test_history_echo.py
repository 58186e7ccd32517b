"""A client that appends the returned message to its history, as OpenAI's function-calling
guide does (``messages.append(completion.choices[0].message)``): the SDK sends back the
answer's own fields (``refusal``, and from OpenAI ``annotations``), which must not be a
400 (seen: ``unrecognized message field 'refusal'`` on the second turn)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from llm_router.providers import FunctionProvider
from llm_router.types import ChatRequest, StreamChunk, ToolCallDelta
from tests.gateway.conftest import MakeClient, chat_body

ASK: Any = {"role": "user", "content": "Weather in Oslo?"}
TOOLS: Any = [
    {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
]


async def test_the_sdk_message_appended_to_the_history_is_accepted(
    make_client: MakeClient,
) -> None:
    """A tool loop written as the guide writes it: the second turn goes through, with the
    assistant's tool call and the tool's result as the upstream sees them."""
    seen: list[ChatRequest] = []

    async def answer(request: ChatRequest) -> AsyncIterator[str | StreamChunk]:
        seen.append(request)
        if len(seen) == 1:
            call = ToolCallDelta(0, "call_1", "weather", '{"city": "Oslo"}')
            yield StreamChunk("", "", "", tool_calls=(call,))
            yield StreamChunk("", "", "", finish_reason="tool_calls")
        else:
            yield "Sunny."

    client = await make_client({"default": [FunctionProvider(answer)]})
    base = str(client.make_url("/v1"))
    async with openai.AsyncOpenAI(base_url=base, api_key="k", max_retries=0) as sdk:
        messages: list[Any] = [ASK]
        first = await sdk.chat.completions.create(model="default", messages=messages, tools=TOOLS)
        messages.append(first.choices[0].message)  # refusal=None rides along
        messages.append({"role": "tool", "tool_call_id": "call_1", "content": "sunny"})
        second = await sdk.chat.completions.create(model="default", messages=messages, tools=TOOLS)
    assert second.choices[0].message.content == "Sunny."
    assistant = seen[1].messages[1]
    assert assistant.tool_calls is not None and assistant.tool_calls[0]["id"] == "call_1"


@pytest.mark.parametrize(
    ("turn", "content"),
    [
        ({"content": "Hi.", "refusal": None, "annotations": []}, "Hi."),
        ({"content": "See x.", "annotations": [{"type": "url_citation"}]}, "See x."),
        ({"content": None, "refusal": "I can't help with that."}, "I can't help with that."),
    ],
    ids=["empty", "annotations", "refusal"],
)
async def test_echoed_answer_fields_are_left_out(
    make_client: MakeClient, turn: dict[str, Any], content: str
) -> None:
    """``annotations`` and empty fields go; a refusal with no content is what the
    assistant said."""
    seen: list[ChatRequest] = []

    async def answer(request: ChatRequest) -> AsyncIterator[str]:
        seen.append(request)
        yield "ok"

    client = await make_client({"default": [FunctionProvider(answer)]})
    history = [ASK, {"role": "assistant", **turn}, {"role": "user", "content": "And now?"}]
    resp = await client.post("/v1/chat/completions", json=chat_body(messages=history))
    assert resp.status == 200, await resp.text()
    assert seen[0].messages[1].content == content


@pytest.mark.parametrize(
    ("message", "param"),
    [
        ({"role": "assistant", "content": "x", "audio": {"id": "audio_1"}}, "messages[1].audio"),
        (
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "f", "arguments": "{}"},
            },
            "messages[1].function_call",
        ),
        ({"role": "user", "content": "x", "refusal": None}, "messages[1]"),
    ],
    ids=["audio", "function_call", "refusal-on-a-user-turn"],
)
async def test_what_cannot_be_relayed_is_still_a_400(
    make_client: MakeClient, message: dict[str, Any], param: str
) -> None:
    client = await make_client({"default": [FunctionProvider(_one)]})
    resp = await client.post("/v1/chat/completions", json=chat_body(messages=[ASK, message]))
    assert resp.status == 400
    assert (await resp.json())["error"]["param"] == param


async def _one(request: ChatRequest) -> AsyncIterator[str]:
    yield "ok"


async def test_the_parse_helpers_messages_go_back_without_their_parsed_fields(
    make_client: MakeClient,
) -> None:
    """``chat.completions.parse`` and ``stream`` return messages with ``parsed`` (and
    ``parsed_arguments`` in tool calls); appended to the history they are accepted, and
    the upstream gets the call as OpenAI's shape has it."""
    seen: list[ChatRequest] = []

    async def answer(request: ChatRequest) -> AsyncIterator[str]:
        seen.append(request)
        yield '{"city": "Oslo"}'

    client = await make_client({"default": [FunctionProvider(answer)]})
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": "{}", "parsed_arguments": {}},
    }
    turn = {"role": "assistant", "content": None, "parsed": None, "tool_calls": [call]}
    result = {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
    base = str(client.make_url("/v1"))
    async with openai.AsyncOpenAI(base_url=base, api_key="k", max_retries=0) as sdk:
        first = await sdk.chat.completions.parse(model="default", messages=[ASK])
        messages: list[Any] = [ASK, first.choices[0].message, {"role": "user", "content": "ok"}]
        await sdk.chat.completions.create(model="default", messages=messages)
        await sdk.chat.completions.create(model="default", messages=[ASK, turn, result])
    assert seen[1].messages[1].content == '{"city": "Oslo"}'
    sent_call = seen[2].messages[1].tool_calls
    assert sent_call is not None and dict(sent_call[0]["function"]) == {
        "name": "weather",
        "arguments": "{}",
    }
