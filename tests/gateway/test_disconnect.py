"""A client that goes away cancels the upstream at once, in every phase, breaker-neutral."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import structlog

from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.retry import Retry
from llm_router.layers.routing import Candidate, Route, Router
from llm_router.observe import Event, Retried, StreamEnded, StreamRecord
from llm_router.providers.openai import OpenAIProvider
from llm_router.providers.scripted import Script, ScriptedProvider
from tests.gateway.conftest import MakeClient, chat_body, detector
from tests.gateway.upstream import Upstream, running


class Finished:
    """A hook that records each routed stream's end and signals it (and retries)."""

    def __init__(self) -> None:
        self.records: list[StreamRecord] = []
        self.event = asyncio.Event()
        self.retrying = asyncio.Event()

    def __call__(self, event: Event) -> None:
        """Record and signal."""
        if isinstance(event, StreamEnded):
            self.records.append(event.record)
            self.event.set()
        elif isinstance(event, Retried):
            self.retrying.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """The providers' own HTTP session (closed after the test)."""
    async with aiohttp.ClientSession() as s:
        yield s


def stack(
    upstream: Upstream, session: aiohttp.ClientSession, finished: Finished
) -> tuple[Router, CircuitBreaker]:
    """Router → breaker (fail_max 1: any charge would open it) → retry → OpenAIProvider."""
    provider = OpenAIProvider(
        model="up-model-1", base_url=upstream.url, api_key="sk-test", name="up", session=session
    )
    retry = Retry(provider, RetryConfig(attempts=2, max_retry_after=30.0), hook=finished)
    breaker = CircuitBreaker(retry, BreakerConfig(fail_max=1), deployment="up")
    route = Route("default", (Candidate(breaker, "up", breaker=breaker),))
    return Router({"default": route}, detector=detector, hook=finished), breaker


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
    finished = Finished()
    async with running(Upstream(hold_after=hold_after)) as upstream:
        router, breaker = stack(upstream, session, finished)
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
            await asyncio.wait_for(finished.event.wait(), 0.1)
    assert finished.records[0].outcome == "cancelled"
    assert breaker.state == "closed"
    assert len(upstream.requests) == 1


async def test_disconnect_during_retry_wait_abandons_the_retry(
    make_client: MakeClient, session: aiohttp.ClientSession
) -> None:
    """A client leaving while the retry layer waits out Retry-After stops the retry at once."""
    finished = Finished()
    async with running(Upstream(rate_limit_first=20.0)) as upstream:
        router, breaker = stack(upstream, session, finished)
        client = await make_client(router)
        url = str(client.make_url("/v1/chat/completions"))
        async with aiohttp.ClientSession() as clients:
            await _disconnect_after(clients, url, chat_body(stream=True), finished.retrying)
            await asyncio.wait_for(finished.event.wait(), 0.1)
    assert finished.records[0].outcome == "cancelled"
    assert len(upstream.requests) == 1
    assert breaker.state == "closed"


async def test_client_closed_after_sending_is_not_sent_upstream(make_client: MakeClient) -> None:
    """A client that closes its connection right after sending the request body is seen
    before the first upstream attempt: the provider is never called.

    The body goes out with its FIN in one event-loop step, after ``100 Continue`` showed
    that the handler is waiting for it, so the FIN is in the kernel (not yet read by
    the loop) when the handler resumes with the body.
    """
    provider = ScriptedProvider(name="fast", scripts=(Script(text="Hi."),))
    client = await make_client({"default": [provider]})
    body = json.dumps(chat_body()).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
        )
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)).startswith(
            b"HTTP/1.1 100"
        )
        with structlog.testing.capture_logs() as logs:
            writer.write(body)
            writer.write_eof()
            await asyncio.wait_for(reader.read(), 2.0)  # until the gateway closes
    finally:
        writer.close()
        await writer.wait_closed()
    assert provider.calls == []
    finished = [e for e in logs if e["event"] == "request.finished"]
    assert [(e["outcome"], e["status"]) for e in finished] == [("client_gone", 499)]
