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
from llm_router.observe import Event, FellBack, Retried, StreamEnded
from llm_router.providers.openai import OpenAIProvider
from tests.layers.test_rescue import ANSWER, REQUEST, _Detection, broken, full, provider
from tests.providers.conftest import RESET, Hold, Upstream, started


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Upstream, Upstream]]:
    """Two loopback upstreams: the route's first and second deployments."""
    async with started() as one, started() as two:
        yield one, two


async def _complete(*providers: OpenAIProvider) -> tuple[str, list[Event]]:
    events: list[Event] = []
    r = build_router(
        {"default": list(providers)},
        retry=RetryConfig(attempts=2, initial=0.001),
        breaker=BreakerConfig(fail_max=50),
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
            out.append(("retried", e.provider, e.reason))
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
    assert _seen(events) == [("retried", "a", "protocol_error")]
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
        ("retried", "a", "protocol_error"),
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
        ("retried", "b", "protocol_error"),
        ("fell_back", "b", "a", "protocol_error"),
    ]
