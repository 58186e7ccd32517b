"""AnthropicClientProvider: a real ``anthropic.AsyncAnthropic`` client against a loopback
upstream (the wire samples, faults, the request shape)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from anthropic import AsyncAnthropic

from llm_router import ChatRequest, complete, errors
from llm_router.config import Timeouts
from llm_router.providers import AnthropicClientProvider
from tests.providers.conftest import RESET, Hold, Reply, Upstream
from tests.providers.test_anthropic import (
    BLOCK,
    DONE,
    KEY,
    PING,
    SAMPLE_NAMES,
    START,
    STOP,
    check,
    error_event,
    load,
    text,
)

REQUEST = ChatRequest(messages=[{"role": "user", "content": "Hello"}])


@pytest.fixture
async def client(upstream: Upstream) -> AsyncIterator[AsyncAnthropic]:
    """An SDK client on the loopback upstream (the SDK's default: 2 retries)."""
    async with AsyncAnthropic(base_url=upstream.url, api_key=KEY) as c:
        yield c


def make(client: AsyncAnthropic, **kw: Any) -> AnthropicClientProvider:
    return AnthropicClientProvider(client, model="claude-test", name="claude", **kw)


def error_reply(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return Reply.json(status, body, headers)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_wire_samples(upstream: Upstream, client: AsyncAnthropic, name: str) -> None:
    """Every recorded Anthropic stream gives the same completion as AnthropicProvider's."""
    body, expected = load(name)
    upstream.script(Reply(body=[body]))
    check(await complete(make(client), REQUEST), expected)


async def test_request_shape(upstream: Upstream, client: AsyncAnthropic) -> None:
    """System lifted, tools translated, max_tokens defaulted, the SDK's headers sent."""
    upstream.script(Reply(body=[START, BLOCK, text("ok"), DONE, STOP]))
    tools = [{"type": "function", "function": {"name": "get", "parameters": {"type": "object"}}}]
    request = ChatRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        tools=tools,
        tool_choice="required",
    )
    result = await complete(make(client, max_tokens_default=321), request)
    assert (result.text, result.raw_finish_reason) == ("ok", "end_turn")
    sent = upstream.requests[0]
    assert sent.path == "/v1/messages"
    # the key as this SDK version sends it (x-api-key, or a bearer token in newer ones)
    auth = sent.headers.get("x-api-key") or sent.headers["Authorization"].removeprefix("Bearer ")
    assert auth == KEY and sent.headers["anthropic-version"]
    body = sent.json
    assert (body["model"], body["max_tokens"], body["stream"]) == ("claude-test", 321, True)
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    assert body["tools"] == [{"name": "get", "input_schema": {"type": "object"}}]
    assert body["tool_choice"] == {"type": "any"}


async def test_usage_and_thinking(upstream: Upstream, client: AsyncAnthropic) -> None:
    """Usage (input from message_start, output from message_delta) and thinking deltas."""
    think = b"".join(
        [
            b'event: content_block_start\ndata: {"type":"content_block_start","index":1,'
            b'"content_block":{"type":"thinking","thinking":""}}\n\n',
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,'
            b'"delta":{"type":"thinking_delta","thinking":"hmm"}}\n\n',
        ]
    )
    upstream.script(Reply(body=[START, PING, think, BLOCK, text("Hi"), DONE, STOP]))
    result = await complete(make(client), REQUEST)
    assert (result.text, result.thinking) == ("Hi", "hmm")
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (10, 3)


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (error_reply(529, "overloaded_error", "Overloaded"), errors.RateLimited),
        (error_reply(401, "authentication_error", "invalid x-api-key"), errors.AuthError),
        (error_reply(400, "invalid_request_error", "prompt is too long: 300000 tokens > 200000"),
         errors.ContextWindowExceeded),
        (error_reply(400, "invalid_request_error", "max_tokens: bad"), errors.BadRequest),
        (error_reply(500, "api_error", "Internal"), errors.ServerError),
    ],
)  # fmt: skip
async def test_status_errors(
    upstream: Upstream, client: AsyncAnthropic, reply: Reply, cls: type[errors.ProviderError]
) -> None:
    """Status answers map onto the error table; one request each (no SDK retries)."""
    upstream.script(reply)
    with pytest.raises(cls) as caught:
        await complete(make(client), REQUEST)
    assert type(caught.value) is cls and caught.value.status == reply.status
    assert len(upstream.requests) == 1


async def test_rate_limit_waits_for_the_reset(upstream: Upstream, client: AsyncAnthropic) -> None:
    """A 429's Retry-After wins; the retry layer sees it as ``retry_after``."""
    upstream.script(error_reply(429, "rate_limit_error", "slow", {"retry-after": "4"}))
    with pytest.raises(errors.RateLimited) as caught:
        await complete(make(client), REQUEST)
    assert caught.value.retry_after == 4.0


async def test_error_event_before_commit(upstream: Upstream, client: AsyncAnthropic) -> None:
    """An ``overloaded_error`` event before any text: RateLimited, so it fails over."""
    upstream.script(Reply(body=[START, error_event("overloaded_error")]))
    with pytest.raises(errors.RateLimited):
        await complete(make(client), REQUEST)


async def test_error_event_after_commit(upstream: Upstream, client: AsyncAnthropic) -> None:
    """After text: StreamInterrupted carrying the partial answer and the typed cause."""
    upstream.script(Reply(body=[START, BLOCK, text("Half "), error_event("api_error")]))
    with pytest.raises(errors.StreamInterrupted) as caught:
        await complete(make(client), REQUEST)
    assert caught.value.partial.text == "Half "
    assert isinstance(caught.value.cause, errors.ServerError)


async def test_cut_and_truncation(upstream: Upstream, client: AsyncAnthropic) -> None:
    """A reset after text, and an end without message_stop/stop_reason: interrupted."""
    upstream.script(
        Reply(body=[START, BLOCK, text("Hel"), RESET]),
        Reply(body=[START, BLOCK, text("Hel")]),
    )
    for _ in range(2):
        with pytest.raises(errors.StreamInterrupted) as caught:
            await complete(make(client), REQUEST)
        assert caught.value.partial.text == "Hel"
        assert isinstance(caught.value.cause, errors.ProtocolError)


async def test_first_token_deadline(upstream: Upstream, client: AsyncAnthropic) -> None:
    """message_start but no content in time: FirstTokenTimeout."""
    upstream.script(Reply(body=[START, PING, Hold(upstream.hold())]))
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(make(client, timeouts=Timeouts(first_token=0.05)), REQUEST)


async def test_refused(closed_port_url: str) -> None:
    """Nothing listening: ConnectError."""
    async with AsyncAnthropic(base_url=closed_port_url, api_key=KEY) as c:
        with pytest.raises(errors.ConnectError):
            await complete(make(c), REQUEST)


def test_prefill_by_default() -> None:
    """The Messages API continues a final assistant turn: rescue may use ``continue``."""
    assert AnthropicClientProvider(AsyncAnthropic(api_key="k"), model="m").prefill
