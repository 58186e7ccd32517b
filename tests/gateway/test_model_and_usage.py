"""One meaning for ``model`` and usage in the gateway's answers, whatever the provider
type: ``model`` is the deployment's (the upstream's own name goes to the logs and
``Completion.upstream_model``), and cached input tokens reach the usage block."""

from __future__ import annotations

from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from structlog.testing import capture_logs

from llm_router.builder import build_router
from llm_router.layers.routing import Router
from llm_router.observe.logs import Logs
from llm_router.providers import AnthropicProvider, GeminiProvider, OpenAIProvider
from llm_router.types import Provider
from tests.gateway.conftest import MakeClient, detector
from tests.providers.conftest import Reply, Upstream, session, upstream
from tests.providers.replies import anthropic_reply, gemini_reply, openai_reply

__all__ = ["session", "upstream"]  # the loopback fixtures, used below


async def sdk(make_client: MakeClient, provider: Provider) -> openai.AsyncOpenAI:
    router: Router = build_router(
        {"default": [provider]}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    client = await make_client(router)
    return openai.AsyncOpenAI(base_url=str(client.make_url("/v1")), api_key="k", max_retries=0)


Case = tuple[Provider, Reply, str, str]


def cases(up: Upstream, s: aiohttp.ClientSession) -> dict[str, Case]:
    """Per provider type: the provider, an answer with cached usage, the deployment's
    model and the model the upstream names."""
    return {
        "openai": (
            OpenAIProvider(base_url=up.url, api_key="k", model="gpt-x", session=s),
            openai_reply(
                "Hi.",
                model="gpt-x-2025-01-01",
                usage={
                    "prompt_tokens": 9,
                    "completion_tokens": 2,
                    "prompt_tokens_details": {"cached_tokens": 6},
                },
            ),
            "gpt-x",
            "gpt-x-2025-01-01",
        ),
        "anthropic": (
            AnthropicProvider(base_url=up.url, api_key="k", model="claude-x", session=s),
            anthropic_reply(
                "Hi.",
                model="claude-x-20250929",
                usage={
                    "input_tokens": 1,
                    "cache_read_input_tokens": 6,
                    "cache_creation_input_tokens": 2,
                    "output_tokens": 1,
                },
            ),
            "claude-x",
            "claude-x-20250929",
        ),
        "gemini": (
            GeminiProvider(base_url=up.url, api_key="k", model="gemini-x", session=s),
            gemini_reply(
                "Hi.",
                model="gemini-x-001",
                usage={
                    "promptTokenCount": 9,
                    "cachedContentTokenCount": 6,
                    "candidatesTokenCount": 2,
                },
            ),
            "gemini-x",
            "gemini-x-001",
        ),
    }


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
async def test_model_is_the_deployments_and_cached_tokens_are_reported(
    kind: str, make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Non-streaming and streaming: ``model`` is the deployment's model for every type;
    ``prompt_tokens_details.cached_tokens`` carries the cached input; the upstream's
    own model name is in the ``stream.completed`` log."""
    provider, reply, deployment_model, upstream_model = cases(upstream, session)[kind]
    upstream.script(reply)
    client = await sdk(make_client, provider)
    messages: Any = [{"role": "user", "content": "hi"}]
    with capture_logs() as logs:
        async with client:
            done = await client.chat.completions.create(model="default", messages=messages)
            stream = await client.chat.completions.create(
                model="default",
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            chunks = [c async for c in stream]
    assert done.model == deployment_model
    assert {c.model for c in chunks} == {deployment_model}
    for usage in (done.usage, chunks[-1].usage):
        assert usage is not None and usage.prompt_tokens == 9
        assert usage.prompt_tokens_details is not None
        assert usage.prompt_tokens_details.cached_tokens == 6
    completed = [e for e in logs if e["event"] == "stream.completed"]
    assert [(e["model"], e["upstream_model"]) for e in completed] == [
        (deployment_model, upstream_model)
    ] * 2
    assert {e["cached_input_tokens"] for e in completed} == {6}


async def test_anthropic_cache_writes_are_reported_apart(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Anthropic's cache creation tokens: ``prompt_tokens_details.cache_write_tokens``."""
    provider, reply, _, _ = cases(upstream, session)["anthropic"]
    upstream.script(reply)
    client = await sdk(make_client, provider)
    async with client:
        raw = await client.chat.completions.with_raw_response.create(
            model="default", messages=[{"role": "user", "content": "hi"}]
        )
    usage = raw.http_response.json()["usage"]
    assert usage == {
        "prompt_tokens": 9,
        "completion_tokens": 5,
        "total_tokens": 14,
        "prompt_tokens_details": {"cached_tokens": 6, "cache_write_tokens": 2},
    }


@pytest.mark.parametrize(
    ("kind", "cache"),
    [
        ("openai", {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 6}),
        ("anthropic", {"cache_creation_input_tokens": 2, "cache_read_input_tokens": 6}),
        ("gemini", {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 6}),
    ],
)
async def test_the_messages_api_reports_cached_input_apart_like_anthropic(
    kind: str,
    cache: dict[str, int],
    make_client: MakeClient,
    upstream: Upstream,
    session: aiohttp.ClientSession,
) -> None:
    """At ``/v1/messages`` ``input_tokens`` is Anthropic's: the prompt minus what was
    read from or written to the cache, which are reported apart (so a client pricing
    the three parts is not billed the cached tokens at the full rate), whichever
    provider answered; streaming and not. (Seen against llama.cpp's llama-server: its
    own ``/v1/messages`` says ``input_tokens: 1, cache_read_input_tokens: 76``.)"""
    provider, reply, _, _ = cases(upstream, session)[kind]
    upstream.script(reply, reply)
    router: Router = build_router(
        {"default": [provider]}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    client = await make_client(router)
    messages: Any = [{"role": "user", "content": "hi"}]
    async with anthropic.AsyncAnthropic(
        base_url=str(client.make_url("")), api_key="k", max_retries=0
    ) as sdk_client:
        done = await sdk_client.messages.create(model="default", max_tokens=50, messages=messages)
        async with sdk_client.messages.stream(
            model="default", max_tokens=50, messages=messages
        ) as stream:
            streamed = await stream.get_final_message()
    for usage in (done.usage, streamed.usage):
        read, written = cache["cache_read_input_tokens"], cache["cache_creation_input_tokens"]
        assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (
            read,
            written,
        )
        assert usage.input_tokens + read + written == 9  # the whole prompt
