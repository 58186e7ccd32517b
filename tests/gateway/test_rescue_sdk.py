"""Stream rescue through the gateway, with the official ``openai`` SDK as the client.

The upstream (a real loopback server) cuts its stream after three words; the gateway's
router replays it, verifies the seam and relays only what follows. The SDK sees one
uninterrupted stream ending in ``[DONE]``; ``/metrics`` counts the rescue.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from prometheus_client import CollectorRegistry

from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.routing import Router
from llm_router.observe import fan_out
from llm_router.observe.metrics import Metrics
from llm_router.providers.openai import OpenAIProvider
from tests.gateway.conftest import MakeClient
from tests.providers.conftest import RESET, Reply, Upstream, sse, upstream

__all__ = ["upstream"]  # the loopback upstream fixture, used below

WORDS = ["Once ", "upon ", "a ", "time ", "there ", "was ", "a ", "lighthouse."]


def _delta(**d: Any) -> bytes:
    return sse({"id": "c", "model": "m", "choices": [{"index": 0, "delta": d}]})


def _answer(n: int | None = None) -> Reply:
    body = [_delta(role="assistant", content=""), *(_delta(content=w) for w in WORDS[:n])]
    if n is not None:
        return Reply(body=[*body, RESET])
    end = {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    usage = {"prompt_tokens": 4, "completion_tokens": 8, "total_tokens": 12}
    return Reply(
        body=[*body, sse(end), sse({"id": "c", "choices": [], "usage": usage}), b"data: [DONE]\n\n"]
    )


def _router(upstream: Upstream, registry: CollectorRegistry) -> Router:
    real = OpenAIProvider(model="m", base_url=upstream.url + "/v1", api_key="sk-up", name="up")
    return build_router(
        {"default": [real]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=10),
        hook=fan_out(Metrics(registry)),
    )


@pytest.mark.parametrize("stream", [True, False])
async def test_the_sdk_receives_one_whole_answer_when_the_upstream_cuts(
    make_client: MakeClient, upstream: Upstream, stream: bool
) -> None:
    upstream.script(_answer(3), _answer())
    registry = CollectorRegistry()
    router = _router(upstream, registry)
    client = await make_client(router)
    sdk = openai.AsyncOpenAI(base_url=str(client.make_url("/v1")), api_key="x", max_retries=0)
    messages: Any = [{"role": "user", "content": "Tell me a story"}]
    async with sdk:
        if stream:
            out = await sdk.chat.completions.create(model="auto", messages=messages, stream=True)
            pieces, finish = [], None
            async for chunk in out:
                if chunk.choices:
                    pieces.append(chunk.choices[0].delta.content or "")
                    finish = chunk.choices[0].finish_reason or finish
            text = "".join(pieces)
        else:
            whole = await sdk.chat.completions.create(model="auto", messages=messages)
            text, finish = whole.choices[0].message.content or "", whole.choices[0].finish_reason
    await router.aclose()
    assert text == "".join(WORDS) and finish == "stop"
    assert len(upstream.requests) == 2
    rescued = registry.get_sample_value(
        "llm_router_rescues_total", {"provider": "up", "strategy": "replay", "outcome": "rescued"}
    )
    # streaming: the replay is a rescue; non-streaming: the whole stream was setup and a
    # fresh start is not a rescue (nothing had been delivered)
    assert rescued == (1.0 if stream else None)
