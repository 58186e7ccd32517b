"""Events and one hook: frozen event values, fan_out, hooks that ignore what they need not."""

from __future__ import annotations

import dataclasses
import functools

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from llm_router.observe import (
    BreakerChanged,
    Event,
    FellBack,
    Retried,
    RouteSelected,
    StreamEnded,
    StreamStarted,
    StreamStopped,
    TaskDetected,
    fan_out,
)
from llm_router.observe.logs import Logs
from llm_router.observe.metrics import Metrics
from tests.observe.helpers import record

EVENTS: list[Event] = [
    TaskDetected("r", "code", ("code_fence",)),
    RouteSelected("r", "code", "code", ("a", "b")),
    StreamStarted("r", "a"),
    Retried("r", "a", "rate_limited", 1, 0.5),
    FellBack("r", "code", "a", "b", "server_error"),
    BreakerChanged("a", "closed", "open"),
    StreamStopped("r", "a"),
    StreamEnded(record()),
]


@pytest.mark.parametrize("event", [pytest.param(e, id=type(e).__name__) for e in EVENTS])
def test_events_are_frozen_slotted_values(event: Event) -> None:
    """An event cannot be changed or given new attributes (every hook sees the same)."""
    field = dataclasses.fields(event)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, field, "x")
    assert not hasattr(event, "__dict__")


def test_fan_out_calls_every_hook_in_order() -> None:
    """Functions, callable objects, bound methods and partials all receive each event."""
    seen: list[tuple[str, Event]] = []

    class Obj:
        def __call__(self, event: Event) -> None:
            seen.append(("obj", event))

    def fn(event: Event) -> None:
        seen.append(("fn", event))

    hook = fan_out(Obj(), fn, functools.partial(fn))
    for event in EVENTS[:2]:
        hook(event)
    assert seen == [(who, e) for e in EVENTS[:2] for who in ("obj", "fn", "fn")]


def test_fan_out_of_one_hook_is_that_hook() -> None:
    """No wrapper (no cost) when there is a single hook."""
    hook = Logs()
    assert fan_out(hook) is hook


def test_logs_ignore_events_without_a_log_line() -> None:
    """Task decisions and in-flight changes are metrics only: no log events."""
    with capture_logs() as logs:
        hook = Logs()
        for event in (EVENTS[0], EVENTS[2], EVENTS[6]):
            hook(event)
    assert logs == []


def test_metrics_take_every_event_and_record_the_stream_once() -> None:
    """Fed a whole stream's events, Metrics counts it once and leaves nothing in flight."""
    registry = CollectorRegistry()
    hook = Metrics(registry, providers=("a", "b"), models={"a": "m-a", "b": "m-b"})
    for event in EVENTS:
        hook(event)
    labels = {"task": "code", "provider": "a", "model": "m-a", "outcome": "success"}
    assert registry.get_sample_value("llm_router_requests_total", labels) == 1
    assert registry.get_sample_value("llm_router_inflight_streams", {"provider": "a"}) == 0
    assert registry.get_sample_value("llm_router_task_detected_total", {"task": "code"}) == 1
