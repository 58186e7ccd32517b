"""OpenAIClientProvider: a real ``openai.AsyncOpenAI`` client against a loopback upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from llm_router import ChatRequest, complete, errors
from llm_router.builder import build_router
from llm_router.config import RetryConfig, Timeouts
from llm_router.providers import FunctionProvider, OpenAIClientProvider
from tests.conftest import FakeClock
from tests.providers.conftest import RESET, Hold, Reply, Upstream, sse
from tests.providers.test_openai import DONE, chunk, text_stream, usage

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


@pytest.fixture
async def client(upstream: Upstream) -> AsyncIterator[AsyncOpenAI]:
    """An SDK client on the loopback upstream (the SDK's default: 2 retries)."""
    async with AsyncOpenAI(base_url=upstream.url + "/v1", api_key="sk-test-secret") as c:
        yield c


def make(client: AsyncOpenAI, **kw: Any) -> OpenAIClientProvider:
    kw.setdefault("model", "gpt-test")
    return OpenAIClientProvider(client, name="oa", **kw)


def error_reply(status: int, message: str, **extra: Any) -> Reply:
    return Reply.json(status, {"error": {"message": message, **extra}})


async def test_streams_text_usage_and_tool_calls(upstream: Upstream, client: AsyncOpenAI) -> None:
    """Text, tool-call deltas, the finish reason and the usage chunk come out as from
    OpenAIProvider; the request carries messages, options, tools and stream_options."""
    call = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "get", "arguments": ""},
    }
    upstream.script(
        Reply(
            body=[
                chunk(role="assistant", content=""),
                chunk("Let me "),
                chunk("check."),
                chunk(tool_calls=[call]),
                chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"q": '}}]),
                chunk(tool_calls=[{"index": 0, "function": {"arguments": '"x"}'}}]),
                chunk(finish="tool_calls"),
                usage(7, 5),
                DONE,
            ]
        )
    )
    tools = [{"type": "function", "function": {"name": "get", "parameters": {"type": "object"}}}]
    request = REQ.replace(max_tokens=50, temperature=0.2, tools=tools, extra={"seed": 1})
    result = await complete(make(client), request)
    assert result.text == "Let me check."
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_1", "get", '{"q": "x"}')
    ]
    assert result.finish_reason == "tool_calls"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (7, 5)
    assert (result.provider, result.model) == ("oa", "gpt-test")
    sent = upstream.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == "Bearer sk-test-secret"
    body = sent.json
    assert body["model"] == "gpt-test" and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"], body["seed"]) == (50, 0.2, 1)
    assert body["tools"] == tools


async def test_the_clients_own_retries_are_off_for_our_calls(
    upstream: Upstream, client: AsyncOpenAI
) -> None:
    """One 500 is one request (the SDK would retry it twice); the user's client keeps
    its retries for other calls."""
    upstream.script(error_reply(500, "boom"))
    with pytest.raises(errors.ServerError) as caught:
        await complete(make(client), REQ)
    assert len(upstream.requests) == 1
    assert caught.value.status == 500 and caught.value.retryable
    assert client.max_retries == 2


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (error_reply(401, "bad key", code="invalid_api_key"), errors.AuthError),
        (error_reply(403, "no access"), errors.AuthError),
        (error_reply(400, "maximum context length", code="context_length_exceeded"),
         errors.ContextWindowExceeded),
        (error_reply(400, "filtered", code="content_filter"), errors.ContentFiltered),
        (error_reply(400, "bad temperature"), errors.BadRequest),
        (error_reply(503, "overloaded"), errors.ServerError),
    ],
)  # fmt: skip
async def test_status_errors_map_onto_the_error_table(
    upstream: Upstream, client: AsyncOpenAI, reply: Reply, cls: type[errors.ProviderError]
) -> None:
    """The SDK's status exceptions become the §1.3 classes, with the status."""
    upstream.script(reply)
    with pytest.raises(cls) as caught:
        await complete(make(client), REQ)
    assert type(caught.value) is cls
    assert caught.value.status == reply.status and caught.value.provider == "oa"


async def test_rate_limit_carries_retry_after(upstream: Upstream, client: AsyncOpenAI) -> None:
    """A 429's Retry-After (or retry-after-ms) becomes ``retry_after``."""
    upstream.script(
        Reply.json(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"}),
        Reply.json(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "1500"}),
    )
    with pytest.raises(errors.RateLimited) as first:
        await complete(make(client), REQ)
    with pytest.raises(errors.RateLimited) as second:
        await complete(make(client), REQ)
    assert (first.value.retry_after, second.value.retry_after) == (7.0, 1.5)


async def test_not_found_says_where(upstream: Upstream, client: AsyncOpenAI) -> None:
    """A 404 names the URL and the model, like the HTTP providers."""
    upstream.script(error_reply(404, "The model `nope` does not exist"))
    with pytest.raises(errors.BadRequest) as caught:
        await complete(make(client, model="nope"), REQ)
    assert "POST http://127.0.0.1" in caught.value.detail
    assert "/v1/chat/completions, model nope" in caught.value.detail


async def test_refused_connection_is_a_connect_error(closed_port_url: str) -> None:
    """Nothing listening: ConnectError (retryable, fails over)."""
    async with AsyncOpenAI(base_url=closed_port_url + "/v1", api_key="k") as c:
        with pytest.raises(errors.ConnectError) as caught:
            await complete(make(c), REQ)
    assert caught.value.retryable


async def test_sdk_timeout_before_first_token(upstream: Upstream) -> None:
    """The SDK's own read timeout before the first chunk is a FirstTokenTimeout."""
    upstream.script(Reply(before=[Hold(upstream.hold())]))
    async with AsyncOpenAI(base_url=upstream.url + "/v1", api_key="k", timeout=0.05) as c:
        with pytest.raises(errors.FirstTokenTimeout):
            await complete(make(c), REQ)


async def test_our_first_token_deadline(upstream: Upstream, client: AsyncOpenAI) -> None:
    """Headers but no content within ``first_token``: FirstTokenTimeout, stream closed."""
    upstream.script(Reply(body=[chunk(role="assistant", content=""), Hold(upstream.hold())]))
    provider = make(client, timeouts=Timeouts(first_token=0.05))
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(provider, REQ)
    await upstream.disconnected.wait()


async def test_a_cut_after_commit_is_interrupted(upstream: Upstream, client: AsyncOpenAI) -> None:
    """A reset after the first chunk: StreamInterrupted with the partial text."""
    upstream.script(Reply(body=[chunk(role="assistant", content=""), chunk("Hello "), RESET]))
    seen: list[str] = []
    with pytest.raises(errors.StreamInterrupted) as caught:
        async for c in make(client).stream_complete(REQ):
            seen.append(c.text)
    assert seen == ["Hello "]
    assert caught.value.partial.text == "Hello "
    assert isinstance(caught.value.cause, errors.ProtocolError)


@pytest.mark.parametrize(
    "fault", [pytest.param(RESET, id="reset"), pytest.param(b"data: {not json\n\n", id="garbage")]
)
async def test_a_fault_after_the_finish_reason_ends_the_answer_whole(
    upstream: Upstream, client: AsyncOpenAI, fault: Any
) -> None:
    """After the finish reason the answer is whole (SPEC §1.3): a reset or a malformed
    event where the usage chunk was awaited ends it, usage unknown, not interrupted."""
    upstream.script(Reply(body=[chunk("Hello "), chunk("world"), chunk(finish="stop"), fault]))
    result = await complete(make(client), REQ)
    assert (result.text, result.finish_reason, result.usage) == ("Hello world", "stop", None)
    assert len(upstream.requests) == 1


async def test_eof_without_finish_is_truncated(upstream: Upstream, client: AsyncOpenAI) -> None:
    """A clean end without a finish reason is not a success."""
    upstream.script(Reply(body=[chunk("Hello "), DONE]))
    with pytest.raises(errors.StreamInterrupted) as caught:
        await complete(make(client), REQ)
    assert "truncated" in caught.value.cause.message


async def test_idle_timeout_after_commit(upstream: Upstream, client: AsyncOpenAI) -> None:
    """A stall after the first chunk: StreamInterrupted caused by IdleTimeout."""
    upstream.script(Reply(body=[chunk("Hello "), Hold(upstream.hold())]))
    with pytest.raises(errors.StreamInterrupted) as caught:
        await complete(make(client, timeouts=Timeouts(idle=0.05)), REQ)
    assert isinstance(caught.value.cause, errors.IdleTimeout)


async def test_error_event_before_commit_is_typed(upstream: Upstream, client: AsyncOpenAI) -> None:
    """An ``{"error": …}`` event in a 200 stream is classified like OpenAIProvider's."""
    upstream.script(Reply(body=[sse({"error": {"message": "Rate limit reached", "code": "429"}})]))
    with pytest.raises(errors.RateLimited):
        await complete(make(client), REQ)


async def test_malformed_event_is_a_protocol_error(upstream: Upstream, client: AsyncOpenAI) -> None:
    """Invalid JSON, or a wrong-shaped event, before commit: ProtocolError (retryable)."""
    upstream.script(
        Reply(body=[b"data: {not json\n\n"]),
        Reply(body=[sse({"choices": [{"index": 0, "delta": {"content": 5}}]})]),
    )
    for _ in range(2):
        with pytest.raises(errors.ProtocolError) as caught:
            await complete(make(client), REQ)
        assert caught.value.retryable


async def test_azure_client(upstream: Upstream) -> None:
    """AsyncAzureOpenAI: the deployment URL, api-key header, api-version."""
    upstream.script(Reply(body=text_stream("Hi ", "Azure")))
    async with AsyncAzureOpenAI(
        azure_endpoint=upstream.url, api_key="az-key", api_version="2024-10-21"
    ) as c:
        provider = OpenAIClientProvider(c, model="my-deploy", name="azure")
        assert provider.azure
        result = await complete(provider, REQ)
    assert result.text == "Hi Azure"
    sent = upstream.requests[0]
    assert sent.path == "/openai/deployments/my-deploy/chat/completions"
    assert sent.query["api-version"] == "2024-10-21"
    assert sent.headers["api-key"] == "az-key"


async def test_stacked_retry_honours_retry_after_then_fails_over(
    upstream: Upstream, client: AsyncOpenAI, clock: FakeClock
) -> None:
    """In a router: the 429 is retried after its Retry-After (one owner for retries),
    then the 500s fail over to the next candidate before any text."""
    upstream.script(
        Reply.json(429, {"error": {"message": "slow"}}, {"Retry-After": "2"}),
        error_reply(500, "down"),
    )

    async def backup(request: ChatRequest) -> AsyncIterator[str]:
        yield "from backup"

    router = build_router(
        {"default": [make(client), FunctionProvider(backup)]},
        retry=RetryConfig(attempts=2),
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 0.0,
    )
    async with router:
        result = await complete(router, REQ)
    assert result.text == "from backup" and result.provider == "backup"
    assert len(upstream.requests) == 2 and clock.sleeps == [2.0]


def test_rejects_what_is_not_a_client() -> None:
    """A clear ConfigurationError, not an AttributeError later."""
    with pytest.raises(errors.ConfigurationError, match=r"expected an openai\.AsyncOpenAI"):
        OpenAIClientProvider(cast(Any, object()), model="m")
