"""``client.beta.chat.completions.parse(response_format=Model)`` with the official SDK
through the gateway, on a route of each provider type (loopback upstreams speaking each
wire format), and what happens where no deployment supports a JSON schema; plus the
``model`` and cached-usage rules of the responses (docs/DESIGN.md §2.1, §4.6, §7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import openai
import pytest
from pydantic import BaseModel

from llm_router.builder import RouteEntry, build_router
from llm_router.capabilities import Capabilities
from llm_router.layers.routing import Router
from llm_router.providers import AnthropicProvider, GeminiProvider, OllamaProvider, OpenAIProvider
from llm_router.types import Provider
from tests.gateway.conftest import MakeClient, detector
from tests.providers.conftest import Reply, Upstream, session, upstream
from tests.providers.replies import (
    anthropic_reply,
    as_json,
    gemini_reply,
    ollama_reply,
    openai_reply,
)

__all__ = ["session", "upstream"]  # the loopback fixtures, used below


class Invoice(BaseModel):
    """What the caller wants back."""

    total: float
    currency: str


ANSWER = as_json({"total": 12.5, "currency": "EUR"})


Kind = Callable[[Upstream, aiohttp.ClientSession], tuple[Provider, Reply]]


def _openai(up: Upstream, s: aiohttp.ClientSession) -> tuple[Provider, Reply]:
    p = OpenAIProvider(base_url=up.url + "/v1", api_key="sk-up", model="gpt-x", session=s)
    return p, openai_reply(ANSWER)


def _anthropic(up: Upstream, s: aiohttp.ClientSession) -> tuple[Provider, Reply]:
    p = AnthropicProvider(base_url=up.url, api_key="sk-ant", model="claude-x", session=s)
    return p, anthropic_reply(ANSWER, tool="Invoice")


def _gemini(up: Upstream, s: aiohttp.ClientSession) -> tuple[Provider, Reply]:
    p = GeminiProvider(base_url=up.url + "/v1beta", api_key="AIza", model="gemini-x", session=s)
    return p, gemini_reply(ANSWER)


def _ollama(up: Upstream, s: aiohttp.ClientSession) -> tuple[Provider, Reply]:
    return OllamaProvider(base_url=up.url, model="llama-x", session=s), ollama_reply(ANSWER)


def _schema_sent(kind: str, body: dict[str, Any]) -> Any:
    """Where each wire carries the requested JSON schema."""
    if kind == "openai":
        return body["response_format"]["json_schema"]["schema"]
    if kind == "anthropic":
        assert body["tool_choice"] == {"type": "tool", "name": "Invoice"}
        return body["tools"][-1]["input_schema"]
    if kind == "gemini":
        assert body["generationConfig"]["responseMimeType"] == "application/json"
        return body["generationConfig"]["responseJsonSchema"]
    return body["format"]


KINDS: dict[str, Kind] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "ollama": _ollama,
}


def routed(*entries: RouteEntry) -> Router:
    """A router (built like a policy's) whose default route lists ``entries``."""
    return build_router({"default": list(entries)}, retry=None, breaker=None, detector=detector)


async def sdk(make_client: MakeClient, router: Router) -> openai.AsyncOpenAI:
    client = await make_client(router)
    return openai.AsyncOpenAI(base_url=str(client.make_url("/v1")), api_key="k", max_retries=0)


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_parse_succeeds_on_every_provider_type(
    kind: str, make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The SDK's parse() gets a validated Invoice whatever the upstream's API; each
    upstream received the schema in its own place; ``model`` is the deployment's."""
    provider, reply = KINDS[kind](upstream, session)
    upstream.script(reply)
    client = await sdk(make_client, routed(RouteEntry(provider)))
    async with client:
        completion = await client.beta.chat.completions.parse(
            model="default",
            messages=[{"role": "user", "content": "Total of invoice 7?"}],
            response_format=Invoice,
        )
    parsed = completion.choices[0].message.parsed
    assert parsed == Invoice(total=12.5, currency="EUR")
    assert completion.choices[0].finish_reason == "stop"
    sent = _schema_sent(kind, upstream.requests[0].json)
    assert sent["properties"].keys() == {"total", "currency"}
    assert sent["required"] == ["total", "currency"]
    assert completion.model == f"{kind_model(kind)}"


def kind_model(kind: str) -> str:
    """The deployment model of each kind's provider (see the factories above)."""
    return {"openai": "gpt-x", "anthropic": "claude-x", "gemini": "gemini-x"}.get(kind, "llama-x")


async def test_parse_skips_a_deployment_without_json_schema(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A candidate that declares no JSON schema support is skipped before any call."""
    local, _ = _ollama(upstream, session)
    claude, reply = _anthropic(upstream, session)
    upstream.script(reply)
    no_schema = RouteEntry(local, capabilities=Capabilities(vision=False, json_schema=False))
    client = await sdk(make_client, routed(no_schema, RouteEntry(claude)))
    async with client:
        completion = await client.beta.chat.completions.parse(
            model="default",
            messages=[{"role": "user", "content": "Total?"}],
            response_format=Invoice,
        )
    assert completion.choices[0].message.parsed == Invoice(total=12.5, currency="EUR")
    assert [r.path for r in upstream.requests] == ["/v1/messages"]  # Ollama never asked


async def test_parse_refused_where_no_deployment_supports_it(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """No candidate can serve it: a 400 naming the missing capability and the field."""
    local, _ = _ollama(upstream, session)
    client = await sdk(
        make_client, routed(RouteEntry(local, capabilities=Capabilities(json_schema=False)))
    )
    async with client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.beta.chat.completions.parse(
                model="default",
                messages=[{"role": "user", "content": "Total?"}],
                response_format=Invoice,
            )
    assert caught.value.status_code == 400
    assert caught.value.code == "unsupported" and caught.value.param == "response_format"
    assert "json_schema" in caught.value.message
    assert upstream.requests == []
