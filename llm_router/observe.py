"""Hooks through which the layers report what happens (SPEC §5).

Layers never import Prometheus or structlog: they call an :class:`Observer`. The
metrics and log observers in :mod:`llm_router.obs` implement it, and
:class:`MultiObserver` fans out to several. Every hook is called at a moment that
happens once per stream (start, end, retry, fallback, breaker transition), never per
chunk. Hooks must not raise and must not block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from llm_router.types import Usage

Outcome: TypeAlias = Literal["success", "error", "interrupted", "cancelled"]
"""How a stream ended, as seen by the caller."""

OUTCOMES: tuple[Outcome, ...] = ("success", "error", "interrupted", "cancelled")

BreakerState: TypeAlias = Literal["closed", "half_open", "open"]
"""Circuit breaker states, as exported (0, 1, 2 in ``circuit_state``)."""


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """Everything recorded once when a routed stream ends."""

    request_id: str
    task: str
    route: str
    provider: str
    model: str
    outcome: Outcome
    ttft_s: float | None
    duration_s: float
    chunks: int
    usage: Usage | None
    fallbacks: int
    error: str | None = None
    """The error class name when the outcome is not success."""
    error_message: str | None = None


class Observer(Protocol):
    """Receives the events of routed streams. All methods are optional no-ops in
    :class:`NullObserver`; implement the ones you need by subclassing it."""

    def task_detected(self, request_id: str, task: str, signals: Sequence[str]) -> None:
        """The task of a request was decided (detected or explicit)."""

    def route_selected(
        self, request_id: str, task: str, route: str, candidates: Sequence[str]
    ) -> None:
        """A route was chosen; ``candidates`` are deployment names in order."""

    def stream_started(self, request_id: str, provider: str) -> None:
        """A candidate's stream is being opened (in-flight gauge +1)."""

    def stream_stopped(self, request_id: str, provider: str) -> None:
        """A candidate's stream was closed, whatever the reason (in-flight gauge -1)."""

    def retry(
        self, request_id: str, provider: str, reason: str, attempt: int, wait_s: float
    ) -> None:
        """The retry layer will try ``provider`` again after ``wait_s`` seconds."""

    def fallback(
        self, request_id: str, task: str, from_provider: str, to_provider: str, reason: str
    ) -> None:
        """Routing abandoned ``from_provider`` (before commit) for ``to_provider``."""

    def circuit_state_change(
        self, provider: str, old: BreakerState, new: BreakerState, *, source: str = "local"
    ) -> None:
        """A deployment's breaker changed state (``source`` is ``local`` or ``shared``)."""

    def stream_finished(self, record: StreamRecord) -> None:
        """A routed stream ended (success, error, interrupted or cancelled)."""


class NullObserver:
    """An observer that ignores everything; subclass it and override what you need."""

    def task_detected(self, request_id: str, task: str, signals: Sequence[str]) -> None:
        """Ignore."""

    def route_selected(
        self, request_id: str, task: str, route: str, candidates: Sequence[str]
    ) -> None:
        """Ignore."""

    def stream_started(self, request_id: str, provider: str) -> None:
        """Ignore."""

    def stream_stopped(self, request_id: str, provider: str) -> None:
        """Ignore."""

    def retry(
        self, request_id: str, provider: str, reason: str, attempt: int, wait_s: float
    ) -> None:
        """Ignore."""

    def fallback(
        self, request_id: str, task: str, from_provider: str, to_provider: str, reason: str
    ) -> None:
        """Ignore."""

    def circuit_state_change(
        self, provider: str, old: BreakerState, new: BreakerState, *, source: str = "local"
    ) -> None:
        """Ignore."""

    def stream_finished(self, record: StreamRecord) -> None:
        """Ignore."""


class MultiObserver(NullObserver):
    """Forwards every event to each of ``observers`` in order."""

    def __init__(self, observers: Sequence[Observer]) -> None:
        self.observers = tuple(observers)

    def task_detected(self, request_id: str, task: str, signals: Sequence[str]) -> None:
        """Forward."""
        for o in self.observers:
            o.task_detected(request_id, task, signals)

    def route_selected(
        self, request_id: str, task: str, route: str, candidates: Sequence[str]
    ) -> None:
        """Forward."""
        for o in self.observers:
            o.route_selected(request_id, task, route, candidates)

    def stream_started(self, request_id: str, provider: str) -> None:
        """Forward."""
        for o in self.observers:
            o.stream_started(request_id, provider)

    def stream_stopped(self, request_id: str, provider: str) -> None:
        """Forward."""
        for o in self.observers:
            o.stream_stopped(request_id, provider)

    def retry(
        self, request_id: str, provider: str, reason: str, attempt: int, wait_s: float
    ) -> None:
        """Forward."""
        for o in self.observers:
            o.retry(request_id, provider, reason, attempt, wait_s)

    def fallback(
        self, request_id: str, task: str, from_provider: str, to_provider: str, reason: str
    ) -> None:
        """Forward."""
        for o in self.observers:
            o.fallback(request_id, task, from_provider, to_provider, reason)

    def circuit_state_change(
        self, provider: str, old: BreakerState, new: BreakerState, *, source: str = "local"
    ) -> None:
        """Forward."""
        for o in self.observers:
            o.circuit_state_change(provider, old, new, source=source)

    def stream_finished(self, record: StreamRecord) -> None:
        """Forward."""
        for o in self.observers:
            o.stream_finished(record)
