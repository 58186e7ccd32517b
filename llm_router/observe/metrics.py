"""Prometheus metrics for routed streams (docs/DESIGN.md §5), as a hook.

Streams are recorded once, when they end (:class:`~llm_router.observe.StreamEnded`);
retries, fallbacks and breaker transitions when they happen; in-flight streams through
``StreamStarted``/``StreamStopped``. Nothing runs per chunk. Every label value
goes through :class:`~llm_router.observe.labels.LabelSets`, so cardinality is bounded
by the policy, never by request content.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, cast

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

from llm_router.observe import (
    RESCUE_OUTCOMES,
    BreakerChanged,
    Event,
    FellBack,
    Rescued,
    Retried,
    StreamEnded,
    StreamStarted,
    StreamStopped,
    TaskDetected,
)
from llm_router.observe._families import Series, families_for
from llm_router.observe._price import Price as Price
from llm_router.observe.labels import OTHER, LabelSets
from llm_router.types import TASK_NAMES

_STATE_VALUE: dict[str, int] = {"closed": 0, "half_open": 1, "open": 2}
_collect_dir = cast(Callable[..., object], MultiProcessCollector)  # prometheus-client: untyped


class Metrics:
    """The Prometheus hook: records every metric of docs/DESIGN.md §5 on ``registry``.

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
        self._series: dict[tuple[str, str, str, str], Series] = {}
        self._tasks: dict[str, Any] = {}
        self._inflight_of: dict[str, Any] = {}
        self._on: dict[type[Any], Callable[[Any], None]] = {
            TaskDetected: self._task_detected,
            StreamStarted: self._stream_started,
            StreamStopped: self._stream_stopped,
            Retried: self._retried,
            FellBack: self._fell_back,
            Rescued: self._rescued,
            BreakerChanged: self._breaker_changed,
            StreamEnded: self._stream_ended,
        }
        for provider in self.labels.declared_providers:
            # Declared deployments export 0 (closed) and no in-flight streams from the start.
            self._m.circuit_state.labels(provider)
            self._m.inflight.labels(provider)

    def __call__(self, event: Event) -> None:
        """Record ``event`` (a hook: events metrics do not need are ignored)."""
        on = self._on.get(type(event))
        if on is not None:
            on(event)

    def _task_detected(self, event: TaskDetected) -> None:
        task = self.labels.task(event.task)
        child = self._tasks.get(task)
        if child is None:  # label values are bounded, so is this cache
            child = self._tasks[task] = self._m.tasks.labels(task)
        child.inc()

    def _inflight(self, provider: str) -> Any:
        """The in-flight gauge of ``provider``'s label, looked up once."""
        name = self.labels.provider(provider)
        child = self._inflight_of.get(name)
        if child is None:  # bounded like the label values
            child = self._inflight_of[name] = self._m.inflight.labels(name)
        return child

    def _stream_started(self, event: StreamStarted) -> None:
        self._inflight(event.provider).inc()

    def _stream_stopped(self, event: StreamStopped) -> None:
        self._inflight(event.provider).dec()

    def _retried(self, event: Retried) -> None:
        lab = self.labels
        self._m.retries.labels(lab.provider(event.provider), lab.reason(event.reason)).inc()

    def _fell_back(self, event: FellBack) -> None:
        lab = self.labels
        self._m.fallbacks.labels(
            lab.task(event.task),
            lab.provider(event.from_provider),
            lab.provider(event.to_provider),
            lab.reason(event.reason),
        ).inc()

    def _rescued(self, event: Rescued) -> None:
        strategy = event.strategy if event.strategy in ("continue", "replay") else "other"
        outcome = event.outcome if event.outcome in RESCUE_OUTCOMES else "failed"
        self._m.rescues.labels(self.labels.provider(event.provider), strategy, outcome).inc()

    def _breaker_changed(self, event: BreakerChanged) -> None:
        """Set the breaker gauge and count the transition."""
        lab, new = self.labels, event.new
        name = lab.provider(event.provider)
        if name != OTHER and new in _STATE_VALUE:
            self._m.circuit_state.labels(name).set(_STATE_VALUE[new])
        self._m.transitions.labels(name, lab.state(event.old), lab.state(new)).inc()

    def _stream_ended(self, event: StreamEnded) -> None:
        """Record a stream that ended: outcome, latency, duration, tokens, cost."""
        record, lab = event.record, self.labels
        provider = lab.provider(record.provider)
        model = lab.model(provider, record.model)
        key = (lab.task(record.task), provider, model, lab.outcome(record.outcome))
        series = self._series.get(key)
        if series is None:  # label values are bounded, so is this cache
            series = self._series[key] = Series(self._m, *key)
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
            cost = price.cost(
                max(usage.input_tokens, 0),
                max(usage.output_tokens, 0),
                max(usage.cached_input_tokens or 0, 0),
                max(usage.cache_write_input_tokens or 0, 0),
            )
            if cost > 0:
                self._cost.labels(provider, model).inc(cost)


def exposition(
    registry: CollectorRegistry | None = None, *, multiprocess_dir: str | None = None
) -> tuple[bytes, str]:
    """The Prometheus text exposition of ``registry`` (default: the global one), as
    ``(body, content_type)`` for an HTTP handler such as the gateway's ``/metrics``.

    ``multiprocess_dir``: the processes of a group (``llm-router serve --workers N``)
    write their samples there (prometheus-client's multiprocess mode,
    ``PROMETHEUS_MULTIPROC_DIR``); the exposition is then of every process's
    samples, summed (gauges as their ``multiprocess_mode`` says), not ``registry``'s.
    """
    if multiprocess_dir is not None:
        merged = CollectorRegistry()
        _collect_dir(merged, path=multiprocess_dir)
        return generate_latest(merged), CONTENT_TYPE_LATEST
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
