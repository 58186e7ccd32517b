"""FunctionProvider, the ``@llm_router.provider`` decorator and ``llm_router.resilient``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

import llm_router
from llm_router import ChatRequest, StreamChunk, complete, errors
from llm_router.config import RescueConfig, RetryConfig, Timeouts
from llm_router.observe import Event, Retried, StreamEnded
from llm_router.providers import FunctionProvider
from llm_router.types import ToolCallDelta, Usage
from tests.conftest import FakeClock

REQ = ChatRequest(messages=[{"role": "user", "content": "one two three"}])


class QuotaExceeded(Exception):
    """A user's own exception."""


async def words(request: ChatRequest) -> AsyncIterator[str]:
    for word in request.last_user_text().split():
        yield word + " "


async def test_text_pieces_stream_and_finish() -> None:
    """str pieces become chunks; the function's end is the finish signal."""
    provider = FunctionProvider(words)
    chunks = [c async for c in provider.stream_complete(REQ)]
    assert [c.text for c in chunks] == ["one ", "two ", "three ", ""]
    assert chunks[-1].finish_reason == "stop"
    assert {(c.provider, c.model) for c in chunks} == {("words", "words")}


async def test_stream_chunks_pass_with_tool_calls_usage_and_own_finish() -> None:
    """StreamChunk values keep tool-call deltas and usage; a chunk with a finish reason
    closes the stream (nothing after it is read); empty pieces are dropped."""
    after: list[str] = []

    @llm_router.provider(name="tools", model="m-1")
    async def tools(request: ChatRequest) -> AsyncIterator[str | StreamChunk]:
        yield ""
        yield StreamChunk("", "", "", tool_calls=(ToolCallDelta(0, "c1", "get", '{"a"'),))
        yield StreamChunk("", "", "", tool_calls=(ToolCallDelta(0, arguments_delta=": 1}"),))
        yield StreamChunk(
            "", "", "", finish_reason="tool_calls", raw_finish_reason="tool_calls",
            usage=Usage(3, 4),
        )  # fmt: skip
        after.append("read on")
        yield "never"

    result = await complete(tools, REQ)
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [("c1", "get", '{"a": 1}')]
    assert (result.finish_reason, result.usage, result.provider, result.model) == (
        "tool_calls", Usage(3, 4), "tools", "m-1",
    )  # fmt: skip
    assert after == []


async def test_decorator_without_arguments_and_a_plain_coroutine() -> None:
    """``@provider`` bare names it after the function; ``async def`` returning text works."""

    @llm_router.provider
    async def whole(request: ChatRequest) -> str:
        return "all at once"

    assert isinstance(whole, FunctionProvider) and whole.name == "whole"
    assert (await complete(whole, REQ)).text == "all at once"


async def test_mapped_errors_before_and_after_commit() -> None:
    """The mapping types the function's exceptions; after a piece they interrupt."""
    state = {"calls": 0}

    async def flaky(request: ChatRequest) -> AsyncIterator[str]:
        state["calls"] += 1
        if state["calls"] == 1:
            raise QuotaExceeded("quota used up\nsecond line")
        yield "partial "
        raise QuotaExceeded("again")

    provider = FunctionProvider(
        flaky, errors={Exception: errors.ServerError, QuotaExceeded: errors.RateLimited}
    )
    with pytest.raises(errors.RateLimited) as before:
        await complete(provider, REQ)
    assert (before.value.message, before.value.provider) == ("quota used up", "flaky")
    assert isinstance(before.value.__cause__, QuotaExceeded)
    with pytest.raises(errors.StreamInterrupted) as after:
        await complete(provider, REQ)
    assert after.value.partial.text == "partial "
    assert isinstance(after.value.cause, errors.RateLimited)


async def test_callable_mapping_default_mapping_and_bugs() -> None:
    """A mapping function; the defaults for TimeoutError/ConnectionError; anything else
    unmapped propagates as it is (a bug is not a provider failure)."""

    def fail_with(exc: BaseException) -> FunctionProvider:
        async def f(request: ChatRequest) -> AsyncIterator[str]:
            raise exc
            yield ""

        return FunctionProvider(f, name="f")

    def typed(exc: BaseException) -> errors.ProviderError | None:
        return (
            errors.AuthError("denied", provider="f") if isinstance(exc, PermissionError) else None
        )

    custom = FunctionProvider(fail_with(PermissionError("no")).fn, name="f", errors=typed)
    with pytest.raises(errors.AuthError):
        await complete(custom, REQ)
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(fail_with(TimeoutError()), REQ)
    with pytest.raises(errors.ConnectError):
        await complete(fail_with(ConnectionRefusedError("refused")), REQ)
    with pytest.raises(KeyError):
        await complete(fail_with(KeyError("bug")), REQ)


async def test_first_token_deadline_closes_the_function() -> None:
    """A function that never yields hits ``first_token``; its generator is closed."""
    closed = asyncio.Event()

    async def stuck(request: ChatRequest) -> AsyncIterator[str]:
        try:
            await asyncio.Event().wait()
            yield ""
        finally:
            closed.set()

    provider = FunctionProvider(stuck, timeouts=Timeouts(first_token=0.02))
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(provider, REQ)
    assert closed.is_set()


def test_bad_arguments_are_configuration_errors() -> None:
    """No name for a lambda, a non-callable: a clear error at construction."""
    with pytest.raises(errors.ConfigurationError, match="name"):
        FunctionProvider(lambda r: words(r))
    with pytest.raises(errors.ConfigurationError, match="async function"):
        FunctionProvider("nope")  # type: ignore[arg-type]


async def test_resilient_retries_then_streams(clock: FakeClock) -> None:
    """``resilient(p)`` retries before the first token (the breaker records one
    stream), and reports one record per stream."""
    events: list[Event] = []
    state = {"calls": 0}

    @llm_router.provider(name="shaky")
    async def shaky(request: ChatRequest) -> AsyncIterator[str]:
        state["calls"] += 1
        if state["calls"] == 1:
            raise ConnectionResetError("reset")
        yield "ok"

    async with llm_router.resilient(
        shaky, retry=RetryConfig(attempts=3), hook=events.append, clock=clock, sleep=clock.sleep
    ) as router:
        assert (await complete(router, REQ)).text == "ok"
        assert router.status()["deployments"]["shaky"]["breaker"] == "closed"
    assert [type(e).__name__ for e in events if isinstance(e, Retried | StreamEnded)] == [
        "Retried", "StreamEnded",
    ]  # fmt: skip


async def test_resilient_passes_rescue_through() -> None:
    """``rescue`` reaches the router (off: a break after commit is StreamInterrupted)."""

    async def cut(request: ChatRequest) -> AsyncIterator[str]:
        yield "half"
        raise ConnectionResetError("cut")

    off = llm_router.resilient(FunctionProvider(cut), rescue=RescueConfig.off())
    assert not off.rescue.enabled
    async with off:
        with pytest.raises(errors.StreamInterrupted):
            async for _ in off.stream_complete(REQ):
                pass
    on = llm_router.resilient(FunctionProvider(cut), rescue=RescueConfig(max=1))
    assert on.rescue == RescueConfig(max=1)
    await on.aclose()


def test_sdks_are_not_imported_with_the_package() -> None:
    """``import llm_router`` (and its providers) never imports openai or anthropic."""
    code = (
        "import sys, llm_router, llm_router.providers, llm_router.providers.adapters\n"
        "assert 'openai' not in sys.modules and 'anthropic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
