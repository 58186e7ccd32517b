"""The exposition passes `promtool check metrics` (naming, units, help, types)."""

from __future__ import annotations

import contextlib

import pytest
from prometheus_client import CollectorRegistry

from llm_router._aio import closing
from llm_router.errors import LLMRouterError
from llm_router.observe import (
    OUTCOMES,
    BreakerChanged,
    FellBack,
    Retried,
    StreamEnded,
    StreamStarted,
    StreamStopped,
    TaskDetected,
)
from llm_router.observe.metrics import Metrics, Price, exposition
from llm_router.providers import Fault, Script
from tests.conftest import FakeClock
from tests.observe.helpers import promtool_check, record
from tests.observe.stack import build, drain, request


def test_exposition_passes_promtool_lint() -> None:
    """Every metric family, after streams of every outcome, lints clean with promtool."""
    reg = CollectorRegistry()
    m = Metrics(
        reg, providers=("a", "b"), models={"a": "m-a", "b": "m-b"}, prices={"a": Price(3.0, 15.0)}
    )
    m(TaskDetected("r", "code", ["code_fence"]))
    m(StreamStarted("r", "a"))
    m(Retried("r", "a", "rate_limited", 1, 0.5))
    m(FellBack("r", "code", "a", "b", "server_error"))
    m(BreakerChanged("a", "closed", "open"))
    m(StreamStopped("r", "a"))
    for outcome in OUTCOMES:
        m(StreamEnded(record(outcome=outcome)))
    body, _ = exposition(reg)
    for family in (
        "requests_total",
        "time_to_first_token_seconds",
        "stream_duration_seconds",
        "tokens_total",
        "output_tokens_per_second",
        "fallbacks_total",
        "retries_total",
        "circuit_state",
        "circuit_transitions_total",
        "inflight_streams",
        "task_detected_total",
        "cost_usd_total",
    ):
        assert f"# HELP llm_router_{family} ".encode() in body
    result = promtool_check(body)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    assert result.stderr.strip() == ""


async def test_stack_exposition_passes_promtool_lint(clock: FakeClock) -> None:
    """After real routed streams of every outcome, the exposition lints clean."""
    reg = CollectorRegistry()
    scenarios = [
        [Script("Hello there.", first_token_delay_s=0.3, chunk_delay_s=0.1)],
        [Script(fault=Fault("rate_limited")), Script("ok.")],
        [Script(fault=Fault("auth"))],
        [Script("one two three", fault=Fault("server_error", after_chunks=2))],
    ]
    for scripts in scenarios:
        s = build(clock, scripts, registry=reg, fail_max=1)
        with contextlib.suppress(LLMRouterError):
            await drain(s)
    await drain(s, request(request_id="rid-2"))  # a's breaker is open: skipped
    async with closing(s.router.stream_complete(request())) as stream:
        async for _ in stream:
            break
    body, _ = exposition(reg)
    for outcome in ("success", "interrupted", "cancelled"):
        assert f'outcome="{outcome}"'.encode() in body
    assert b'reason="circuit_open"' in body
    result = promtool_check(body)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout + result.stderr).strip() == ""
    assert pytest.approx(2.0) == reg.get_sample_value("llm_router_circuit_state", {"provider": "a"})
