"""The metric families of docs/DESIGN.md §5, registered once per Prometheus registry.

:class:`~llm_router.observe.metrics.Metrics` records into them; this module only names
and documents them (help text, labels, buckets) so ``promtool check metrics`` passes,
and keeps the labelled children one kind of stream end updates (:class:`Series`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from llm_router.errors import ConfigurationError

PREFIX = "llm_router_"

TTFT_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
TOKENS_PER_SECOND_BUCKETS = (1.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 500.0)


class Families:
    """The metric families of one registry (shared by every Metrics on it)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
            return Counter(PREFIX + name, doc, labels, registry=registry)

        def histogram(
            name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]
        ) -> Histogram:
            return Histogram(PREFIX + name, doc, labels, registry=registry, buckets=buckets)

        self.requests = counter(
            "requests_total",
            "Routed streams that ended, by outcome.",
            ("task", "provider", "model", "outcome"),
        )
        self.ttft = histogram(
            "time_to_first_token_seconds",
            "Time from the request to the first content chunk of a routed stream.",
            ("provider", "model"),
            TTFT_BUCKETS,
        )
        self.duration = histogram(
            "stream_duration_seconds",
            "Duration of routed streams, from the request to their end.",
            ("provider", "model", "outcome"),
            DURATION_BUCKETS,
        )
        self.tokens = counter(
            "tokens_total",
            "Tokens reported by upstreams, by kind (input or output).",
            ("provider", "model", "kind"),
        )
        self.tokens_per_second = histogram(
            "output_tokens_per_second",
            "Output tokens per second of generation (after the first token).",
            ("provider", "model"),
            TOKENS_PER_SECOND_BUCKETS,
        )
        self.fallbacks = counter(
            "fallbacks_total",
            "Failovers from one deployment to the next before the first token.",
            ("task", "from_provider", "to_provider", "reason"),
        )
        self.rescues = counter(
            "rescues_total",
            "Attempts to rescue a stream that broke after its first token, by outcome "
            "(rescued, diverged, rejected, failed).",
            ("provider", "strategy", "outcome"),
        )
        self.retries = counter(
            "retries_total",
            "Retries of a deployment before the first token.",
            ("provider", "reason"),
        )
        self.circuit_state = Gauge(  # several workers: the worst state among the live
            PREFIX + "circuit_state",
            "Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open.",
            ("provider",),
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.transitions = counter(
            "circuit_transitions_total",
            "Circuit breaker state transitions.",
            ("provider", "from_state", "to_state"),
        )
        self.inflight = Gauge(  # several workers: the sum over the live ones
            PREFIX + "inflight_streams",
            "Upstream streams currently open, per deployment.",
            ("provider",),
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.tasks = counter("task_detected_total", "Requests by decided task.", ("task",))
        self._registry = registry
        self._cost: Counter | None = None
        self._lock = threading.Lock()

    def cost(self) -> Counter:
        """The cost counter, registered on first use (only when prices are known)."""
        with self._lock:
            if self._cost is None:
                self._cost = Counter(
                    PREFIX + "cost_usd_total",
                    "Estimated cost in US dollars, from token usage and policy prices.",
                    ("provider", "model"),
                    registry=self._registry,
                )
            return self._cost


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, Families] = weakref.WeakKeyDictionary()
_BY_REGISTRY_LOCK = threading.Lock()


def families_for(registry: CollectorRegistry) -> Families:
    with _BY_REGISTRY_LOCK:
        families = _BY_REGISTRY.get(registry)
        if families is None:
            try:
                families = Families(registry)
            except ValueError as exc:  # names taken by collectors that are not ours
                raise ConfigurationError(
                    "llm_router metric names are already registered in this registry by "
                    f"another collector ({exc}); pass registry=CollectorRegistry()"
                ) from exc
            _BY_REGISTRY[registry] = families
        return families


class Series:
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
