"""The Prometheus hook, driven with events."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from llm_router.errors import ConfigurationError
from llm_router.observe import (
    BreakerChanged,
    FellBack,
    Retried,
    StreamEnded,
    StreamStarted,
    StreamStopped,
    TaskDetected,
)
from llm_router.observe.metrics import Metrics, Price, exposition, start_metrics_server
from llm_router.types import Usage
from tests.observe.helpers import record


def make(**kwargs: object) -> tuple[Metrics, CollectorRegistry]:
    reg = CollectorRegistry()
    kwargs.setdefault("providers", ("a", "b"))
    kwargs.setdefault("models", {"a": "m-a", "b": "m-b"})
    return Metrics(reg, **kwargs), reg  # type: ignore[arg-type]


def val(reg: CollectorRegistry, name: str, **labels: str) -> float | None:
    return reg.get_sample_value("llm_router_" + name, labels)


def test_success_records_every_stream_metric_once() -> None:
    """A successful stream counts the request, latency, duration, tokens and speed."""
    m, reg = make()
    m(StreamEnded(record()))
    assert val(reg, "requests_total", task="code", provider="a", model="m-a", outcome="success")
    assert val(reg, "time_to_first_token_seconds_count", provider="a", model="m-a") == 1
    assert val(reg, "time_to_first_token_seconds_sum", provider="a", model="m-a") == 0.2
    labels = {"provider": "a", "model": "m-a", "outcome": "success"}
    assert val(reg, "stream_duration_seconds_count", **labels) == 1
    assert val(reg, "stream_duration_seconds_sum", **labels) == 1.2
    assert val(reg, "tokens_total", provider="a", model="m-a", kind="input") == 100
    assert val(reg, "tokens_total", provider="a", model="m-a", kind="output") == 50
    assert val(reg, "output_tokens_per_second_sum", provider="a", model="m-a") == 50.0
    assert val(reg, "output_tokens_per_second_bucket", provider="a", model="m-a", le="50.0") == 1
    assert val(reg, "output_tokens_per_second_bucket", provider="a", model="m-a", le="30.0") == 0


def test_failed_stream_without_first_token_records_no_latency_or_tokens() -> None:
    """An error before the first token counts the request and duration only."""
    m, reg = make()
    m(
        StreamEnded(
            record(outcome="error", ttft_s=None, usage=None, chunks=0, error="AllProvidersFailed")
        )
    )
    assert val(reg, "requests_total", task="code", provider="a", model="m-a", outcome="error") == 1
    labels = {"provider": "a", "model": "m-a", "outcome": "error"}
    assert val(reg, "stream_duration_seconds_count", **labels) == 1
    assert val(reg, "time_to_first_token_seconds_count", provider="a", model="m-a") is None
    assert val(reg, "tokens_total", provider="a", model="m-a", kind="input") is None


def test_retry_fallback_and_task_counters() -> None:
    """Retries, fallbacks and decided tasks are counted when they happen."""
    m, reg = make()
    m(TaskDetected("r", "code", ("code_fence",)))
    m(Retried("r", "a", "rate_limited", 1, 0.5))
    m(Retried("r", "a", "rate_limited", 2, 1.0))
    m(FellBack("r", "code", "a", "b", "server_error"))
    assert val(reg, "task_detected_total", task="code") == 1
    assert val(reg, "retries_total", provider="a", reason="rate_limited") == 2
    fb = {"task": "code", "from_provider": "a", "to_provider": "b", "reason": "server_error"}
    assert val(reg, "fallbacks_total", **fb) == 1


def test_circuit_state_gauge_and_transitions() -> None:
    """Declared deployments start closed (0); transitions set the gauge and count."""
    m, reg = make()
    assert val(reg, "circuit_state", provider="a") == 0
    m(BreakerChanged("a", "closed", "open"))
    assert val(reg, "circuit_state", provider="a") == 2
    m(BreakerChanged("a", "open", "half_open"))
    assert val(reg, "circuit_state", provider="a") == 1
    m(BreakerChanged("a", "half_open", "closed", "shared"))
    assert val(reg, "circuit_state", provider="a") == 0
    tr = {"provider": "a", "from_state": "closed", "to_state": "open"}
    assert val(reg, "circuit_transitions_total", **tr) == 1


def test_inflight_gauge_follows_started_and_stopped() -> None:
    """stream_started/stream_stopped move the in-flight gauge up and down."""
    m, reg = make()
    assert val(reg, "inflight_streams", provider="b") == 0
    m(StreamStarted("r1", "a"))
    m(StreamStarted("r2", "a"))
    assert val(reg, "inflight_streams", provider="a") == 2
    m(StreamStopped("r1", "a"))
    m(StreamStopped("r2", "a"))
    assert val(reg, "inflight_streams", provider="a") == 0


def test_cost_from_prices_per_million_tokens() -> None:
    """With prices, cost_usd_total adds input and output tokens at their prices."""
    m, reg = make(prices={"a": Price(input=2.0, output=10.0)})
    m(StreamEnded(record(usage=Usage(input_tokens=1_000_000, output_tokens=500_000))))
    m(StreamEnded(record(provider="b", model="m-b")))
    assert val(reg, "cost_usd_total", provider="a", model="m-a") == pytest.approx(7.0)
    assert val(reg, "cost_usd_total", provider="b", model="m-b") is None


def test_cost_metric_absent_without_prices() -> None:
    """Without prices there is no cost metric at all."""
    _, reg = make()
    assert b"cost_usd" not in exposition(reg)[0]


def test_prices_reject_negative_values() -> None:
    """A negative price is a configuration error."""
    with pytest.raises(ConfigurationError):
        Price(input=-1.0, output=1.0)


def test_undeclared_model_maps_to_the_single_declared_model() -> None:
    """An upstream's dated model variant counts under the deployment's declared model."""
    m, reg = make()
    m(StreamEnded(record(model="m-a-2024-08-06")))
    labels = {"task": "code", "provider": "a", "model": "m-a", "outcome": "success"}
    assert val(reg, "requests_total", **labels) == 1


def test_unknown_values_map_to_other() -> None:
    """Unknown provider, task, outcome and reason label values become 'other'."""
    m, reg = make()
    m(StreamEnded(record(provider="zzz", model="yyy", task="poetry", outcome="weird")))
    m(Retried("r", "nope", "made_up_reason", 1, 0.1))
    m(BreakerChanged("ghost", "closed", "open"))
    other = {"task": "other", "provider": "other", "model": "other", "outcome": "other"}
    assert val(reg, "requests_total", **other) == 1
    assert val(reg, "retries_total", provider="other", reason="other") == 1
    assert val(reg, "circuit_state", provider="other") is None


def test_two_metrics_on_one_registry_share_families() -> None:
    """A second Metrics on the same registry reuses the families; counts add up."""
    reg = CollectorRegistry()
    Metrics(reg, providers=("a",))(StreamEnded(record()))
    Metrics(reg, providers=("a",))(StreamEnded(record()))
    labels = {"task": "code", "provider": "a", "model": "m-a", "outcome": "success"}
    assert reg.get_sample_value("llm_router_requests_total", labels) == 2


def test_default_registry_twice_does_not_crash() -> None:
    """Two Metrics on prometheus-client's global registry work (shared families)."""
    first, second = Metrics(), Metrics()
    assert first.registry is second.registry


def test_foreign_collector_with_our_name_is_a_clear_error() -> None:
    """A registry where another collector took our names fails with a clear message."""
    reg = CollectorRegistry()
    Counter("llm_router_requests_total", "someone else's", registry=reg)
    with pytest.raises(ConfigurationError, match="already registered"):
        Metrics(reg)


def test_exposition_returns_body_and_content_type() -> None:
    """exposition() renders the registry with prometheus-client's content type."""
    m, reg = make()
    m(StreamEnded(record()))
    body, content_type = exposition(reg)
    assert content_type.startswith("text/plain")
    assert b'llm_router_requests_total{model="m-a",outcome="success"' in body


def test_metrics_server_serves_and_closes() -> None:
    """start_metrics_server serves the registry on loopback and closes cleanly."""
    m, reg = make()
    m(StreamEnded(record()))
    with start_metrics_server(0, registry=reg) as server:
        assert server.addr == "127.0.0.1"
        url = f"http://127.0.0.1:{server.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = resp.read()
    assert b"llm_router_requests_total" in body
    server.close()
