"""Test your own routing and fallback code offline, with llm_router.testing.

Run it: ``pytest examples/test_fallback_offline.py`` (needs ``pip install
llm_router[testing]``: aioresponses; and pytest-asyncio). No key, no network: every
upstream is scripted, at its real URL (``MockUpstreams``) or on a loopback socket
(``LoopbackUpstream``, for faults only a real connection has).
"""

from __future__ import annotations

import pytest

from llm_router import ChatRequest, Router, build_router, complete, errors
from llm_router.config import RetryConfig, Timeouts
from llm_router.providers import AnthropicProvider, OpenAIProvider, close_shared_sessions
from llm_router.testing import LoopbackUpstream, MockUpstreams, Reply

pytestmark = pytest.mark.asyncio
QUESTION = ChatRequest(messages=[{"role": "user", "content": "What is a circuit breaker?"}])


def my_router() -> Router:
    """The code under test: GPT first, Claude as the fallback (real public URLs)."""
    gpt = OpenAIProvider(model="gpt-4o-mini", api_key="sk-test", name="gpt")
    claude = AnthropicProvider(model="claude-haiku-4-5", api_key="sk-ant-test", name="claude")
    return build_router({"default": [gpt, claude]}, retry=RetryConfig(attempts=1))


async def test_openai_down_claude_answers() -> None:
    """OpenAI answers 503: the router fails over before any text reaches the caller."""
    with MockUpstreams() as mock:
        gpt = mock.openai().script(Reply.error(503, "The server is overloaded"))
        claude = mock.anthropic().script(Reply(text="It stops calls to a failing service."))
        async with my_router() as router:
            answer = await complete(router, QUESTION)
    assert answer.text == "It stops calls to a failing service."
    assert answer.provider == "claude"
    assert gpt.calls == 1 and claude.calls == 1
    assert claude.requests[0].json["messages"] == [
        {"role": "user", "content": "What is a circuit breaker?"}
    ]


async def test_rate_limited_everywhere_is_one_clear_error() -> None:
    """Both rate-limited: AllProvidersFailed names each attempt and its Retry-After."""
    with MockUpstreams() as mock:
        mock.openai().script(Reply.error(429, "slow down", retry_after=30))
        mock.anthropic().script(Reply.error(529, "Overloaded"))
        async with my_router() as router:
            with pytest.raises(errors.AllProvidersFailed) as failed:
                await complete(router, QUESTION)
    causes = [type(a.error).__name__ for a in failed.value.attempts]
    assert causes == ["RateLimited", "RateLimited"]


async def test_a_stall_mid_answer_is_reported_with_the_partial_text() -> None:
    """A stall after the first words needs a real socket: LoopbackUpstream."""
    async with LoopbackUpstream("openai") as upstream:
        upstream.script(Reply.stall(after=2, text="A circuit breaker stops calls."))
        gpt = OpenAIProvider(
            model="gpt-4o-mini", base_url=upstream.base_url, api_key="k",
            timeouts=Timeouts(idle=0.1),
        )  # fmt: skip
        with pytest.raises(errors.StreamInterrupted) as cut:
            await complete(gpt, QUESTION)
        await close_shared_sessions()
    assert cut.value.partial.text == "A circuit "
    assert isinstance(cut.value.cause, errors.IdleTimeout)
