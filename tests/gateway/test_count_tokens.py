"""``POST /v1/messages/count_tokens``: Anthropic's own count where a route has an
Anthropic deployment, else Anthropic's 404 so the client (Claude Code) counts locally."""

from __future__ import annotations

from typing import Any

import aiohttp
import anthropic
import pytest

from llm_router.builder import build_router
from llm_router.config import BreakerConfig
from llm_router.observe.logs import Logs
from llm_router.providers import AnthropicProvider, OpenAIProvider
from llm_router.providers.scripted import ScriptedProvider
from llm_router.types import Provider
from tests.gateway.conftest import MakeClient, detector
from tests.providers.conftest import Reply, Upstream, session, upstream

__all__ = ["session", "upstream"]  # the loopback fixtures, used below

ASK: Any = [{"role": "user", "content": "How many tokens is this?"}]
TOOLS: Any = [{"name": "weather", "input_schema": {"type": "object"}}]


def claude(up: Upstream, s: aiohttp.ClientSession) -> AnthropicProvider:
    return AnthropicProvider(base_url=up.url, api_key="k", model="claude-x", session=s)


async def count(make_client: MakeClient, route: list[Provider]) -> int:
    router = build_router(
        {"default": route}, retry=None, breaker=None, detector=detector, hook=Logs()
    )
    client = await make_client(router)
    base = str(client.make_url(""))
    async with anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0) as sdk:
        counted = await sdk.messages.count_tokens(
            model="default", messages=ASK, system="Be brief.", tools=TOOLS
        )
    return counted.input_tokens


async def test_an_anthropic_deployment_counts(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The count is Anthropic's, asked with the countable fields only (no ``max_tokens``,
    no ``stream``), the deployment's model and key; another kind of deployment before it
    on the route is passed over."""
    upstream.script(Reply.json(200, {"input_tokens": 1234}))
    other = OpenAIProvider(base_url="http://127.0.0.1:9/v1", api_key="k", model="gpt-x")
    assert await count(make_client, [other, claude(upstream, session)]) == 1234
    sent = upstream.requests[0]
    assert sent.path == "/v1/messages/count_tokens"
    assert sent.headers["x-api-key"] == "k"
    assert set(sent.json) == {"model", "messages", "system", "tools"}
    assert sent.json["model"] == "claude-x" and sent.json["system"] == "Be brief."


@pytest.mark.parametrize(
    "answer",
    [Reply.json(500, {"error": {"message": "down"}}), Reply.json(200, {"tokens": 5})],
    ids=["upstream-error", "no-count"],
)
async def test_no_count_from_the_upstream_is_a_404_never_a_guess(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession, answer: Reply
) -> None:
    upstream.script(answer)
    with pytest.raises(anthropic.NotFoundError) as caught:
        await count(make_client, [claude(upstream, session)])
    assert "count locally" in caught.value.body["error"]["message"]


async def test_a_malformed_body_is_a_400(make_client: MakeClient) -> None:
    router = build_router(
        {"default": [ScriptedProvider()]}, retry=None, breaker=None, detector=detector
    )
    client = await make_client(router)
    resp = await client.post("/v1/messages/count_tokens", json={"model": "default"})
    assert resp.status == 400
    assert (await resp.json())["error"]["type"] == "invalid_request_error"


async def test_a_deployment_behind_an_open_breaker_is_not_asked(
    make_client: MakeClient, upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A failed stream opens the breaker (``fail_max`` 1): the count is a 404 at once,
    and the upstream hears nothing more."""
    upstream.script(
        Reply.json(500, {"error": {"message": "down"}}), Reply.json(200, {"input_tokens": 7})
    )
    router = build_router(
        {"default": [claude(upstream, session)]},
        retry=None,
        breaker=BreakerConfig(fail_max=1, reset_timeout=60),
        detector=detector,
    )
    client = await make_client(router)
    base = str(client.make_url(""))
    async with anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0) as sdk:
        with pytest.raises(anthropic.APIStatusError):
            await sdk.messages.create(model="default", max_tokens=5, messages=ASK)
        with pytest.raises(anthropic.NotFoundError):
            await sdk.messages.count_tokens(model="default", messages=ASK)
    assert len(upstream.requests) == 1
