"""Core types, the accumulator, the commit guard and the scripted provider."""

from __future__ import annotations

import asyncio

import pytest

import llm_router
from llm_router import ChatRequest, Message, complete, errors
from llm_router.providers import Fault, Script, ScriptedProvider
from llm_router.types import ToolCall, Usage


def req(text: str = "hi") -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}])


def test_all_is_sorted_and_importable() -> None:
    """__init__ re-exports a sorted __all__, every name importable."""
    assert list(llm_router.__all__) == sorted(llm_router.__all__)
    for name in llm_router.__all__:
        assert hasattr(llm_router, name)


def test_request_accepts_dicts_and_messages() -> None:
    """ChatRequest converts OpenAI dicts into frozen Messages."""
    r = ChatRequest(messages=[{"role": "system", "content": "be brief"}, Message("user", "x")])
    assert r.messages[0] == Message("system", "be brief")
    assert r.last_user_text() == "x"
    assert r.system_text() == "be brief"
    assert len(r.request_id) == 32


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param([], id="empty"),
        pytest.param("hello", id="string"),
        pytest.param([{"content": "x"}], id="no-role"),
        pytest.param([{"role": "user", "content": 3}], id="bad-content"),
        pytest.param([{"role": "user", "content": "x", "bogus": 1}], id="unknown-field"),
    ],
)
def test_request_rejects_bad_messages(messages: object) -> None:
    """Malformed messages are a ValueError naming the problem."""
    with pytest.raises(ValueError):
        ChatRequest(messages=messages)  # type: ignore[arg-type]


def test_image_part_detected() -> None:
    """A message with an image part reports it."""
    m = Message("user", [{"type": "image_url", "image_url": {"url": "data:,"}}])
    assert m.has_image()
    assert not Message("user", "x").has_image()


async def test_complete_accumulates_text_tools_usage() -> None:
    """complete() joins text, assembles tool calls per index and keeps usage."""
    call = ToolCall(id="c1", name="get_weather", arguments='{"city": "Paris"}')
    p = ScriptedProvider(
        scripts=(Script(text="Hello there world", tool_calls=(call,), usage=Usage(3, 4)),)
    )
    c = await complete(p, req())
    assert c.text == "Hello there world"
    assert c.tool_calls == (call,)
    assert c.finish_reason == "tool_calls"
    assert c.usage == Usage(3, 4)
    assert c.provider == "scripted" and c.model == "scripted-1"
    assert c.chunks == 3 + 2 + 1
    assert p.closed == 1 and p.completed == 1


async def test_fault_before_commit_raises_plain_error() -> None:
    """A fault before the first chunk raises the ProviderError itself."""
    p = ScriptedProvider(scripts=(Script(fault=Fault("rate_limited", retry_after=2.0)),))
    with pytest.raises(errors.RateLimited) as info:
        await complete(p, req())
    assert info.value.retry_after == 2.0 and info.value.retryable
    assert p.closed == 1


async def test_fault_after_commit_is_stream_interrupted() -> None:
    """A fault after chunks were delivered is StreamInterrupted with the partial answer."""
    p = ScriptedProvider(scripts=(Script(text="one two three", fault=Fault("server_error", 2)),))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(p, req())
    assert info.value.partial.text == "one two "
    assert isinstance(info.value.cause, errors.ServerError)
    assert info.value.provider == "scripted"


async def test_scripts_per_call_and_break_closes() -> None:
    """Each call takes the next script; breaking out closes the stream."""
    p = ScriptedProvider(scripts=(Script(text="a b c"), Script(text="x")))
    stream = p.stream_complete(req())
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert p.closed == 1 and p.completed == 0
    assert (await complete(p, req())).text == "x"
    assert (await complete(p, req())).text == "x"


async def test_stall_waits_until_cancelled() -> None:
    """A stall fault holds until the consumer is cancelled, then closes."""
    p = ScriptedProvider(scripts=(Script(fault=Fault("stall")),))
    task = asyncio.create_task(complete(p, req()))
    for _ in range(3):  # let the task reach the stall
        await asyncio.sleep(0)
    assert p.opened == 1 and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert p.closed == 1


def test_error_fields_and_classes() -> None:
    """Error classes carry the §1.3 decisions as attributes."""
    e = errors.BadRequest("nope", provider="p", status=400)
    assert not e.retryable and not e.counts_against_breaker and not e.fails_over
    assert errors.ContextWindowExceeded("x", provider="p").fails_over
    assert errors.ConnectError("x", provider="p").retryable
    assert str(e) == "p: nope (HTTP 400)"
    assert errors.CircuitOpen("open", provider="p", retry_at=5.0).retry_at == 5.0
    refused = {cls.__name__ for cls in (errors.CircuitOpen, errors.ProviderBusy) if cls.refused}
    assert refused == {"CircuitOpen", "ProviderBusy"}
    assert not errors.RateLimited.refused and not errors.ServerError.refused
