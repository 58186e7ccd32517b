"""The shared per-loop session, and providers' use of it."""

from __future__ import annotations

import asyncio

import aiohttp

from llm_router import ChatRequest, complete
from llm_router.providers import OpenAIProvider, close_shared_sessions, shared_session
from tests.providers.conftest import Reply, Upstream, sse

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
BODY = [
    sse({"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"}]}),
    sse({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}),
    b"data: [DONE]\n\n",
]


async def test_one_session_per_loop_created_lazily() -> None:
    """shared_session() returns the same open session within a loop."""
    first = shared_session()
    assert isinstance(first, aiohttp.ClientSession) and not first.closed
    assert shared_session() is first
    await close_shared_sessions()
    assert first.closed


async def test_closed_session_is_replaced() -> None:
    """After close_shared_sessions() a fresh session is created on next use."""
    first = shared_session()
    await close_shared_sessions()
    second = shared_session()
    assert second is not first and not second.closed
    await close_shared_sessions()


async def test_close_without_session_is_noop() -> None:
    """close_shared_sessions() with no session does nothing."""
    await close_shared_sessions()
    await close_shared_sessions()


def test_each_loop_gets_its_own_session() -> None:
    """Two event loops never share a session."""

    async def grab() -> tuple[aiohttp.ClientSession, asyncio.AbstractEventLoop]:
        session = shared_session()
        await close_shared_sessions()
        return session, asyncio.get_running_loop()

    a, _ = asyncio.run(grab())
    b, _ = asyncio.run(grab())
    assert a is not b


async def test_providers_use_shared_session_by_default(upstream: Upstream) -> None:
    """A provider without session= streams over the shared session and reuses its pool."""
    upstream.script(Reply(body=BODY))
    provider = OpenAIProvider(base_url=upstream.url, api_key="k", model="m")
    other = OpenAIProvider(base_url=upstream.url, api_key="k", model="m", name="other")
    assert (await complete(provider, REQ)).text == "a"
    assert (await complete(other, REQ)).text == "a"
    connector = shared_session().connector
    assert connector is not None
    assert sum(len(v) for v in connector._conns.values()) == 1
    await close_shared_sessions()


async def test_caller_session_is_used_and_left_open(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """With session= the provider uses the caller's session and never closes it."""
    upstream.script(Reply(body=BODY))
    provider = OpenAIProvider(base_url=upstream.url, api_key="k", model="m", session=session)
    await complete(provider, REQ)
    assert not session.closed
    assert session.connector is not None
    assert sum(len(v) for v in session.connector._conns.values()) == 1
