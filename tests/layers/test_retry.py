"""The retry layer: what is retried, how long it waits, and that it stops at commit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.config import RetryConfig
from llm_router.layers.retry import Retry
from llm_router.observe import Event, Retried
from llm_router.providers import Fault, Script, ScriptedProvider
from tests.conftest import FakeClock

OK = Script(text="all good here")


class Retries:
    """A hook that records retry events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int, float]] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, Retried):
            self.events.append((event.provider, event.reason, event.attempt, event.wait_s))


def req(deadline_at: float | None = None) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "hi"}], deadline_at=deadline_at)


def layer(
    clock: FakeClock,
    scripts: Sequence[Script],
    config: RetryConfig | None = None,
    rng: float = 1.0,
    hook: Retries | None = None,
) -> tuple[Retry, ScriptedProvider]:
    p = ScriptedProvider(name="p", scripts=tuple(scripts), sleep=clock.sleep)
    r = Retry(
        p,
        config or RetryConfig(),
        hook=hook,
        sleep=clock.sleep,
        clock=clock,
        rng=lambda: rng,
    )
    return r, p


def fail(kind: str, **kw: float) -> Script:
    return Script(fault=Fault(kind, **kw))  # type: ignore[arg-type]


async def test_retries_then_succeeds_and_reports(clock: FakeClock) -> None:
    """A retryable error is retried; the hook hears reason, attempt and wait."""
    obs = Retries()
    r, p = layer(clock, [fail("server_error"), OK], hook=obs)
    c = await complete(r, req())
    assert c.text == "all good here"
    assert len(p.calls) == 2 and p.opened == p.closed == 2
    assert obs.events == [("p", "server_error", 1, 0.25)]
    assert r.name == "p"


@pytest.mark.parametrize(
    ("rng", "expected"),
    [
        pytest.param(1.0, [0.25, 0.5, 1.0, 1.0], id="capped-at-max-wait"),
        pytest.param(0.5, [0.125, 0.25, 0.5, 0.5], id="full-jitter"),
        pytest.param(0.0, [0.0, 0.0, 0.0, 0.0], id="zero-jitter"),
    ],
)
async def test_backoff_is_exponential_jittered_and_capped(
    clock: FakeClock, rng: float, expected: list[float]
) -> None:
    """Wait n is rng() * min(max_wait, initial * 2**(n-1))."""
    config = RetryConfig(attempts=5, initial=0.25, max_wait=1.0)
    r, p = layer(clock, [fail("server_error")] * 4 + [OK], config, rng=rng)
    assert (await complete(r, req())).text == "all good here"
    assert clock.sleeps == expected
    assert len(p.calls) == 5


async def test_a_lost_connection_is_retried_at_once_then_backs_off(clock: FakeClock) -> None:
    """The first retry after a ConnectError does not wait; later ones back off."""
    obs = Retries()
    config = RetryConfig(attempts=4, initial=0.25, max_wait=1.0)
    r, p = layer(clock, [fail("connect")] * 3 + [OK], config, rng=1.0, hook=obs)
    assert (await complete(r, req())).text == "all good here"
    assert clock.sleeps == [0.0, 0.5, 1.0]
    assert [e[1:] for e in obs.events] == [
        ("connect_error", 1, 0.0),
        ("connect_error", 2, 0.5),
        ("connect_error", 3, 1.0),
    ]
    assert len(p.calls) == 4


async def test_a_stream_that_opens_at_once_builds_no_tenacity(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tenacity is set up only after a failure: the common path pays nothing for it."""
    import llm_router.layers.retry as retry_mod

    built: list[object] = []
    real = retry_mod.AsyncRetrying

    def counting(*a: Any, **kw: Any) -> Any:
        built.append(kw)
        return real(*a, **kw)

    monkeypatch.setattr(retry_mod, "AsyncRetrying", counting)
    r, _ = layer(clock, [OK])
    assert (await complete(r, req())).text == "all good here"
    assert built == []
    r, _ = layer(clock, [fail("server_error"), OK])
    assert (await complete(r, req())).text == "all good here"
    assert len(built) == 1


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        pytest.param(3.0, 3.0, id="retry-after-wins"),
        pytest.param(0.1, 0.25, id="backoff-wins"),
        pytest.param(0.0, 0.25, id="zero-retry-after"),
    ],
)
async def test_retry_after_vs_backoff(
    clock: FakeClock, retry_after: float, expected: float
) -> None:
    """The wait is max(Retry-After, backoff)."""
    r, _ = layer(clock, [fail("rate_limited", retry_after=retry_after), OK])
    await complete(r, req())
    assert clock.sleeps == [expected]


async def test_retry_after_above_max_fails_at_once(clock: FakeClock) -> None:
    """A Retry-After beyond max_retry_after is re-raised without waiting."""
    r, p = layer(clock, [fail("rate_limited", retry_after=30.0), OK], RetryConfig(attempts=3))
    with pytest.raises(errors.RateLimited):
        await complete(r, req())
    assert len(p.calls) == 1 and clock.sleeps == [] and p.closed == 1


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("auth", id="auth"),
        pytest.param("bad_request", id="bad-request"),
        pytest.param("context_window", id="context-window"),
        pytest.param("content_filter", id="content-filter"),
        pytest.param("first_token_timeout", id="timeout-by-default"),
    ],
)
async def test_non_retryable_errors_are_raised_after_one_call(clock: FakeClock, kind: str) -> None:
    """Errors that are not retryable (or timeouts, by default) get exactly one call."""
    r, p = layer(clock, [fail(kind), OK], RetryConfig(attempts=3))
    with pytest.raises(errors.ProviderError):
        await complete(r, req())
    assert len(p.calls) == 1 and p.closed == 1


async def test_attempts_exhausted_raises_the_last_error(clock: FakeClock) -> None:
    """After `attempts` calls the last provider error reaches the caller."""
    r, p = layer(clock, [fail("server_error"), fail("server_error"), fail("protocol")])
    with pytest.raises(errors.ServerError):
        await complete(r, req())
    assert len(p.calls) == 2 and p.opened == p.closed == 2


async def test_no_retry_after_commit(clock: FakeClock) -> None:
    """A fault after chunk 2 reaches the caller as StreamInterrupted after one call."""
    r, p = layer(clock, [Script(text="one two three", fault=Fault("server_error", 2)), OK])
    seen: list[str] = []
    with pytest.raises(errors.StreamInterrupted) as info:
        async for chunk in r.stream_complete(req()):
            seen.append(chunk.text)
    assert seen == ["one ", "two "]
    assert info.value.partial.text == "one two "
    assert isinstance(info.value.cause, errors.ServerError)
    assert len(p.calls) == 1 and p.closed == 1


async def test_wait_past_deadline_gives_up_with_last_error(clock: FakeClock) -> None:
    """A wait that would cross request.deadline_at is not taken; the error is re-raised."""
    r, p = layer(clock, [fail("rate_limited", retry_after=5.0), OK], RetryConfig(attempts=3))
    with pytest.raises(errors.RateLimited):
        await complete(r, req(deadline_at=clock() + 4.0))
    assert len(p.calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    ("deadline_in", "calls"),
    [
        pytest.param(10.0, 2, id="room-for-another-attempt"),
        pytest.param(3.0, 1, id="no-room"),
        pytest.param(None, 2, id="no-deadline"),
    ],
)
async def test_timeouts_retried_only_when_enabled_and_room(
    clock: FakeClock, deadline_in: float | None, calls: int
) -> None:
    """With retry_timeouts, a 2 s first-token timeout is retried only if 2 s more fit."""
    slow = Script(first_token_delay_s=2.0, fault=Fault("first_token_timeout"))
    r, p = layer(clock, [slow, OK], RetryConfig(retry_timeouts=True), rng=0.0)
    deadline_at = None if deadline_in is None else clock() + deadline_in
    if calls == 2:
        assert (await complete(r, req(deadline_at))).text == "all good here"
    else:
        with pytest.raises(errors.FirstTokenTimeout):
            await complete(r, req(deadline_at))
    assert len(p.calls) == calls


async def test_cancellation_is_not_retried_and_closes(clock: FakeClock) -> None:
    """CancelledError during setup propagates at once and the inner stream is closed."""
    r, p = layer(clock, [fail("stall"), OK], RetryConfig(attempts=3))
    task = asyncio.create_task(complete(r, req()))
    for _ in range(5):
        await asyncio.sleep(0)
    assert p.opened == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(p.calls) == 1 and p.opened == p.closed == 1


async def test_consumer_break_closes_inner(clock: FakeClock) -> None:
    """Stopping early closes the inner stream."""
    r, p = layer(clock, [fail("server_error"), OK])
    stream = r.stream_complete(req())
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert p.opened == p.closed == 2 and p.completed == 0
