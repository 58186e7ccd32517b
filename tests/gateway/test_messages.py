"""``POST /v1/messages`` end to end with the official ``anthropic`` SDK as the client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from llm_router.config import RescueConfig
from llm_router.layers.routing import Candidate, Route, Router
from llm_router.providers import FunctionProvider
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest, StreamChunk, ToolCallDelta, Usage
from tests.gateway.conftest import Client, MakeClient, detector

USER: list[Any] = [{"role": "user", "content": "Say hello"}]
KEY = "gw-key"


def sdk(client: Client, **kw: Any) -> anthropic.AsyncAnthropic:
    """An AsyncAnthropic client pointed at the gateway (no SDK retries)."""
    return anthropic.AsyncAnthropic(
        base_url=str(client.make_url("")), api_key=KEY, max_retries=0, **kw
    )


def healthy(text: str = "Hello from the fallback.", **kw: Any) -> ScriptedProvider:
    return ScriptedProvider(name="up", model="up-1", scripts=(Script(text=text, **kw),))


def down() -> ScriptedProvider:
    return ScriptedProvider(name="down", scripts=(Script(fault=Fault("server_error")),))


def no_rescue(*providers: Any) -> Router:
    """A router without stream rescue: a break after commit reaches the client."""
    route = Route("default", tuple(Candidate(p, p.name) for p in providers))
    return Router({"default": route}, detector=detector, rescue=RescueConfig.off())


async def test_streaming_through_failover(make_client: MakeClient) -> None:
    """The SDK's stream helper gets the fallback's answer, usage and stop reason; the
    failover before the first token is invisible but for the provider header."""
    usage = Usage(input_tokens=11, output_tokens=4)
    client = await make_client({"default": [down(), healthy(usage=usage)]}, api_keys=[KEY])
    async with sdk(client) as claude:
        async with claude.messages.stream(
            model="auto", max_tokens=100, messages=USER, system="Be nice."
        ) as stream:
            text = await stream.get_final_text()
            final = await stream.get_final_message()
        raw = await claude.messages.with_raw_response.create(
            model="auto", max_tokens=100, messages=USER, stream=True
        )
        events = [e.type async for e in await raw.parse()]
    assert text == "Hello from the fallback."
    assert (final.stop_reason, final.model, final.role) == ("end_turn", "up-1", "assistant")
    assert (final.usage.input_tokens, final.usage.output_tokens) == (11, 4)
    assert raw.headers["x-llm-router-provider"] == "up"
    assert events[0] == "message_start" and events[-2:] == ["message_delta", "message_stop"]
    assert {"content_block_start", "content_block_delta", "content_block_stop"} <= set(events)


async def test_non_streaming(make_client: MakeClient) -> None:
    """``stream: false`` answers one ``message`` object."""
    client = await make_client({"default": [down(), healthy()]}, api_keys=[KEY])
    async with sdk(client) as claude:
        message = await claude.messages.create(model="auto", max_tokens=50, messages=USER)
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello from the fallback."  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn" and message.id.startswith("msg_")


async def test_tools_system_and_version_reach_the_router(make_client: MakeClient) -> None:
    """Tools, tool_choice, the system prompt and a tool-result turn are translated for
    the router; the answer's tool call comes back as a tool_use block (streaming too)."""
    seen: list[ChatRequest] = []

    async def weather(request: ChatRequest) -> AsyncIterator[str | StreamChunk]:
        seen.append(request)
        yield "Checking."
        yield StreamChunk(
            "", "", "", tool_calls=(ToolCallDelta(0, "toolu_1", "get_weather", '{"city": '),)
        )
        yield StreamChunk("", "", "", tool_calls=(ToolCallDelta(0, None, None, '"Paris"}'),))
        yield StreamChunk("", "", "", finish_reason="tool_calls", raw_finish_reason="tool_calls")

    client = await make_client({"default": [FunctionProvider(weather)]}, api_keys=[KEY])
    tools: list[Any] = [
        {"name": "get_weather", "description": "Weather now", "input_schema": {"type": "object"}}
    ]
    history: list[Any] = [
        {"role": "user", "content": "Weather in Lyon?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_0", "name": "get_weather", "input": {"city": "Lyon"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_0", "content": "12C"},
            {"type": "text", "text": "And Paris?"},
        ]},
    ]  # fmt: skip
    async with sdk(client, default_headers={"anthropic-version": "2023-06-01"}) as claude:
        message = await claude.messages.create(
            model="auto", max_tokens=50, messages=history, system="Be brief.",
            tools=tools, tool_choice={"type": "any"},
        )  # fmt: skip
        async with claude.messages.stream(
            model="auto", max_tokens=50, messages=USER, tools=tools
        ) as stream:
            streamed = await stream.get_final_message()
    for answer in (message, streamed):
        assert answer.stop_reason == "tool_use"
        assert [b.type for b in answer.content] == ["text", "tool_use"]
        call = answer.content[1]
        assert (call.id, call.name, call.input) == ("toolu_1", "get_weather", {"city": "Paris"})  # type: ignore[union-attr]
    request = seen[0]
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool", "user"]
    assert request.messages[0].content == "Be brief."
    assert request.messages[2].tool_calls is not None
    assert json.loads(request.messages[2].tool_calls[0]["function"]["arguments"]) == {
        "city": "Lyon"
    }
    assert (request.messages[3].tool_call_id, request.messages[3].content) == ("toolu_0", "12C")
    assert request.tools is not None and request.tools[0]["function"]["name"] == "get_weather"
    assert request.tool_choice == "required"


async def test_error_after_commit_is_an_error_event(make_client: MakeClient) -> None:
    """A break after the first text: the client has the partial text, then the SDK
    raises on the ``event: error`` (no message_stop)."""
    broken = ScriptedProvider(
        name="flaky", scripts=(Script(text="one two three four", fault=Fault("server_error", 2)),)
    )
    client = await make_client(no_rescue(broken), api_keys=[KEY])
    got: list[str] = []
    async with sdk(client) as claude:
        with pytest.raises(anthropic.APIStatusError) as caught:
            async with claude.messages.stream(model="auto", max_tokens=50, messages=USER) as s:
                async for piece in s.text_stream:
                    got.append(piece)
    assert "".join(got) == "one two "
    assert "stream interrupted" in str(caught.value)


async def test_errors_before_commit_have_anthropics_shape(make_client: MakeClient) -> None:
    """Every candidate failing, an unknown model, a bad key, a rate limit: the SDK
    raises its own error classes with Anthropic's error types."""
    limited = ScriptedProvider(
        name="rl", scripts=(Script(fault=Fault("rate_limited", retry_after=3.0)),)
    )
    client = await make_client({"default": [down()], "limited": [limited]}, api_keys=[KEY])
    async with sdk(client) as claude:
        with pytest.raises(anthropic.InternalServerError) as failed:
            await claude.messages.create(model="auto", max_tokens=5, messages=USER)
        with pytest.raises(anthropic.NotFoundError) as unknown:
            await claude.messages.create(model="nope", max_tokens=5, messages=USER)
        with pytest.raises(anthropic.RateLimitError) as limit:
            await claude.messages.create(model="limited", max_tokens=5, messages=USER)
    async with anthropic.AsyncAnthropic(
        base_url=str(client.make_url("")), api_key="wrong", max_retries=0
    ) as bad:
        with pytest.raises(anthropic.AuthenticationError) as denied:
            await bad.messages.create(model="auto", max_tokens=5, messages=USER)
    assert failed.value.status_code == 502
    assert failed.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    assert unknown.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    assert limit.value.response.headers["retry-after"] == "3"
    assert denied.value.body == {  # type: ignore[comparison-overlap]
        "type": "error",
        "error": {"type": "authentication_error", "message": "Incorrect API key provided."},
    }


async def test_raw_http_edges(make_client: MakeClient) -> None:
    """x-api-key is accepted; a missing max_tokens, an unknown field, a bad
    anthropic-version are 400 invalid_request_error; thinking becomes a thinking block."""

    async def thinker(request: ChatRequest) -> AsyncIterator[str | StreamChunk]:
        yield StreamChunk("", "", "", thinking="Let me think.")
        yield "Answer."

    client = await make_client({"default": [FunctionProvider(thinker)]}, api_keys=[KEY])
    ok = await client.post(
        "/v1/messages",
        json={"model": "auto", "max_tokens": 9, "messages": USER},
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
    )
    body = await ok.json()
    assert ok.status == 200 and ok.headers["request-id"]
    assert body["content"] == [
        {"type": "thinking", "thinking": "Let me think.", "signature": ""},
        {"type": "text", "text": "Answer."},
    ]
    cases = [
        ({"model": "auto", "messages": USER}, {}, "max_tokens: Field required"),
        ({"model": "auto", "max_tokens": 5, "messages": USER, "n": 2}, {}, "n: Extra inputs"),
        ({"model": "auto", "max_tokens": 5, "messages": USER}, {"anthropic-version": "v1"},
         "anthropic-version"),
    ]  # fmt: skip
    for payload, headers, words in cases:
        resp = await client.post(
            "/v1/messages", json=payload, headers={"x-api-key": KEY, **headers}
        )
        error = await resp.json()
        assert resp.status == 400
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        assert words in error["error"]["message"]


async def test_paths_without_v1(make_client: MakeClient) -> None:
    """``/chat/completions`` and ``/models`` answer like their ``/v1`` twins."""
    client = await make_client({"default": [healthy()]})
    models = await client.get("/models")
    assert models.status == 200 and (await models.json())["object"] == "list"
    chat = await client.post("/chat/completions", json={"model": "auto", "messages": USER})
    assert chat.status == 200
    assert (await chat.json())["choices"][0]["message"]["content"] == "Hello from the fallback."


async def test_count_tokens_is_a_404_so_claude_code_counts_locally(
    make_client: MakeClient,
) -> None:
    """Claude Code asks ``/v1/messages/count_tokens`` every turn and estimates on its own
    after any error; a made-up count would be trusted. So: Anthropic's 404 shape, with
    the key taken from ``x-api-key`` as on ``/v1/messages`` (a 401 without it)."""
    client = await make_client({"default": [healthy()]}, api_keys=[KEY])
    messages: Any = [{"role": "user", "content": "hi"}]
    async with sdk(client) as claude:
        with pytest.raises(anthropic.NotFoundError) as caught:
            await claude.messages.count_tokens(model="default", messages=messages)
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": caught.value.body["error"]["message"]},
    }
    assert "count locally" in caught.value.body["error"]["message"]
    base = str(client.make_url(""))
    async with anthropic.AsyncAnthropic(base_url=base, api_key="wrong", max_retries=0) as claude:
        with pytest.raises(anthropic.AuthenticationError):
            await claude.messages.count_tokens(model="default", messages=messages)


async def test_a_claude_code_shaped_request_is_served(make_client: MakeClient) -> None:
    """What Claude Code sends to some models: system blocks with ``cache_control``,
    ``metadata.user_id``, ``thinking`` and ``context_management`` (server-side pruning, a
    beta). Gateways that refuse the last one stop Claude Code at every request; here it
    is accepted and left out (the upstream never sees it), the rest as usual."""
    seen: list[ChatRequest] = []

    async def answer(request: ChatRequest) -> AsyncIterator[str]:
        seen.append(request)
        yield "Done."

    client = await make_client({"default": [FunctionProvider(answer)]}, api_keys=[KEY])
    system: Any = [
        {"type": "text", "text": "You are a CLI.", "cache_control": {"type": "ephemeral"}}
    ]
    pruning = {"edits": [{"type": "clear_tool_uses_20250919"}]}
    async with sdk(client) as claude:
        reply = await claude.messages.create(
            model="default",
            max_tokens=50,
            system=system,
            messages=USER,
            metadata={"user_id": "user_abc"},
            extra_body={"context_management": pruning},
        )
    assert reply.content[0].model_dump()["text"] == "Done."
    assert "context_management" not in seen[0].extra
    assert seen[0].system_text() == "You are a CLI."
