"""End to end over real loopback HTTP: Router → CircuitBreaker → Retry → OpenAIProvider.

Two aiohttp upstreams speak OpenAI's SSE; the primary misbehaves (refuses connections,
answers 500 or 429, stalls before its first token) and the caller must get the
fallback's whole answer, once, with exact call counts on each upstream.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiohttp import web

from llm_router import ChatRequest, complete
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RetryConfig, Timeouts
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.session import shared_session
from tests.conftest import FakeClock
from tests.layers.test_router import Detection, Recorder


def _event(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "c1", "object": "chat.completion.chunk", "model": model, "choices": [choice]}
    return f"data: {json.dumps(body)}\n\n".encode()


def _sse(model: str, words: Sequence[str]) -> list[bytes]:
    usage = {"prompt_tokens": 3, "completion_tokens": len(words), "total_tokens": 3 + len(words)}
    return [
        _event(model, {"role": "assistant", "content": ""}),
        *(_event(model, {"content": w}) for w in words),
        _event(model, {}, "stop"),
        f"data: {json.dumps({'id': 'c1', 'choices': [], 'usage': usage})}\n\n".encode(),
        b"data: [DONE]\n\n",
    ]


class Upstream:
    """A loopback OpenAI-compatible server whose i-th call follows ``behaviours[i]``
    (the last repeats): ``ok``, ``500``, ``429`` or ``stall``."""

    def __init__(self, model: str, words: Sequence[str], behaviours: Sequence[str]) -> None:
        self.model, self.words, self.behaviours = model, list(words), list(behaviours)
        self.calls = 0
        self.hold = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        behaviour = self.behaviours[min(self.calls, len(self.behaviours) - 1)]
        self.calls += 1
        await request.read()
        if behaviour == "500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if behaviour == "429":
            body = {"error": {"message": "slow down", "type": "rate_limit"}}
            return web.json_response(body, status=429, headers={"Retry-After": "0"})
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        events = _sse(self.model, self.words)
        if behaviour == "stall":
            await resp.write(events[0])  # the role-only delta: not a token
            await self.hold.wait()
            return resp
        for event in events:
            await resp.write(event)
        await resp.write_eof()
        return resp

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/v1"
        return self.url

    async def stop(self) -> None:
        self.hold.set()
        if self.runner is not None:
            await self.runner.cleanup()


FB = "Hello from the fallback."


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
async def fallback() -> AsyncIterator[Upstream]:
    """The healthy fallback upstream."""
    up = Upstream("fb-model", ["Hello ", "from ", "the ", "fallback."], ["ok"])
    await up.start()
    yield up
    await up.stop()


@pytest.mark.parametrize(
    ("behaviours", "primary_calls", "fallback_calls", "retries", "text"),
    [
        pytest.param(None, 0, 1, ["connect_error"], FB, id="refused"),
        pytest.param(["500"], 2, 1, ["server_error"], FB, id="server-error"),
        pytest.param(["429", "ok"], 2, 0, ["rate_limited"], "Primary answers.", id="429-then-ok"),
        pytest.param(["429"], 2, 1, ["rate_limited"], FB, id="429-twice"),
        pytest.param(["stall"], 1, 1, [], FB, id="stall-first-token"),
    ],
)
async def test_primary_failure_served_by_fallback(
    fallback: Upstream,
    clock: FakeClock,
    behaviours: list[str] | None,
    primary_calls: int,
    fallback_calls: int,
    retries: list[str],
    text: str,
) -> None:
    """The caller gets one complete, unduplicated answer; each upstream's calls are exact."""
    primary = Upstream("pri-model", ["Primary ", "answers."], behaviours or ["ok"])
    url = _closed_port_url() if behaviours is None else await primary.start()
    # Only the stall case needs the short first-token timeout; elsewhere it would
    # turn a slow loopback connect on a busy machine into a spurious failover.
    first_token = 0.05 if behaviours == ["stall"] else 5.0
    timeouts = Timeouts(connect=2.0, first_token=first_token, idle=5.0, total=10.0)
    pri = OpenAIProvider(
        base_url=url, model="pri-model", name="pri", api_key="k", timeouts=timeouts
    )
    fb = OpenAIProvider(base_url=fallback.url, model="fb-model", name="fb", api_key="k")
    obs = Recorder()
    router = build_router(
        {"default": [pri, fb]},
        retry=RetryConfig(attempts=2),
        breaker=BreakerConfig(fail_max=5),
        detector=lambda r: Detection("chat"),
        hook=obs,
        clock=time.monotonic,
        sleep=clock.sleep,  # retry waits are recorded, not slept
        rng=lambda: 0.0,
    )
    try:
        async with shared_session().get(fallback.url + "/warm-up") as warm:  # not counted
            await warm.read()
        out = await complete(router, ChatRequest(messages=[{"role": "user", "content": "hi"}]))
    finally:
        await router.aclose()
        await primary.stop()
    assert out.text == text and out.finish_reason == "stop"
    assert (primary.calls, fallback.calls) == (primary_calls, fallback_calls)
    assert [e[1] for e in obs.of("retry")] == retries
    [record] = obs.records
    assert record.outcome == "success" and record.fallbacks == fallback_calls
    assert record.provider == ("fb" if fallback_calls else "pri")
    assert record.usage is not None and record.usage.output_tokens == len(text.split())
