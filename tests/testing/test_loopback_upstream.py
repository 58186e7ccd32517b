"""``llm_router.testing.LoopbackUpstream`` and the pytest fixtures: the same scripts on a
real socket (mid-stream stalls and resets, SDK clients, disconnects)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from anthropic import AsyncAnthropic
from openai import AsyncOpenAI

from llm_router import ChatRequest, complete, errors
from llm_router.config import Timeouts
from llm_router.providers import (
    AnthropicClientProvider,
    AnthropicProvider,
    GeminiProvider,
    OllamaProvider,
    OpenAIClientProvider,
    OpenAIProvider,
)
from llm_router.testing import LoopbackUpstream, MockUpstreams, Reply
from llm_router.testing.pytest_plugin import llm_mock, llm_upstream
from llm_router.types import Provider

__all__ = ["llm_mock", "llm_upstream"]  # the plugin's fixtures, used below

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
Start = Callable[..., Awaitable[LoopbackUpstream]]


def provider(up: LoopbackUpstream, **kw: object) -> Provider:
    if up.kind == "openai":
        return OpenAIProvider(model="m", base_url=up.base_url, api_key="k", **kw)  # type: ignore[arg-type]
    if up.kind == "anthropic":
        return AnthropicProvider(model="m", base_url=up.base_url, api_key="k", **kw)  # type: ignore[arg-type]
    if up.kind == "gemini":
        return GeminiProvider(model="m", base_url=up.base_url, api_key="k", **kw)  # type: ignore[arg-type]
    return OllamaProvider(model="m", base_url=up.base_url, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini", "ollama"])
async def test_mid_stream_stall_and_reset(llm_upstream: Start, kind: str) -> None:
    """What only a socket can do: a stall after text (idle timeout) and a TCP reset
    after text, both interrupted streams with the partial answer."""
    up = await llm_upstream(kind)
    up.script(Reply.stall(after=1, text="one two"), Reply.cut("one two", after=1, reset=True))
    p = provider(up, timeouts=Timeouts(idle=0.05))
    with pytest.raises(errors.StreamInterrupted) as stalled:
        await complete(p, REQ)
    assert isinstance(stalled.value.cause, errors.IdleTimeout)
    with pytest.raises(errors.StreamInterrupted) as reset:
        await complete(p, REQ)
    assert reset.value.partial.text == "one "
    assert isinstance(reset.value.cause, errors.ProtocolError)
    assert up.calls == 2


async def test_sdk_clients_through_the_adapters(llm_upstream: Start) -> None:
    """The openai and anthropic SDKs (which do not use aiohttp) against loopback upstreams."""
    oa, an = await llm_upstream("openai"), await llm_upstream("anthropic", model="claude-x")
    oa.script(Reply(text="from openai"))
    an.script(Reply(text="from anthropic"))
    async with (
        AsyncOpenAI(base_url=oa.base_url, api_key="k") as o,
        AsyncAnthropic(base_url=an.base_url, api_key="k") as a,
    ):
        first = await complete(OpenAIClientProvider(o, model="gpt"), REQ)
        second = await complete(AnthropicClientProvider(a, model="claude"), REQ)
    assert (first.text, second.text) == ("from openai", "from anthropic")
    assert oa.requests[0].url.endswith("/v1/chat/completions")


async def test_a_client_that_hangs_up_is_seen(llm_upstream: Start) -> None:
    """Cancelling the stream closes the connection: the upstream notices."""
    up = await llm_upstream("openai")
    up.script(Reply.stall(after=1))
    stream = provider(up).stream_complete(REQ)
    first = await anext(stream)
    assert first.text
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(up.disconnected.wait(), 5)


async def test_refused_and_error_status_on_a_socket(llm_upstream: Start) -> None:
    """A refused answer drops the connection (ConnectError); a 429 carries Retry-After."""
    up = await llm_upstream("anthropic")
    up.script(Reply.refused(), Reply.error(429, retry_after=1.5))
    with pytest.raises(errors.ConnectError):
        await complete(provider(up), REQ)
    with pytest.raises(errors.RateLimited) as limited:
        await complete(provider(up), REQ)
    assert limited.value.retry_after == 1.5


async def test_the_mock_fixture(llm_mock: MockUpstreams) -> None:
    """``llm_mock`` is a started MockUpstreams."""
    llm_mock.ollama().script(Reply(text="local answer"))
    assert (await complete(OllamaProvider(model="llama3.2"), REQ)).text == "local answer"
