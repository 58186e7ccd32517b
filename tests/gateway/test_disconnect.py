"""A client that goes away cancels the upstream at once, in every phase, breaker-neutral."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.retry import Retry
from llm_router.layers.router import Candidate, Route, Router
from llm_router.observe import NullObserver, StreamRecord
from llm_router.providers.openai import OpenAIProvider
from tests.gateway.conftest import MakeClient, chat_body, detector
from tests.gateway.upstream import Upstream, running


class Finished(NullObserver):
    """Records each routed stream's end and signals it."""

    def __init__(self) -> None:
        self.records: list[StreamRecord] = []
        self.event = asyncio.Event()

    def stream_finished(self, record: StreamRecord) -> None:
        """Record and signal."""
        self.records.append(record)
        self.event.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """The providers' own HTTP session (closed after the test)."""
    async with aiohttp.ClientSession() as s:
        yield s


def stack(
    upstream: Upstream, session: aiohttp.ClientSession, observer: Finished
) -> tuple[Router, CircuitBreaker]:
    """Router → breaker (fail_max 1: any charge would open it) → retry → OpenAIProvider."""
    provider = OpenAIProvider(
        model="up-model-1", base_url=upstream.url, api_key="sk-test", name="up", session=session
    )
    retry = Retry(provider, RetryConfig(attempts=2, max_retry_after=30.0), observer=observer)
    breaker = CircuitBreaker(retry, BreakerConfig(fail_max=1), deployment="up")
    route = Route("default", (Candidate(breaker, "up", breaker=breaker),))
    return Router({"default": route}, detector=detector, observer=observer), breaker


async def _disconnect_after(
    client_session: aiohttp.ClientSession, url: str, body: dict[str, Any], ready: asyncio.Event
) -> None:
    """Send ``body``; once ``ready`` is set, drop the connection (cancel the request)."""

    async def call() -> None:
        async with client_session.post(url, json=body) as resp:
            await resp.content.read()

    task = asyncio.create_task(call())
    await asyncio.wait_for(ready.wait(), 2.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    ("stream", "hold_after"),
    [
        pytest.param(True, 0, id="waiting-for-first-token"),
        pytest.param(True, 2, id="streaming"),
        pytest.param(False, 2, id="non-streaming"),
    ],
)
async def test_disconnect_closes_upstream(
    make_client: MakeClient, session: aiohttp.ClientSession, stream: bool, hold_after: int
) -> None:
    """The upstream sees its connection close within 100 ms; the breaker stays closed."""
    observer = Finished()
    async with running(Upstream(hold_after=hold_after)) as upstream:
        router, breaker = stack(upstream, session, observer)
        client = await make_client(router)
        url = str(client.make_url("/v1/chat/completions"))
        committed = asyncio.Event()

        async def call() -> None:
            async with clients.post(url, json=chat_body(stream=stream)) as resp:
                await resp.content.readuntil(b"from")  # the client has text on screen
                committed.set()
                await resp.content.read()

        async with aiohttp.ClientSession() as clients:
            task = asyncio.create_task(call())
            await asyncio.wait_for(upstream.holding.wait(), 2.0)
            if stream and hold_after:
                await asyncio.wait_for(committed.wait(), 2.0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.wait_for(upstream.closed.wait(), 0.1)
            await asyncio.wait_for(observer.event.wait(), 0.1)
    assert observer.records[0].outcome == "cancelled"
    assert breaker.state == "closed"
    assert len(upstream.requests) == 1


async def test_disconnect_during_retry_wait_abandons_the_retry(
    make_client: MakeClient, session: aiohttp.ClientSession
) -> None:
    """A client leaving while the retry layer waits out Retry-After stops the retry at once."""
    observer = Finished()
    async with running(Upstream(rate_limit_first=20.0)) as upstream:
        router, breaker = stack(upstream, session, observer)
        client = await make_client(router)
        url = str(client.make_url("/v1/chat/completions"))
        async with aiohttp.ClientSession() as clients:
            retrying = asyncio.Event()
            original = observer.retry

            def on_retry(*args: Any) -> None:
                original(*args)
                retrying.set()

            observer.retry = on_retry  # type: ignore[method-assign]
            await _disconnect_after(clients, url, chat_body(stream=True), retrying)
            await asyncio.wait_for(observer.event.wait(), 0.1)
    assert observer.records[0].outcome == "cancelled"
    assert len(upstream.requests) == 1
    assert breaker.state == "closed"
