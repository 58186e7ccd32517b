"""``llm_router.testing.MockUpstreams``: scripted upstreams at their real URLs, no network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.config import Timeouts
from llm_router.policy import load_router
from llm_router.providers import AnthropicProvider, GeminiProvider, OllamaProvider, OpenAIProvider
from llm_router.providers.session import close_shared_sessions
from llm_router.testing import LoopbackUpstream, MockUpstreams, Reply
from llm_router.types import Provider, ToolCall, Usage

ROOT = Path(__file__).resolve().parents[2]
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
KEYS = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test", "GATEWAY_API_KEY": "gw"}
CALL = ToolCall(id="call_1", name="lookup", arguments='{"q": "x"}')


@pytest.fixture(autouse=True)
async def _close_sessions() -> AsyncIterator[None]:
    yield
    await close_shared_sessions()


def provider(kind: str, **kw: object) -> Provider:
    """Each kind's HTTP provider at its default (public) URL."""
    if kind == "openai":
        return OpenAIProvider(model="gpt-4o-mini", api_key="sk-test", name="oa", **kw)  # type: ignore[arg-type]
    if kind == "anthropic":
        return AnthropicProvider(model="claude-haiku-4-5", api_key="sk-ant", name="an", **kw)  # type: ignore[arg-type]
    if kind == "gemini":
        return GeminiProvider(model="gemini-2.5-flash", api_key="g-key", name="ge", **kw)  # type: ignore[arg-type]
    return OllamaProvider(model="llama3.2", name="ol", **kw)  # type: ignore[arg-type]


KINDS = ["openai", "anthropic", "gemini", "ollama"]


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_answers_text_tools_and_usage(kind: str) -> None:
    """A healthy scripted answer decodes through the real provider of each kind."""
    with MockUpstreams() as mock:
        upstream = mock.add(kind)  # type: ignore[arg-type]
        upstream.script(Reply(text="Hello there.", tool_calls=(CALL,), usage=Usage(7, 3)))
        result = await complete(provider(kind), REQ)
    assert result.text == "Hello there."
    assert [(c.name, c.arguments.replace(" ", "")) for c in result.tool_calls] == [
        ("lookup", '{"q":"x"}')
    ]
    assert result.finish_reason == "tool_calls"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (7, 3)
    assert upstream.calls == 1
    assert upstream.requests[0].method == "POST" and b'"hi"' in upstream.requests[0].body


@pytest.mark.parametrize("kind", KINDS)
async def test_faults_become_the_typed_errors(kind: str) -> None:
    """Status, Retry-After, refusal, cut, malformed and error events, a stall before
    the first token: each is the error of the table, for every kind."""
    with MockUpstreams() as mock:
        mock.add(kind).script(  # type: ignore[arg-type]
            Reply.error(429, "slow down", retry_after=2),
            Reply.error(503),
            Reply.error(401, "bad key"),
            Reply.refused(),
            Reply.cut("one two three", after=2),
            Reply.malformed(after=0),
            Reply(error_event_after=1, text="a b c"),
            Reply.stall(),
        )
        p = provider(kind, timeouts=Timeouts(first_token=0.05))
        with pytest.raises(errors.RateLimited) as limited:
            await complete(p, REQ)
        assert limited.value.retry_after == 2.0
        for cls in (errors.ServerError, errors.AuthError, errors.ConnectError):
            with pytest.raises(cls):
                await complete(p, REQ)
        with pytest.raises(errors.StreamInterrupted) as cut:
            await complete(p, REQ)
        assert cut.value.partial.text == "one two " and "truncated" in cut.value.cause.message
        with pytest.raises(errors.ProtocolError):
            await complete(p, REQ)
        with pytest.raises(errors.StreamInterrupted) as event:
            await complete(p, REQ)
        assert event.value.partial.text == "a "
        with pytest.raises(errors.FirstTokenTimeout):
            await complete(p, REQ)


async def test_a_policy_runs_unchanged_against_the_mock() -> None:
    """The shipped OpenAI+Anthropic policy at its real URLs: OpenAI answers 503, the
    router fails over to Claude; nothing reaches the network."""
    with MockUpstreams() as mock:
        gpt = mock.openai().script(Reply.error(503, "overloaded"))
        claude = mock.anthropic().script(Reply(text="Hello from Claude."))
        path = ROOT / "policies" / "openai-anthropic.yaml"
        async with load_router(path, env=KEYS) as router:
            answer = await complete(router, REQ.replace(model="default"))
    assert answer.text == "Hello from Claude." and answer.provider.startswith("claude")
    assert gpt.calls >= 1 and claude.calls == 1
    assert claude.requests[0].headers["x-api-key"] == "sk-ant-test"


async def test_unscripted_urls_are_refused_and_loopback_passes() -> None:
    """A URL nobody scripted is a ConnectError; a loopback upstream still answers."""
    async with LoopbackUpstream("openai") as real:
        with MockUpstreams():
            with pytest.raises(errors.ConnectError):
                await complete(provider("openai"), REQ)
            local = OpenAIProvider(model="m", base_url=real.base_url, api_key="k")
            assert (await complete(local, REQ)).text == "Hello from the scripted upstream."


async def test_a_stall_mid_stream_needs_a_socket() -> None:
    """The mock says so clearly instead of pretending."""
    with MockUpstreams() as mock:
        mock.openai().script(Reply.stall(after=1))
        with pytest.raises(errors.ConfigurationError, match="LoopbackUpstream"):
            await complete(provider("openai"), REQ)


def test_reply_checks_its_arguments() -> None:
    """One mid-stream fault at a time, reset only with a cut, a real status."""
    with pytest.raises(errors.ConfigurationError):
        Reply(cut_after=1, stall_after=2)
    with pytest.raises(errors.ConfigurationError):
        Reply(reset=True)
    with pytest.raises(errors.ConfigurationError):
        Reply.error(99)
