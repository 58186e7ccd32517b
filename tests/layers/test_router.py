"""The router: route resolution, failover before commit, one record per stream, explain."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.config import RescueConfig
from llm_router.layers.routing import Candidate, Detector, Route, Router, UnknownModel
from llm_router.observe import (
    BreakerState,
    Event,
    FellBack,
    Retried,
    RouteSelected,
    StreamEnded,
    StreamRecord,
    StreamStarted,
    StreamStopped,
    TaskDetected,
)
from llm_router.providers import Fault, Script, ScriptedProvider
from llm_router.types import TASK_NAMES, Usage
from tests.conftest import FakeClock


class Recorder:
    """A hook that records every event as a tuple, and stream records apart."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.records: list[StreamRecord] = []

    def __call__(self, event: Event) -> None:
        match event:
            case TaskDetected(task=task, signals=signals):
                self.events.append(("task", task, signals))
            case RouteSelected(task=task, route=route, candidates=candidates):
                self.events.append(("route", task, route, candidates))
            case StreamStarted(provider=provider):
                self.events.append(("started", provider))
            case StreamStopped(provider=provider):
                self.events.append(("stopped", provider))
            case Retried(provider=provider, reason=reason, attempt=attempt):
                self.events.append(("retry", provider, reason, attempt))
            case FellBack(from_provider=old, to_provider=new, reason=reason):
                self.events.append(("fallback", old, new, reason))
            case StreamEnded(record=record):
                self.records.append(record)

    def of(self, kind: str) -> list[tuple[object, ...]]:
        """The events of one kind, without the kind."""
        return [e[1:] for e in self.events if e[0] == kind]


@dataclass(frozen=True)
class Detection:
    """A fixed detection result."""

    task: str
    score: float = 0.9
    signals: tuple[str, ...] = ("rule:code",)


@dataclass
class FakeBreaker:
    """A breaker view whose state the test sets."""

    state: BreakerState = "open"
    retry_at: float | None = 1012.5

    def would_admit(self) -> bool:
        return self.state != "open"


def req(model: str | None = None, text: str = "hi", **kw: object) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], model=model, **kw)  # type: ignore[arg-type]


def sp(name: str, *scripts: Script, clock: FakeClock | None = None) -> ScriptedProvider:
    return ScriptedProvider(
        name=name,
        model=f"{name}-model",
        scripts=scripts or (Script(text=f"answer from {name}"),),
        sleep=clock.sleep if clock else asyncio.sleep,
    )


def fail(kind: str, after: int = 0) -> Script:
    return Script(text="partial answer text", fault=Fault(kind, after))  # type: ignore[arg-type]


def router(
    *providers: ScriptedProvider | Candidate,
    clock: FakeClock,
    obs: Recorder | None = None,
    task: str = "chat",
    rescue: RescueConfig | None = None,
    **route_kw: bool,
) -> Router:
    """A router over ``providers``; rescue is off unless given (tests/layers/test_rescue.py
    covers it): these tests pin what happens before and at the commit point."""
    cands = tuple(p if isinstance(p, Candidate) else Candidate(p, p.name) for p in providers)
    return Router(
        {"default": Route("default", cands, **route_kw)},
        detector=lambda r: Detection(task),
        hook=obs,
        clock=clock,
        rescue=rescue or RescueConfig.off(),
    )


async def test_success_records_once(clock: FakeClock) -> None:
    """A plain success: text, one record with provider, model, usage and chunks."""
    obs = Recorder()
    p = sp("a", Script(text="hello world", usage=Usage(5, 2)))
    c = await complete(router(p, sp("b"), clock=clock, obs=obs), req())
    assert c.text == "hello world"
    [rec] = obs.records
    assert (rec.outcome, rec.provider, rec.model, rec.chunks) == ("success", "a", "a-model", 3)
    assert rec.usage == Usage(5, 2) and rec.fallbacks == 0 and rec.ttft_s == 0.0
    assert rec.task == "chat" and rec.route == "default" and rec.error is None
    assert obs.of("task") == [("chat", ("rule:code",))]
    assert obs.of("route") == [("chat", "default", ("a", "b"))]
    assert obs.of("started") == obs.of("stopped") == [("a",)]


async def test_failover_order_reasons_and_text(clock: FakeClock) -> None:
    """Failures before commit move down the list; text comes from one upstream only."""
    obs = Recorder()
    a, b, c = sp("a", fail("server_error")), sp("b", fail("connect")), sp("c")
    out = await complete(router(a, b, c, clock=clock, obs=obs), req())
    assert out.text == "answer from c" and out.provider == "c"
    assert obs.of("fallback") == [("a", "b", "server_error"), ("b", "c", "connect_error")]
    assert obs.of("started") == obs.of("stopped") == [("a",), ("b",), ("c",)]
    [rec] = obs.records
    assert rec.fallbacks == 2 and rec.provider == "c" and rec.outcome == "success"
    assert all(p.opened == p.closed == 1 for p in (a, b, c))


async def test_all_failed_lists_every_attempt(clock: FakeClock) -> None:
    """AllProvidersFailed carries each candidate and its error; the record is an error."""
    obs = Recorder()
    a, b = sp("a", fail("rate_limited")), sp("b", fail("auth"))
    with pytest.raises(errors.AllProvidersFailed) as info:
        await complete(router(a, b, clock=clock, obs=obs), req())
    got = [(t.provider, type(t.error)) for t in info.value.attempts]
    assert got == [("a", errors.RateLimited), ("b", errors.AuthError)]
    assert info.value.route == "default"
    [rec] = obs.records
    assert (rec.outcome, rec.provider, rec.error) == ("error", "b", "AllProvidersFailed")
    assert rec.model == "b-model" and rec.chunks == 0 and rec.ttft_s is None


async def test_bad_request_does_not_fail_over(clock: FakeClock) -> None:
    """A BadRequest is the caller's fault: re-raised at once, later candidates untouched."""
    b = sp("b")
    with pytest.raises(errors.BadRequest):
        await complete(router(sp("a", fail("bad_request")), b, clock=clock), req())
    assert b.calls == []


@pytest.mark.parametrize(
    ("opt_in", "fails_over"),
    [pytest.param(False, False, id="default"), pytest.param(True, True, id="opted-in")],
)
async def test_content_filtered_fails_over_only_if_opted_in(
    clock: FakeClock, opt_in: bool, fails_over: bool
) -> None:
    """ContentFiltered reaches the caller unless the route opts in to failover."""
    b = sp("b")
    r = router(sp("a", fail("content_filter")), b, clock=clock, failover_on_content_filter=opt_in)
    if fails_over:
        assert (await complete(r, req())).provider == "b"
    else:
        with pytest.raises(errors.ContentFiltered):
            await complete(r, req())
        assert b.calls == []


async def test_context_window_skips_no_larger_candidates(clock: FakeClock) -> None:
    """After a context-window error, candidates known to be no larger are skipped."""
    obs = Recorder()
    a, b, c, d = sp("a", fail("context_window")), sp("b"), sp("c"), sp("d")
    cands = [
        Candidate(a, "a", context_window=8000),
        Candidate(b, "b", context_window=4000),
        Candidate(c, "c", context_window=8000),
        Candidate(d, "d"),
    ]
    assert (await complete(router(*cands, clock=clock, obs=obs), req())).provider == "d"
    assert b.calls == [] and c.calls == []
    assert [e[2] for e in obs.of("fallback")] == ["context_window"] * 3


async def test_open_breaker_is_skipped_without_a_call(clock: FakeClock) -> None:
    """A candidate whose breaker would not admit is skipped at once, recorded as an attempt."""
    obs = Recorder()
    a = sp("a")
    r = router(
        Candidate(a, "a", breaker=FakeBreaker()),
        sp("b", fail("server_error")),
        clock=clock,
        obs=obs,
    )
    with pytest.raises(errors.AllProvidersFailed) as info:
        await complete(r, req())
    assert a.calls == []
    first = info.value.attempts[0].error
    assert isinstance(first, errors.CircuitOpen) and first.retry_at == 1012.5
    assert obs.of("fallback") == [("a", "b", "circuit_open")]
    assert obs.of("started") == [("b",)]


async def test_interrupted_after_commit_never_fails_over(clock: FakeClock) -> None:
    """A fault after commit reaches the caller as StreamInterrupted with the partial text."""
    obs = Recorder()
    b = sp("b")
    seen: list[str] = []
    with pytest.raises(errors.StreamInterrupted) as info:
        async for chunk in router(
            sp("a", fail("server_error", 2)), b, clock=clock, obs=obs
        ).stream_complete(req()):
            seen.append(chunk.text)
    assert "".join(seen) == info.value.partial.text == "partial answer "
    assert b.calls == []
    [rec] = obs.records
    assert (rec.outcome, rec.chunks, rec.provider) == ("interrupted", 2, "a")


async def _consume(router_: Router, how: str) -> None:
    stream = router_.stream_complete(req())
    if how == "break":
        async for _ in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
    elif how == "aclose":
        await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
    else:  # read it all, as a streaming caller does
        async for _ in stream:
            pass


@pytest.mark.parametrize(
    ("script", "how", "outcome"),
    [
        pytest.param(Script(text="a b c"), "all", "success", id="success"),
        pytest.param(fail("auth"), "all", "error", id="error"),
        pytest.param(fail("idle_timeout", 1), "all", "interrupted", id="interrupted"),
        pytest.param(Script(text="a b c"), "break", "cancelled", id="break"),
        pytest.param(Script(text="a b c"), "aclose", "cancelled", id="aclose"),
    ],
)
async def test_exactly_one_record_per_outcome(
    clock: FakeClock, script: Script, how: str, outcome: str
) -> None:
    """Each way a stream can end produces one StreamEnded, and every stream is closed."""
    obs = Recorder()
    a = sp("a", script)
    with contextlib.suppress(errors.LLMRouterError):
        await _consume(router(a, clock=clock, obs=obs), how)
    assert [r.outcome for r in obs.records] == [outcome]
    assert a.opened == a.closed == 1
    assert len(obs.of("started")) == len(obs.of("stopped")) == 1


@pytest.mark.parametrize(
    "committed", [pytest.param(False, id="before-commit"), pytest.param(True, id="after-commit")]
)
async def test_task_cancellation_records_cancelled_and_closes(
    clock: FakeClock, committed: bool
) -> None:
    """Cancelling the consuming task ends with one 'cancelled' record and closed streams."""
    obs = Recorder()
    release = asyncio.Event()
    a = sp("a", Script(text="x y z", fault=Fault("stall", 1 if committed else 0)))
    a.release = release
    task = asyncio.create_task(complete(router(a, sp("b"), clock=clock, obs=obs), req()))
    for _ in range(5):
        await asyncio.sleep(0)
    assert a.opened == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r.outcome for r in obs.records] == ["cancelled"]
    assert a.opened == a.closed == 1
    assert obs.of("stopped") == [("a",)]


async def test_deadline_set_on_request_and_model_override(clock: FakeClock) -> None:
    """The router sets deadline_at and the candidate's model; route aliases are not sent."""
    a, b = sp("a", fail("server_error")), sp("b")
    r = router(Candidate(a, "a"), Candidate(b, "b", model="big"), clock=clock)
    r.routes["alias"] = Route("alias", r.routes["default"].candidates)  # type: ignore[index]
    await complete(r, req("alias", deadline_s=5.0))
    assert a.calls[0].deadline_at == clock() + 5.0 and a.calls[0].model is None
    assert b.calls[0].model == "big" and b.calls[0].deadline_at == clock() + 5.0


async def test_deadline_passed_stops_failover(clock: FakeClock) -> None:
    """Once the request deadline has passed no further candidate is tried."""
    slow = Script(first_token_delay_s=7.0, fault=Fault("server_error"))
    b = sp("b")
    r = router(sp("a", slow, clock=clock), b, clock=clock)
    with pytest.raises(errors.DeadlineExceeded):
        await complete(r, req(deadline_s=5.0))
    assert b.calls == []


async def test_deadline_bounds_a_stalled_candidate() -> None:
    """A candidate stalled past the deadline is abandoned with DeadlineExceeded (real 30 ms)."""
    a = sp("a", fail("stall"))
    r = Router(
        {"default": Route("default", (Candidate(a, "a"),))}, detector=lambda r: Detection("chat")
    )
    with pytest.raises(errors.DeadlineExceeded):
        await complete(r, req(deadline_s=0.03))
    assert a.opened == a.closed == 1


def _routes(
    clock: FakeClock, detector: Detector | None = None, obs: Recorder | None = None
) -> Router:
    a, b, c = sp("a"), sp("b"), sp("c")
    return Router(
        {
            "default": Route("default", (Candidate(a, "a"),)),
            "code": Route("code", (Candidate(b, "b"), Candidate(a, "a"))),
            "gpt-4o": Route("gpt-4o", (Candidate(c, "c/big", model="big"),)),
        },
        detector=detector or (lambda r: Detection(r.task or r.metadata.get("detected") or "code")),
        clock=clock,
        hook=obs,
    )


@pytest.mark.parametrize(
    ("model", "task_hint", "task", "route"),
    [
        pytest.param(None, None, "code", "code", id="auto-detected"),
        pytest.param("auto", "translation", "translation", "default", id="task-without-route"),
        pytest.param("code", None, "code", "code", id="task-name"),
        pytest.param("summarization", None, "summarization", "default", id="task-name-default"),
        pytest.param("gpt-4o", "chat", "chat", "gpt-4o", id="alias-route"),
        pytest.param("c/big", None, "chat", "c/big", id="deployment"),
        pytest.param("c/big", "code", "code", "c/big", id="deployment-with-hint"),
        pytest.param(None, "not-a-task", "chat", "default", id="label-closed-set"),
    ],
)
def test_resolve(
    clock: FakeClock, model: str | None, task_hint: str | None, task: str, route: str
) -> None:
    """request.model selects route, task, deployment; task labels stay in TASK_NAMES
    (a detector's unknown task is labelled ``chat``; ChatRequest refuses an unknown
    ``task`` itself, so the odd value comes from the detector here)."""
    known = task_hint is None or task_hint in TASK_NAMES
    hint: dict[str, object] = (
        {"task": task_hint} if known else {"metadata": {"detected": task_hint}}
    )
    res = _routes(clock).resolve(req(model, **hint))
    assert (res.task, res.route.name) == (task, route)


@pytest.mark.parametrize(
    ("model", "hint", "task", "signals"),
    [
        pytest.param("code", None, "code", ("named:task",), id="task"),
        pytest.param("gpt-4o", None, "chat", ("named:default",), id="alias-route"),
        pytest.param("c/big", None, "chat", ("named:default",), id="deployment"),
        pytest.param("c/big", {"task": "code"}, "code", ("explicit",), id="hint"),
        pytest.param("a", {"metadata": {"task": "translation"}}, "translation", ("explicit",),
                     id="metadata-hint"),
        pytest.param("default", None, "chat", ("named:default",), id="default-route"),
    ],
)  # fmt: skip
async def test_named_route_is_not_detected(
    clock: FakeClock,
    model: str,
    hint: dict[str, object] | None,
    task: str,
    signals: tuple[str, ...],
) -> None:
    """A request whose ``model`` names a route, deployment or task is never run through
    the detector: its label is the hint, the task named, or ``chat``; explain says so."""
    detected: list[str] = []

    def detector(r: ChatRequest) -> Detection:
        detected.append(r.request_id)
        return Detection("code")

    obs = Recorder()
    r = _routes(clock, detector, obs)
    request = req(model, **(hint or {}))
    await complete(r, request)
    ex = r.explain(request)
    assert (ex.task, ex.score, ex.signals) == (task, None, signals)
    assert obs.of("task") == [(task, signals)] and obs.records[0].task == task
    assert detected == []


async def test_unknown_model(clock: FakeClock) -> None:
    """An unknown model is an UnknownModel (a 404 BadRequest) naming what is known."""
    with pytest.raises(UnknownModel) as info:
        await complete(_routes(clock), req("gpt-5"))
    assert isinstance(info.value, errors.BadRequest) and info.value.status == 404
    assert "gpt-4o" in str(info.value)


def test_explain(clock: FakeClock) -> None:
    """explain() shows task, signals, candidates and roles, with no prompt text."""
    a, b, c = sp("a"), sp("b"), sp("c")
    cands = (
        Candidate(a, "a", breaker=FakeBreaker(retry_at=clock() + 12.5)),
        Candidate(b, "b", model="m", breaker=FakeBreaker("closed", None)),
        Candidate(c, "c", context_window=128000),
    )
    r = router(*cands, clock=clock, task="code")
    ex = r.explain(req(text="secret prompt text"))
    assert ex.chosen == "b"
    d = ex.to_dict()
    assert d["task"] == "code" and d["route"] == "default" and d["signals"] == ["rule:code"]
    assert [c["would_be"] for c in d["candidates"]] == [
        "skipped: circuit open (retry in 12.5 s)",
        "chosen",
        "fallback #1",
    ]
    assert [c["breaker"] for c in d["candidates"]] == ["open", "closed", None]
    assert "secret" not in json.dumps(d)
    assert a.calls == b.calls == c.calls == []


async def test_status_counts_in_flight(clock: FakeClock) -> None:
    """status() shows each deployment's breaker and in-flight streams."""
    r = router(Candidate(sp("a"), "a", breaker=FakeBreaker("closed", None)), sp("b"), clock=clock)
    stream = r.stream_complete(req())
    await anext(stream)
    assert r.status()["deployments"]["a"] == {
        "breaker": "closed",
        "retry_in_s": None,
        "open_period_s": None,
        "in_flight": 1,
    }
    await stream.aclose()  # type: ignore[attr-defined]
    assert r.status()["deployments"]["a"]["in_flight"] == 0
    assert set(r.providers) == {"a", "b"}


def test_default_route_required() -> None:
    """A router without a default route is a configuration error."""
    with pytest.raises(errors.ConfigurationError):
        Router({"code": Route("code", (Candidate(sp("a"), "a"),))})


@pytest.mark.parametrize(
    ("draws", "order"),
    [
        pytest.param([0.1, 0.9], ["b", "a", "c"], id="light-one-drawn-high"),
        pytest.param([0.5, 0.5], ["a", "b", "c"], id="heavier-first-on-equal-draws"),
    ],
)
async def test_weighted_candidates_shuffled(
    clock: FakeClock, draws: list[float], order: list[str]
) -> None:
    """Consecutive weighted candidates are ordered by a weighted draw; others keep place."""
    obs = Recorder()
    a, b, c = sp("a"), sp("b"), sp("c")
    cands = (Candidate(a, "a", weight=0.7), Candidate(b, "b", weight=0.3), Candidate(c, "c"))
    draw = iter(draws)
    r = Router(
        {"default": Route("default", cands)},
        detector=lambda r: Detection("chat"),
        hook=obs,
        clock=clock,
        rng=lambda: next(draw),
    )
    assert (await complete(r, req())).provider == order[0]
    assert obs.of("route") == [("chat", "default", tuple(order))]


async def test_default_detector_honours_explicit_task(clock: FakeClock) -> None:
    """Without a detector argument the router uses llm_router.tasks.detect_task."""
    a, b = sp("a"), sp("b")
    r = Router(
        {
            "default": Route("default", (Candidate(a, "a"),)),
            "code": Route("code", (Candidate(b, "b"),)),
        },
        clock=clock,
    )
    assert (await complete(r, req(task="code"))).provider == "b"
    assert r.resolve(req("auto", task="code")).task == "code"


async def test_stream_resolved_detects_once(clock: FakeClock) -> None:
    """stream_resolved() reuses the gateway's resolve(): the detector runs once."""
    seen: list[str] = []

    def detector(r: ChatRequest) -> Detection:
        seen.append(r.request_id)
        return Detection("code")

    b = sp("b")
    r = Router(
        {
            "default": Route("default", (Candidate(sp("a"), "a"),)),
            "code": Route("code", (Candidate(b, "b"),)),
        },
        detector=detector,
        clock=clock,
    )
    request = req()
    res = r.resolve(request)
    chunks = [c.text async for c in r.stream_resolved(request, res)]
    assert "".join(chunks) == "answer from b" and len(seen) == 1
