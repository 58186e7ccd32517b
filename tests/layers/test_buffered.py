"""Non-streaming calls (SPEC §1.2), over real loopback HTTP: a stream that breaks before
its finish signal is retried and failed over like a failure before the commit point,
and reported like one.

Found with llmock behind the gateway (``stream: false``): a deployment cut mid-answer
was abandoned for the next one with no ``fallback`` event, no fallback counted, the
route's candidates reported in a rotated order, and the broken deployment never tried
again although a reset is retried in place before the commit point.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from llm_router import complete
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.errors import ContentFiltered
from llm_router.observe import Event, FellBack, Retried, StreamEnded
from llm_router.providers.openai import OpenAIProvider
from tests.layers.test_rescue import ANSWER, REQUEST, _Detection, broken, full, provider
from tests.providers.conftest import RESET, Hold, Upstream, sse, started


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Upstream, Upstream]]:
    """Two loopback upstreams: the route's first and second deployments."""
    async with started() as one, started() as two:
        yield one, two


async def _complete(*providers: OpenAIProvider, fail_max: int = 50) -> tuple[str, list[Event]]:
    events: list[Event] = []
    r = build_router(
        {"default": list(providers)},
        retry=RetryConfig(attempts=2, initial=0.001),
        breaker=BreakerConfig(fail_max=fail_max),
        detector=lambda r: _Detection(),
        rescue=RescueConfig.off(),
        hook=events.append,
    )
    async with r:
        out = await complete(r, REQUEST)
    assert out.finish_reason == "stop"
    return out.text, events


def _seen(events: list[Event]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for e in events:
        if isinstance(e, Retried):
            out.append(("retried", e.provider, e.reason, str(e.attempt)))
        elif isinstance(e, FellBack):
            out.append(("fell_back", e.from_provider, e.to_provider, e.reason))
    return out


def _record(events: list[Event]) -> StreamEnded:
    (ended,) = [e for e in events if isinstance(e, StreamEnded)]
    return ended


async def test_a_reset_mid_answer_is_retried_on_the_same_deployment_first(
    pair: tuple[Upstream, Upstream],
) -> None:
    upstream, second = pair
    upstream.script(broken(3, RESET), full())
    second.script(full(["Another ", "answer."]))
    text, events = await _complete(provider(upstream, "a"), provider(second, "b"))
    assert text == ANSWER
    assert _seen(events) == [("retried", "a", "protocol_error", "1")]
    assert len(upstream.requests) == 2 and second.requests == []
    record = _record(events).record
    assert (record.provider, record.fallbacks, record.candidates) == ("a", 0, ("a", "b"))


async def test_a_second_break_fails_over_and_is_counted(pair: tuple[Upstream, Upstream]) -> None:
    upstream, second = pair
    upstream.script(broken(3, RESET), broken(2, RESET), full())
    second.script(full())
    text, events = await _complete(provider(upstream, "a"), provider(second, "b"))
    assert text == ANSWER
    assert _seen(events) == [
        ("retried", "a", "protocol_error", "1"),
        ("fell_back", "a", "b", "protocol_error"),
    ]
    assert len(upstream.requests) == 2 and len(second.requests) == 1
    record = _record(events).record
    assert (record.provider, record.fallbacks, record.candidates) == ("b", 1, ("a", "b"))


async def test_a_stall_mid_answer_fails_over_at_once(pair: tuple[Upstream, Upstream]) -> None:
    """An idle timeout would cost its wait again: the next deployment goes first."""
    upstream, second = pair
    gate = upstream.hold()
    upstream.script(broken(3, Hold(gate)))
    second.script(full())
    slow = provider(upstream, "a", idle=0.05)
    text, events = await _complete(slow, provider(second, "b"))
    assert text == ANSWER
    assert _seen(events) == [("fell_back", "a", "b", "idle_timeout")]
    assert len(upstream.requests) == 1 and len(second.requests) == 1
    assert _record(events).record.fallbacks == 1


async def test_the_last_candidate_breaking_falls_back_to_the_first(
    pair: tuple[Upstream, Upstream],
) -> None:
    upstream, second = pair
    """The walk goes on past the end of the route: the broken last one goes last."""
    upstream.script(full(["Unused."]))
    second.script(broken(3, RESET), broken(3, RESET), full())
    text, events = await _complete(provider(second, "b"), provider(upstream, "a"))
    assert text == "Unused."
    assert _seen(events) == [
        ("retried", "b", "protocol_error", "1"),
        ("fell_back", "b", "a", "protocol_error"),
    ]


async def test_the_attempt_reported_is_the_deployments_own(pair: tuple[Upstream, Upstream]) -> None:
    """a stalls (the walk moves on to b), then b's first stream breaks: b's retry is
    reported as its own first failed attempt, not as the request's second break."""
    upstream, second = pair
    gate = upstream.hold()
    upstream.script(broken(3, Hold(gate)))
    second.script(broken(3, RESET), full())
    text, events = await _complete(provider(upstream, "a", idle=0.05), provider(second, "b"))
    assert text == ANSWER
    assert _seen(events) == [
        ("fell_back", "a", "b", "idle_timeout"),
        ("retried", "b", "protocol_error", "1"),
    ]


async def test_a_deployment_whose_breaker_opened_on_the_break_is_not_retried(
    pair: tuple[Upstream, Upstream],
) -> None:
    """The break is recorded by the breaker before the next order is set: with
    ``fail_max=1`` it opened, so the walk goes to b, and says so once."""
    upstream, second = pair
    upstream.script(broken(3, RESET), full())
    second.script(full())
    text, events = await _complete(provider(upstream, "a"), provider(second, "b"), fail_max=1)
    assert text == ANSWER
    assert _seen(events) == [("fell_back", "a", "b", "protocol_error")]
    assert len(upstream.requests) == 1 and len(second.requests) == 1


async def test_a_content_refusal_mid_answer_is_raised_not_failed_over(
    pair: tuple[Upstream, Upstream],
) -> None:
    """As before the first chunk (SPEC §1.3), a content filter's refusal neither
    retries nor fails over unless the route opts in."""
    upstream, second = pair
    refusal = sse({"error": {"message": "filtered", "type": "content_filter"}})
    upstream.script(broken(3, refusal))
    second.script(full())
    with pytest.raises(ContentFiltered):
        await _complete(provider(upstream, "a"), provider(second, "b"))
    assert len(upstream.requests) == 1 and second.requests == []
