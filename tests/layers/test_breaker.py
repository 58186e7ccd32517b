"""The circuit breaker layer: pybreaker's state machine driven once per stream."""

from __future__ import annotations

import asyncio

import pytest

from llm_router import errors
from llm_router._aio import closing
from llm_router.accumulate import complete
from llm_router.config import BreakerConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.observe import BreakerChanged, BreakerState, Event
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest
from tests.conftest import FakeClock

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
OK = Script(text="one two three")
FAIL = Script(fault=Fault("server_error"))
FAIL_LATE = Script(text="one two three", fault=Fault("server_error", after_chunks=1))
STALL = Script(fault=Fault("stall"))


class Transitions:
    """A hook that records every breaker transition."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, BreakerState, BreakerState, str]] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, BreakerChanged):
            self.seen.append((event.provider, event.old, event.new, event.source))


def make(
    clock: FakeClock, *scripts: Script, fail_max: int = 2, success_threshold: int = 1
) -> tuple[CircuitBreaker, ScriptedProvider, Transitions]:
    inner = ScriptedProvider(name="p", scripts=scripts or (OK,), sleep=clock.sleep)
    obs = Transitions()
    config = BreakerConfig(
        fail_max=fail_max, reset_timeout=30.0, success_threshold=success_threshold, jitter=0.0
    )
    return CircuitBreaker(inner, config, hook=obs, clock=clock), inner, obs


async def trip(breaker: CircuitBreaker, times: int = 2) -> None:
    for _ in range(times):
        with pytest.raises((errors.ServerError, errors.StreamInterrupted)):
            await complete(breaker, REQ)


async def test_defaults_name_and_deployment(clock: FakeClock) -> None:
    """The layer is named after its inner provider; the deployment defaults to that name."""
    breaker, _, _ = make(clock)
    assert (breaker.name, breaker.deployment, breaker.state) == ("p", "p", "closed")
    assert breaker.retry_at is None and breaker.would_admit()
    named = CircuitBreaker(ScriptedProvider(name="p"), deployment="p/gpt-x")
    assert named.deployment == "p/gpt-x"


@pytest.mark.parametrize(
    "script", [pytest.param(FAIL, id="pre"), pytest.param(FAIL_LATE, id="post")]
)
async def test_opens_after_fail_max_failures(clock: FakeClock, script: Script) -> None:
    """fail_max consecutive failures, before or after commit, open the breaker."""
    breaker, inner, obs = make(clock, script)
    await trip(breaker, 1)
    assert breaker.state == "closed"
    await trip(breaker, 1)
    assert breaker.state == "open"
    assert breaker.retry_at == clock() + 30.0
    assert obs.seen == [("p", "closed", "open", "local")]
    assert inner.opened == inner.closed == 2


async def test_success_resets_the_failure_count(clock: FakeClock) -> None:
    """Failures must be consecutive: a success in between starts the count again."""
    breaker, _, _ = make(clock, FAIL, OK, FAIL)
    await trip(breaker, 1)
    await complete(breaker, REQ)
    await trip(breaker, 1)
    assert breaker.state == "closed"


async def test_open_raises_without_calling_inner(clock: FakeClock) -> None:
    """While open, CircuitOpen carries retry_at and inner is not called at all."""
    breaker, inner, _ = make(clock, FAIL)
    await trip(breaker)
    calls = len(inner.calls)
    clock.advance(29.0)
    with pytest.raises(errors.CircuitOpen) as info:
        await complete(breaker, REQ)
    assert info.value.retry_at == breaker.retry_at == 1030.0
    assert info.value.provider == "p"
    assert len(inner.calls) == calls
    assert not breaker.would_admit()


async def test_half_open_admits_exactly_one_of_twenty(clock: FakeClock) -> None:
    """After reset_timeout, 20 concurrent streams: one reaches inner, 19 get CircuitOpen."""
    breaker, inner, obs = make(clock, FAIL, FAIL, STALL)
    inner.release = asyncio.Event()
    await trip(breaker)
    clock.advance(30.0)
    assert breaker.would_admit() and breaker.state == "open"
    tasks = [asyncio.create_task(complete(breaker, REQ)) for _ in range(20)]
    for _ in range(100):
        if sum(t.done() for t in tasks) == 19:
            break
        await asyncio.sleep(0)
    refused = [t for t in tasks if t.done() and isinstance(t.exception(), errors.CircuitOpen)]
    assert len(refused) == 19 and len(inner.calls) == 3
    assert breaker.state == "half_open" and not breaker.would_admit()
    inner.release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert inner.opened == inner.closed == 3
    assert [(o, n) for _, o, n, _ in obs.seen][1:] == [("open", "half_open"), ("half_open", "open")]


async def test_trial_success_closes(clock: FakeClock) -> None:
    """A successful trial closes the breaker."""
    breaker, _, obs = make(clock, FAIL, FAIL, OK)
    await trip(breaker)
    clock.advance(30.0)
    await complete(breaker, REQ)
    assert breaker.state == "closed"
    assert [(o, n) for _, o, n, _ in obs.seen] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


async def test_success_threshold_two_needs_two_trials(clock: FakeClock) -> None:
    """With success_threshold=2 the first trial success keeps it half-open; the second closes."""
    breaker, _, _ = make(clock, FAIL, FAIL, OK, success_threshold=2)
    await trip(breaker)
    clock.advance(30.0)
    await complete(breaker, REQ)
    assert breaker.state == "half_open" and breaker.would_admit()
    await complete(breaker, REQ)
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    "script", [pytest.param(FAIL, id="pre"), pytest.param(FAIL_LATE, id="post")]
)
async def test_trial_failure_reopens(clock: FakeClock, script: Script) -> None:
    """A failed trial re-opens the breaker for another reset_timeout."""
    breaker, _, obs = make(clock, FAIL, FAIL, script)
    await trip(breaker)
    clock.advance(30.0)
    await trip(breaker, 1)
    assert breaker.state == "open" and breaker.retry_at == clock() + 30.0
    assert obs.seen[-1][1:3] == ("half_open", "open")
    assert len(obs.seen) == 3


async def _break_early(breaker: CircuitBreaker) -> None:
    async with closing(breaker.stream_complete(REQ)) as stream:
        async for _ in stream:
            break


async def _aclose_early(breaker: CircuitBreaker) -> None:
    stream = breaker.stream_complete(REQ)
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]


async def _cancel(breaker: CircuitBreaker) -> None:
    task = asyncio.create_task(complete(breaker, REQ))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _bad_request(breaker: CircuitBreaker) -> None:
    with pytest.raises(errors.BadRequest):
        await complete(breaker, REQ)


NEUTRAL = [
    pytest.param(_break_early, OK, id="break"),
    pytest.param(_aclose_early, OK, id="aclose"),
    pytest.param(_cancel, STALL, id="cancel"),
    pytest.param(_bad_request, Script(fault=Fault("bad_request")), id="bad-request"),
]


@pytest.mark.parametrize(("stop", "script"), NEUTRAL)
async def test_neutral_outcomes_keep_closed_count(clock: FakeClock, stop, script) -> None:  # type: ignore[no-untyped-def]
    """Early stop, cancellation and request errors neither count nor reset failures."""
    breaker, inner, _ = make(clock, FAIL, script, FAIL)
    await trip(breaker, 1)
    await stop(breaker)
    assert breaker.state == "closed" and breaker.pybreaker.fail_counter == 1
    await trip(breaker, 1)
    assert breaker.state == "open"
    assert inner.opened == inner.closed == 3


@pytest.mark.parametrize(("stop", "script"), NEUTRAL)
async def test_neutral_trial_frees_the_permit(clock: FakeClock, stop, script) -> None:  # type: ignore[no-untyped-def]
    """A neutral trial leaves the breaker half-open and lets the next caller be the trial."""
    breaker, inner, obs = make(clock, FAIL, FAIL, script, OK)
    await trip(breaker)
    clock.advance(30.0)
    await stop(breaker)
    assert breaker.state == "half_open" and breaker.would_admit()
    await complete(breaker, REQ)
    assert breaker.state == "closed"
    assert len(obs.seen) == 3
    assert inner.opened == inner.closed == 4


async def test_stream_interrupted_counts_its_cause(clock: FakeClock) -> None:
    """A post-commit failure reaches the caller as StreamInterrupted and counts once."""
    breaker, _, _ = make(clock, FAIL_LATE, fail_max=3)
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(breaker, REQ)
    assert isinstance(info.value.cause, errors.ServerError)
    assert breaker.pybreaker.fail_counter == 1


async def test_non_counted_provider_errors_are_neutral(clock: FakeClock) -> None:
    """Context-window and content-filter errors (BadRequest family) never open it."""
    scripts = (Script(fault=Fault("context_window")), Script(fault=Fault("content_filter")))
    breaker, _, _ = make(clock, *scripts, fail_max=1)
    for _ in scripts:
        with pytest.raises(errors.BadRequest):
            await complete(breaker, REQ)
    assert breaker.state == "closed" and breaker.pybreaker.fail_counter == 0


async def test_late_outcomes_do_not_move_an_open_breaker(clock: FakeClock) -> None:
    """A stream admitted while closed that fails after the trip leaves retry_at alone."""
    inner = ScriptedProvider(name="p", scripts=(STALL, FAIL, FAIL), sleep=clock.sleep)
    inner.release = asyncio.Event()
    breaker = CircuitBreaker(inner, BreakerConfig(fail_max=2, reset_timeout=30.0), clock=clock)
    slow = asyncio.create_task(complete(breaker, REQ))
    await asyncio.sleep(0)
    await trip(breaker)
    retry_at = breaker.retry_at
    clock.advance(5.0)
    inner.release.set()
    with pytest.raises(errors.FirstTokenTimeout):
        await slow
    assert breaker.state == "open" and breaker.retry_at == retry_at


async def test_failure_traceback_is_the_callers(clock: FakeClock) -> None:
    """Feeding a failure to pybreaker does not graft pybreaker frames onto the error."""
    breaker, _, _ = make(clock, FAIL, fail_max=1)
    with pytest.raises(errors.ServerError) as info:
        await complete(breaker, REQ)
    frames = [entry.path for entry in info.traceback]
    assert not any("pybreaker" in str(path) for path in frames)


async def test_pybreaker_listeners_see_transitions(clock: FakeClock) -> None:
    """User listeners added to the underlying pybreaker object see the same transitions."""
    import pybreaker

    seen: list[str] = []

    class Listener(pybreaker.CircuitBreakerListener):
        def state_change(self, cb, old_state, new_state):  # type: ignore[no-untyped-def]
            seen.append(new_state.name)

    breaker, _, _ = make(clock, FAIL)
    breaker.pybreaker.add_listener(Listener())
    await trip(breaker)
    assert seen == ["open"]
