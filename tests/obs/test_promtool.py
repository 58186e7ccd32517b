"""The exposition passes `promtool check metrics` (naming, units, help, types)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from llm_router.obs.metrics import Metrics, Price, exposition
from llm_router.observe import OUTCOMES
from tests.obs.helpers import promtool_check, record


def test_exposition_passes_promtool_lint() -> None:
    """Every metric family, after streams of every outcome, lints clean with promtool."""
    reg = CollectorRegistry()
    m = Metrics(
        reg, providers=("a", "b"), models={"a": "m-a", "b": "m-b"}, prices={"a": Price(3.0, 15.0)}
    )
    m.task_detected("r", "code", ["code_fence"])
    m.stream_started("r", "a")
    m.retry("r", "a", "rate_limited", 1, 0.5)
    m.fallback("r", "code", "a", "b", "server_error")
    m.circuit_state_change("a", "closed", "open")
    m.stream_stopped("r", "a")
    for outcome in OUTCOMES:
        m.stream_finished(record(outcome=outcome))
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
