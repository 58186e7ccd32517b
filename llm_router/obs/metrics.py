"""Prometheus metrics for routed streams (SPEC §5), as an :class:`Observer`.

Streams are recorded once, when they end (``stream_finished``); retries, fallbacks
and breaker transitions when they happen; in-flight streams through
``stream_started``/``stream_stopped``. Nothing runs per chunk. Every label value
goes through :class:`~llm_router.obs.labels.LabelSets`, so cardinality is bounded
by the policy, never by request content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)

from llm_router.errors import ConfigurationError
from llm_router.obs._families import families_for
from llm_router.obs.labels import OTHER, LabelSets
from llm_router.observe import BreakerState, NullObserver, StreamRecord
from llm_router.types import TASK_NAMES

_STATE_VALUE: dict[str, int] = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(frozen=True, slots=True)
class Price:
    """What a model costs, in US dollars per million input and output tokens."""

    input: float
    output: float

    def __post_init__(self) -> None:
        if self.input < 0 or self.output < 0:
            raise ConfigurationError(f"prices must be >= 0, got {self.input}, {self.output}")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The cost in USD of a stream with this usage."""
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


class Metrics(NullObserver):
    """The Prometheus observer: records every metric of SPEC §5 on ``registry``.

    ``registry`` defaults to prometheus-client's global ``REGISTRY``. The metric
    families are registered once per registry: a second ``Metrics`` on the same
    registry reuses them (its counts add to the first one's) instead of failing with
    a duplicate-timeseries error; names already taken by some other collector raise
    :class:`~llm_router.errors.ConfigurationError`.

    ``providers`` (deployment names), ``models`` (deployment → declared model names)
    and ``tasks`` are the closed label sets (see :class:`LabelSets`). ``prices``
    (keyed by deployment, or by model name) enables ``llm_router_cost_usd_total``.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        prices: Mapping[str, Price] | None = None,
        providers: Sequence[str] = (),
        models: Mapping[str, str | Sequence[str]] | None = None,
        tasks: Sequence[str] = TASK_NAMES,
    ) -> None:
        self.registry = REGISTRY if registry is None else registry
        self.prices = dict(prices or {})
        self.labels = LabelSets(providers=providers, models=models, tasks=tasks)
        self._m = families_for(self.registry)
        self._cost = self._m.cost() if self.prices else None
        self._series: dict[tuple[str, str, str, str], _Series] = {}
        for provider in self.labels.declared_providers:
            # Declared deployments export 0 (closed) and no in-flight streams from the start.
            self._m.circuit_state.labels(provider)
            self._m.inflight.labels(provider)

    def task_detected(self, request_id: str, task: str, signals: Sequence[str]) -> None:
        """Count the decided task."""
        self._m.tasks.labels(self.labels.task(task)).inc()

    def stream_started(self, request_id: str, provider: str) -> None:
        """One more upstream stream open."""
        self._m.inflight.labels(self.labels.provider(provider)).inc()

    def stream_stopped(self, request_id: str, provider: str) -> None:
        """One upstream stream fewer open."""
        self._m.inflight.labels(self.labels.provider(provider)).dec()

    def retry(
        self, request_id: str, provider: str, reason: str, attempt: int, wait_s: float
    ) -> None:
        """Count a retry."""
        self._m.retries.labels(self.labels.provider(provider), self.labels.reason(reason)).inc()

    def fallback(
        self, request_id: str, task: str, from_provider: str, to_provider: str, reason: str
    ) -> None:
        """Count a failover."""
        lab = self.labels
        self._m.fallbacks.labels(
            lab.task(task),
            lab.provider(from_provider),
            lab.provider(to_provider),
            lab.reason(reason),
        ).inc()

    def circuit_state_change(
        self, provider: str, old: BreakerState, new: BreakerState, *, source: str = "local"
    ) -> None:
        """Set the breaker gauge and count the transition."""
        name = self.labels.provider(provider)
        if name != OTHER and new in _STATE_VALUE:
            self._m.circuit_state.labels(name).set(_STATE_VALUE[new])
        self._m.transitions.labels(name, self.labels.state(old), self.labels.state(new)).inc()

    def stream_finished(self, record: StreamRecord) -> None:
        """Record a stream that ended: outcome, latency, duration, tokens, cost."""
        lab = self.labels
        provider = lab.provider(record.provider)
        model = lab.model(provider, record.model)
        key = (lab.task(record.task), provider, model, lab.outcome(record.outcome))
        series = self._series.get(key)
        if series is None:  # label values are bounded, so is this cache
            series = self._series[key] = _Series(self._m, *key)
        series.requests.inc()
        series.duration.observe(max(record.duration_s, 0.0))
        if record.ttft_s is not None:
            series.child("ttft").observe(max(record.ttft_s, 0.0))
        usage = record.usage
        if usage is None:
            return
        series.child("input_tokens").inc(max(usage.input_tokens, 0))
        series.child("output_tokens").inc(max(usage.output_tokens, 0))
        if record.ttft_s is not None and usage.output_tokens > 0:
            generating = record.duration_s - record.ttft_s
            if generating > 0:
                series.child("tokens_per_second").observe(usage.output_tokens / generating)
        price = self.prices.get(record.provider) or self.prices.get(record.model)
        if price is not None and self._cost is not None:
            cost = price.cost(max(usage.input_tokens, 0), max(usage.output_tokens, 0))
            if cost > 0:
                self._cost.labels(provider, model).inc(cost)


class _Series:
    """The labelled children one kind of stream end updates, each looked up once.

    ``requests`` and ``duration`` exist for every stream end; the others are made on
    first use, so a series appears in the exposition only once it has a value.
    """

    __slots__ = ("_lazy", "_m", "_pm", "duration", "requests")

    def __init__(self, m: Any, task: str, provider: str, model: str, outcome: str) -> None:
        self._m = m
        self._pm = (provider, model)
        self.requests = m.requests.labels(task, provider, model, outcome)
        self.duration = m.duration.labels(provider, model, outcome)
        self._lazy: dict[str, Any] = {}

    def child(self, name: str) -> Any:
        """The child of ``ttft``, ``input_tokens``, ``output_tokens`` or
        ``tokens_per_second`` for this provider and model."""
        got = self._lazy.get(name)
        if got is None:
            m, (provider, model) = self._m, self._pm
            if name == "input_tokens" or name == "output_tokens":
                got = m.tokens.labels(provider, model, name.partition("_")[0])
            else:
                got = getattr(m, name).labels(provider, model)
            self._lazy[name] = got
        return got


def exposition(registry: CollectorRegistry | None = None) -> tuple[bytes, str]:
    """The Prometheus text exposition of ``registry`` (default: the global one), as
    ``(body, content_type)`` for an HTTP handler such as the gateway's ``/metrics``."""
    return generate_latest(REGISTRY if registry is None else registry), CONTENT_TYPE_LATEST


class MetricsServer:
    """A running metrics HTTP server (prometheus-client's, on a daemon thread).

    ``port`` is the bound port (useful with port 0). Close it with :meth:`close` or
    use it as a context manager.
    """

    def __init__(self, port: int, addr: str, registry: CollectorRegistry) -> None:
        self._server, self._thread = start_http_server(port, addr=addr, registry=registry)
        self.addr = addr
        self.port: int = self._server.server_port

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_metrics_server(
    port: int, addr: str = "127.0.0.1", registry: CollectorRegistry | None = None
) -> MetricsServer:
    """Serve ``registry`` (default: the global one) at ``http://addr:port/metrics`` for
    library users; the gateway serves ``/metrics`` itself. Loopback by default."""
    return MetricsServer(port, addr, REGISTRY if registry is None else registry)
