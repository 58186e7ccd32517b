"""Anthropic's own options at ``/v1/messages`` (``thinking``, ``top_k``,
``service_tier``) reach an Anthropic upstream as they are, and another kind of upstream
as what it understands, never as fields it would refuse."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import anthropic
import pytest

from llm_router.builder import build_router
from llm_router.observe.logs import Logs
from llm_router.providers import AnthropicProvider, GeminiProvider, OpenAIProvider
from llm_router.types import Provider
from tests.gateway.conftest import MakeClient, detector
from tests.providers.conftest import Reply, Upstream, session, upstream
from tests.providers.replies import anthropic_reply, gemini_reply, openai_reply

__all__ = ["session", "upstream"]  # the loopback fixtures, used below

ASK: Any = [{"role": "user", "content": "Think, then answer."}]
OPTIONS: Any = {
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "top_k": 5,
    "service_tier": "auto",
}


def kinds(up: Upstream, s: aiohttp.ClientSession) -> dict[str, tuple[Provider, Reply]]:
    return {
        "openai": (
            OpenAIProvider(base_url=up.url, api_key="k", model="gpt-x", session=s),
            openai_reply("Done."),
        ),
        "gemini": (
            GeminiProvider(base_url=up.url, api_key="k", model="gemini-x", session=s),
            gemini_reply("Done."),
        ),
        "anthropic": (
            AnthropicProvider(base_url=up.url, api_key="k", model="claude-x", session=s),
            anthropic_reply("Done."),
        ),
    }


@pytest.mark.parametrize("kind", ["openai", "gemini", "anthropic"])
async def test_anthropic_options_reach_each_kind_of_upstream_as_it_understands_them(
    kind: str, make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Claude Code sends ``thinking`` to models that think: routed to an OpenAI or Gemini
    deployment it must not be sent there (each would refuse the request); to an
    Anthropic one it goes as it came."""
    provider, reply = kinds(upstream, session)[kind]
    upstream.script(reply)
    router = build_router(
        {"default": [provider]}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    client = await make_client(router)
    base = str(client.make_url(""))
    async with anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0) as sdk:
        answer = await sdk.messages.create(
            model="default", max_tokens=4096, messages=ASK, extra_body=OPTIONS
        )
    assert answer.content[-1].model_dump()["text"] == "Done."
    sent = json.dumps(upstream.requests[0].json)
    if kind == "anthropic":  # as the client sent them
        body = upstream.requests[0].json
        assert {k: body[k] for k in OPTIONS} == OPTIONS
    else:  # OpenAI: "Unrecognized request argument supplied: thinking"; Gemini likewise
        for name in (*OPTIONS, "anthropic", "budget_tokens"):
            assert name not in sent
