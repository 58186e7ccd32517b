"""Extended thinking through ``/v1/messages``: signed thinking goes out and comes back.

With thinking on, Anthropic answers a tool call with its thinking signed, and refuses
the next turn (400 "expected thinking or redacted_thinking") unless the client sends
those blocks back verbatim. So the gateway hands the official SDK each ``thinking``
block with its ``signature`` and each ``redacted_thinking`` block, streaming and not,
and sends them back to an Anthropic upstream, first in their turn, as they came. An
upstream of another kind never sees them (their signatures mean nothing there).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import anthropic

from llm_router.builder import build_router
from llm_router.observe.logs import Logs
from llm_router.providers import AnthropicProvider, OpenAIProvider
from tests.gateway.conftest import MakeClient, detector
from tests.providers.conftest import Reply, Upstream, session, upstream
from tests.providers.replies import _anthropic, anthropic_reply, openai_reply

__all__ = ["session", "upstream"]  # the loopback fixtures, used below

SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
SEALED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfZXtatIwV2pOcB2jv"
THINKING = {"type": "thinking", "thinking": "The user wants the weather.", "signature": SIGNATURE}
REDACTED = {"type": "redacted_thinking", "data": SEALED}
TOOLS: Any = [{"name": "weather", "input_schema": {"type": "object"}}]
ASK: Any = {"role": "user", "content": "Weather in Paris?"}
ON: Any = {"type": "enabled", "budget_tokens": 1024}


def thinking_then_tool() -> Reply:
    """A signed thinking block (two pieces), a redacted one, then a tool call."""
    think = [{"type": "thinking_delta", "thinking": t} for t in ("The user wants ", "the weather.")]
    signed = {"type": "signature_delta", "signature": SIGNATURE}
    tool = {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}
    args = {"type": "input_json_delta", "partial_json": '{"city": "Paris"}'}
    usage = {"input_tokens": 9}

    def block(i: int, start: dict[str, Any], *deltas: dict[str, Any]) -> list[bytes]:
        return [
            _anthropic("content_block_start", index=i, content_block=start),
            *(_anthropic("content_block_delta", index=i, delta=d) for d in deltas),
            _anthropic("content_block_stop", index=i),
        ]

    return Reply(
        body=[
            _anthropic("message_start", message={"model": "claude-x", "usage": usage}),
            *block(0, {"type": "thinking", "thinking": ""}, *think, signed),
            *block(1, REDACTED),
            *block(2, tool, args),
            _anthropic(
                "message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 3}
            ),
            _anthropic("message_stop"),
        ]
    )


def sdk_for(base: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0)


def tool_result() -> Any:
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}
    return {"role": "user", "content": [result]}


async def test_signed_thinking_reaches_the_client_and_goes_back_to_anthropic(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    provider = AnthropicProvider(
        base_url=upstream.url, api_key="k", model="claude-x", session=session
    )
    upstream.script(thinking_then_tool(), thinking_then_tool(), anthropic_reply("Sunny."))
    router = build_router(
        {"default": [provider]}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    client = await make_client(router)
    async with sdk_for(str(client.make_url(""))) as sdk:
        ask: Any = {"model": "default", "max_tokens": 2048, "tools": TOOLS, "thinking": ON}
        async with sdk.messages.stream(messages=[ASK], **ask) as stream:
            streamed = await stream.get_final_message()
        whole = await sdk.messages.create(messages=[ASK], **ask)
        for message in (streamed, whole):
            blocks = [b.model_dump(exclude_none=True) for b in message.content]
            assert blocks[:2] == [THINKING, REDACTED]
            assert blocks[2]["type"] == "tool_use" and blocks[2]["input"] == {"city": "Paris"}
        # the next turn, as an agent loop sends it: the assistant's content as it came
        content = [b.model_dump(exclude_none=True) for b in whole.content]
        turn: Any = {"role": "assistant", "content": content}
        answer = await sdk.messages.create(messages=[ASK, turn, tool_result()], **ask)
    assert answer.content[0].model_dump()["text"] == "Sunny."
    sent = upstream.requests[2].json
    assert sent["thinking"] == ON
    assistant = sent["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"][:2] == [THINKING, REDACTED]  # verbatim, first in their turn
    assert assistant["content"][2]["type"] == "tool_use"


async def test_no_other_kind_of_upstream_is_sent_signed_thinking(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    provider = OpenAIProvider(base_url=upstream.url, api_key="k", model="gpt-x", session=session)
    upstream.script(openai_reply("Sunny."))
    router = build_router(
        {"default": [provider]}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    call = {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}
    turn: Any = {"role": "assistant", "content": [THINKING, REDACTED, call]}
    client = await make_client(router)
    async with sdk_for(str(client.make_url(""))) as sdk:
        messages = [ASK, turn, tool_result()]
        await sdk.messages.create(model="default", max_tokens=50, tools=TOOLS, messages=messages)
    body = json.dumps(upstream.requests[0].json)
    assert SIGNATURE not in body and SEALED not in body and "reasoning" not in body


async def test_an_openai_client_gets_the_tool_call_and_no_signature(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Chat Completions has no place for a signature: it is left out, and the events
    around it are the usual ones (the tool call whole, ``[DONE]`` last)."""
    provider = AnthropicProvider(
        base_url=upstream.url, api_key="k", model="claude-x", session=session
    )
    upstream.script(thinking_then_tool())
    router = build_router(
        {"default": [provider]}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    client = await make_client(router)
    body = {"model": "default", "stream": True, "messages": [ASK]}
    resp = await client.post("/v1/chat/completions", json=body)
    raw = await resp.text()
    assert resp.status == 200 and raw.endswith("data: [DONE]\n\n")
    assert SIGNATURE not in raw and SEALED not in raw
    events = [json.loads(e[6:]) for e in raw.split("\n\n") if e.startswith("data: {")]
    calls = [c for e in events for c in e["choices"][0]["delta"].get("tool_calls") or []]
    assert "".join(c["function"].get("arguments", "") for c in calls) == '{"city": "Paris"}'
