"""A malformed or wrong-shaped event before the first chunk is a ProtocolError that the
retry layer retries and the router fails over to the next candidate — through the
library and through the gateway — against real loopback upstreams.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from llm_router import ChatRequest, RetryConfig, build_router, complete
from llm_router.gateway.app import create_app
from llm_router.layers.routing import Router
from tests.providers.conftest import Reply, Upstream, started
from tests.providers.malformed_wires import OPENAI, WIRES, Wire

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
WORDS = ("Mock ", "response ", "from the fallback.")


async def _no_sleep(_: float) -> None:
    """The retry layer's backoff, skipped (time is injected, never waited in tests)."""


@pytest.fixture
async def fallback() -> AsyncIterator[Upstream]:
    """A second loopback upstream, the healthy candidate."""
    async with started() as up:
        yield up


def _router(wire: Wire, bad: Upstream, good: Upstream, session: aiohttp.ClientSession) -> Router:
    """A route of two candidates of ``wire``'s format: ``bad`` first, then ``good``."""
    good.script(Reply(headers=wire.headers, body=wire.body(*map(wire.text, WORDS))))
    primary = wire.make(bad.url, session, "primary")
    second = wire.make(good.url, session, "fallback")
    return build_router(
        {"chat": [primary, second]},
        default="chat",
        retry=RetryConfig(attempts=2),
        sleep=_no_sleep,
    )


@pytest.mark.parametrize("wire", [pytest.param(w, id=w.name) for w in WIRES])
async def test_malformed_json_before_commit_fails_over(
    upstream: Upstream, fallback: Upstream, session: aiohttp.ClientSession, wire: Wire
) -> None:
    """Broken JSON in place of the first content event: retried on the primary, then the
    healthy fallback answers whole; the caller never sees the primary's fault."""
    upstream.script(Reply(headers=wire.headers, body=wire.body(wire.broken("Mock ", "cut"))))
    async with _router(wire, upstream, fallback, session) as router:
        result = await complete(router, REQ)
    assert result.text == "".join(WORDS) and result.finish_reason == "stop"
    assert result.provider == "fallback"
    assert len(upstream.requests) == 2  # ProtocolError is retryable before commit
    assert len(fallback.requests) == 1


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(OPENAI.wrong_shapes[name], id=name)
        for name in ("choices-string", "usage-number", "content-number", "tool-index-string")
    ],
)
async def test_wrong_shape_before_commit_fails_over(
    upstream: Upstream, fallback: Upstream, session: aiohttp.ClientSession, payload: Any
) -> None:
    """The wrong-shaped OpenAI events of the issue, before any text, fail over too
    (they used to escape as AttributeError/ValueError: no failover, gateway 500)."""
    upstream.script(Reply(body=OPENAI.body(OPENAI.event(payload), OPENAI.text("x"))))
    async with _router(OPENAI, upstream, fallback, session) as router:
        result = await complete(router, REQ)
    assert (result.text, result.provider) == ("".join(WORDS), "fallback")


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "non-stream"])
async def test_gateway_fails_over_past_a_wrong_shaped_event(
    upstream: Upstream, fallback: Upstream, session: aiohttp.ClientSession, stream: bool
) -> None:
    """Through the gateway: 200 with the fallback's whole answer, never a 500."""
    upstream.script(Reply(body=OPENAI.body(OPENAI.event({"choices": "x"}))))
    router = _router(OPENAI, upstream, fallback, session)
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(router, registry=CollectorRegistry()))
    )
    await client.start_server()
    try:
        body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
        resp = await client.post("/v1/chat/completions", json=body)
        assert resp.status == 200
        assert resp.headers["x-llm-router-provider"] == "fallback"
        raw = await resp.text()
    finally:
        await client.close()
        await router.aclose()
    if stream:
        events = [line[6:] for line in raw.split("\n") if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        text = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
        )
    else:
        text = json.loads(raw)["choices"][0]["message"]["content"]
    assert text == "".join(WORDS)
