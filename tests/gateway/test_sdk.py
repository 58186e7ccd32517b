"""End to end with the official ``openai`` SDK as the client of the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import openai
import pytest

from llm_router.layers.routing import Router
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ToolCall, Usage
from tests.gateway.conftest import MakeClient, make_router
from tests.gateway.upstream import Upstream, running

USER = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """A healthy loopback OpenAI-style upstream."""
    async with running(Upstream()) as up:
        yield up


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """The providers' HTTP session."""
    async with aiohttp.ClientSession() as s:
        yield s


async def sdk(make_client: MakeClient, router: Router) -> openai.AsyncOpenAI:
    """An AsyncOpenAI client (default HTTP client) pointed at a gateway on ``router``."""
    client = await make_client(router, api_keys=["gw-key"])
    return openai.AsyncOpenAI(base_url=str(client.make_url("/v1")), api_key="gw-key", max_retries=0)


def http_router(upstream: Upstream, session: aiohttp.ClientSession) -> Router:
    """Primary fails before its first token; the loopback upstream answers."""
    down = ScriptedProvider(name="down", scripts=(Script(fault=Fault("server_error")),))
    real = OpenAIProvider(
        model="up-model-1", base_url=upstream.url, api_key="sk-up", name="up", session=session
    )
    return make_router({"default": [down, real]})


async def test_sdk_streaming_through_failover(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The SDK streams the fallback's answer; the failover is invisible to it."""
    client = await sdk(make_client, http_router(upstream, session))
    async with client:
        stream = await client.chat.completions.create(
            model="auto",
            messages=USER,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from upstream."
    assert {c.model for c in chunks} == {"up-model-1"}
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert upstream.requests[0]["model"] == "up-model-1"


async def test_sdk_non_streaming(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A non-streaming call gets a ChatCompletion with the upstream's model."""
    client = await sdk(make_client, http_router(upstream, session))
    async with client:
        raw = await client.chat.completions.with_raw_response.create(
            model="auto",
            messages=USER,  # type: ignore[arg-type]
        )
        completion = raw.parse()
    assert raw.headers["x-llm-router-provider"] == "up"
    assert completion.choices[0].message.content == "Hello from upstream."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "up-model-1"


async def test_sdk_tool_calls_and_usage(make_client: MakeClient) -> None:
    """Tool calls and usage reach the SDK intact, streaming and not."""
    call = ToolCall(id="call_7", name="lookup", arguments='{"q": "llm routing"}')
    script = Script(text="", tool_calls=(call,), usage=Usage(input_tokens=11, output_tokens=5))
    router = make_router({"default": [ScriptedProvider(name="tools", scripts=(script,))]})
    client = await sdk(make_client, router)
    async with client:
        completion = await client.chat.completions.create(
            model="default",
            messages=USER,  # type: ignore[arg-type]
        )
        stream = await client.chat.completions.create(
            model="default",
            messages=USER,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
    calls = completion.choices[0].message.tool_calls
    assert calls is not None and calls[0].id == "call_7"
    assert calls[0].function.name == "lookup"  # type: ignore[union-attr]
    assert calls[0].function.arguments == call.arguments  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage is not None and completion.usage.total_tokens == 16
    streamed = "".join(
        d.function.arguments or ""
        for c in chunks
        if c.choices
        for d in c.choices[0].delta.tool_calls or ()
        if d.function is not None
    )
    assert streamed == call.arguments
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 11


async def test_sdk_sees_post_commit_failure_as_error(make_client: MakeClient) -> None:
    """A stream cut after commit raises openai.APIError while iterating, never a short answer."""
    script = Script(text="one two three four five", fault=Fault("server_error", after_chunks=2))
    router = make_router({"default": [ScriptedProvider(name="cut", scripts=(script,))]})
    client = await sdk(make_client, router)
    received: list[str] = []
    async with client:
        stream = await client.chat.completions.create(
            model="auto",
            messages=USER,  # type: ignore[arg-type]
            stream=True,
        )
        with pytest.raises(openai.APIError) as caught:
            async for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "one two "
    assert "interrupted" in caught.value.message


async def test_sdk_errors_have_openai_types(make_client: MakeClient) -> None:
    """Gateway errors map to the SDK's typed exceptions (404, 401, 429)."""
    limited = ScriptedProvider(
        name="limited", scripts=(Script(fault=Fault("rate_limited", retry_after=1.0)),)
    )
    client = await sdk(make_client, make_router({"default": [limited]}))
    async with client:
        with pytest.raises(openai.NotFoundError):
            await client.chat.completions.create(model="nope", messages=USER)  # type: ignore[arg-type]
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="auto", messages=USER)  # type: ignore[arg-type]
        wrong = client.with_options(api_key="not-the-key")
        with pytest.raises(openai.AuthenticationError):
            await wrong.chat.completions.create(model="auto", messages=USER)  # type: ignore[arg-type]
        models = await client.models.list()
    assert "auto" in [m.id for m in models.data]
