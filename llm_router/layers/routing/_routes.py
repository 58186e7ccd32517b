"""Routes, candidates and how a request's ``model`` picks a route (docs/DESIGN.md §4.3).

Re-exported by :mod:`llm_router.layers.routing`; import them from there.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from llm_router.capabilities import Capabilities
from llm_router.config import RescueConfig
from llm_router.errors import (
    BadRequest,
    ConfigurationError,
    Unsupported,
)
from llm_router.observe import BreakerState
from llm_router.types import TASK_NAMES, ChatRequest, Provider, TaskName

AUTO = "auto"
"""The ``model`` value (like ``None``) that asks for task detection."""

DEFAULT_ROUTE = "default"
"""The route that catches every task without a route of its own."""


class BreakerView(Protocol):
    """What the router reads from a deployment's breaker (``CircuitBreaker`` has it)."""

    @property
    def state(self) -> BreakerState:
        """``closed``, ``half_open`` or ``open``."""
        ...

    @property
    def retry_at(self) -> float | None:
        """Clock time at which an open breaker admits a trial."""
        ...

    def would_admit(self) -> bool:
        """Whether a stream started now would be let through (no side effect)."""
        ...


class BulkheadView(Protocol):
    """What the router reads from a deployment's bulkhead (``Bulkhead`` has it)."""

    @property
    def max_concurrency(self) -> int:
        """Most streams at once."""
        ...

    @property
    def max_waiting(self) -> int:
        """Most streams queued for a slot."""
        ...

    @property
    def in_use(self) -> int:
        """Slots held by open streams."""
        ...

    @property
    def waiting(self) -> int:
        """Streams queued for a slot."""
        ...


class DetectionLike(Protocol):
    """What the router reads from a task detection (``llm_router.tasks.Detection``)."""

    @property
    def task(self) -> str:
        """The detected task name."""
        ...

    @property
    def score(self) -> float:
        """How confident the detector is."""
        ...

    @property
    def signals(self) -> Sequence[str]:
        """Names of the signals that fired (never prompt text)."""
        ...


Detector = Callable[[ChatRequest], DetectionLike]
"""A task detector: ``llm_router.tasks.detect_task`` or a ``TaskDetector``."""


class UnknownModel(BadRequest):
    """``request.model`` names no route, task or deployment (404 at the gateway)."""

    reason = "unknown_model"

    def __init__(self, model: str, known: Sequence[str] = ()) -> None:
        # A client chose ``model``: quote a bounded piece of it, and suggest a few
        # close names rather than listing every route and provider.
        shown = model if len(model) <= 64 else model[:63] + "…"
        close = difflib.get_close_matches(shown, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        super().__init__(
            f"unknown model {shown!r}: not a route, task or provider{hint}",
            provider="router",
            status=404,
            model=shown,
        )


_UNDECLARED = Capabilities()

Screen = Callable[[ChatRequest], Unsupported | None]
"""A provider's check of a request before any call (``unsupported`` of the HTTP
providers): the option it cannot honour, or ``None``."""


@dataclass(frozen=True, slots=True, eq=False)
class Candidate:
    """One deployment a route may send a request to.

    ``provider`` is the stacked provider (breaker → retry → concrete provider);
    ``deployment`` its label-safe name (one breaker per deployment); ``model``
    overrides the provider's own model; ``breaker`` is the deployment's breaker, read
    to skip an open circuit without calling anything; ``bulkhead`` its concurrency
    slots (shared by the provider's deployments), read by ``status()`` and ``explain()``.

    ``capabilities`` (docs/DESIGN.md §4.6) is what the deployment can serve: the router
    skips it, before any call, for a request it cannot serve. ``context_window`` and
    ``prefill`` are the capabilities of those names, kept as plain fields: given
    beside ``capabilities`` they override its values (a ``context_window`` that is not
    ``None``, a ``prefill`` that is true), and they always read the same as
    ``capabilities`` after construction. The default declares nothing (no window, no
    limit): every request is let through. ``screen`` is the provider's own check
    of the request's options (see :data:`Screen`).
    """

    provider: Provider
    deployment: str
    model: str | None = None
    context_window: int | None = None
    weight: float = 1.0
    breaker: BreakerView | None = None
    bulkhead: BulkheadView | None = None
    prefill: bool = False
    """The deployment accepts a final assistant message to continue (stream rescue)."""
    capabilities: Capabilities = _UNDECLARED
    screen: Screen | None = None

    def __post_init__(self) -> None:
        if not self.deployment:
            raise ConfigurationError("candidate deployment name must not be empty")
        if self.weight <= 0:
            raise ConfigurationError(f"{self.deployment}: weight must be > 0")
        if self.context_window is not None and self.context_window <= 0:
            raise ConfigurationError(f"{self.deployment}: context_window must be > 0")
        caps = self.capabilities
        if self.context_window is not None:
            caps = caps.replace(context_window=self.context_window)
        if self.prefill:
            caps = caps.replace(prefill=True)
        object.__setattr__(self, "capabilities", caps)
        object.__setattr__(self, "context_window", caps.context_window)
        object.__setattr__(self, "prefill", caps.prefill)


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """A named, ordered list of candidates; the first that commits answers.

    The name is a task name, ``default``, or any alias clients send as ``model``.
    ``failover_on_content_filter``: a content-policy refusal moves on to the next
    candidate instead of reaching the caller.
    """

    name: str
    candidates: tuple[Candidate, ...]
    failover_on_content_filter: bool = False
    rescue: RescueConfig | None = None
    """How a stream of this route that breaks after commit is rescued (``None``: the
    router's default)."""

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ConfigurationError(f"route {self.name!r} has no candidates")
        object.__setattr__(self, "candidates", tuple(self.candidates))

    @property
    def deployments(self) -> tuple[str, ...]:
        """The candidates' deployment names, in order."""
        return tuple(c.deployment for c in self.candidates)


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a request goes: its task label (a closed set), the route, and the
    detection when the detector ran (``None`` when ``model`` named a task, a route or
    a deployment: then the label is not detected, and ``signals`` says where it came
    from — ``named:task``, ``explicit`` (the request's task hint) or
    ``named:default`` (``chat``))."""

    task: TaskName
    route: Route
    detection: DetectionLike | None
    signals: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """The detector's signals, or how the label was decided without it."""
        detection = self.detection
        return tuple(detection.signals) if detection is not None else self.signals


def label(task: str) -> TaskName:
    """``task`` if it is one of ``TASK_NAMES``, else ``chat``: metric labels stay bounded."""
    for name in TASK_NAMES:
        if name == task:
            return name
    return "chat"


class Resolver:
    """Maps ``request.model`` to a :class:`Resolution` (the order of docs/DESIGN.md §4.3)."""

    def __init__(
        self,
        routes: Mapping[str, Route],
        singles: Mapping[str, Route],
        detector: Callable[[], Detector],
    ) -> None:
        if DEFAULT_ROUTE not in routes:
            raise ConfigurationError(f"routes must include {DEFAULT_ROUTE!r}")
        self.routes = routes
        self.singles = singles
        self._detector = detector

    def resolve(self, request: ChatRequest) -> Resolution:
        """Route name → that route; ``None``/``auto`` → the detected task's route or
        ``default``; a task name → its route or ``default``; a deployment or provider
        name → that one alone; anything else → :class:`UnknownModel`. The detector runs
        only for ``None``/``auto``, where the route depends on it (see :func:`named`)."""
        model = request.model
        if model is None or model == AUTO:
            detection = self._detector()(request)
            task = label(detection.task)
            return Resolution(task, self.routes.get(task) or self.routes[DEFAULT_ROUTE], detection)
        if model in TASK_NAMES:
            task = label(model)
            return Resolution(
                task, self.routes.get(task) or self.routes[DEFAULT_ROUTE], None, _NAMED_TASK
            )
        named_route = self.routes.get(model) or self.singles.get(model)
        if named_route is None:
            raise UnknownModel(model, (*self.routes, *self.singles))
        return named(request, named_route)


_NAMED_TASK = ("named:task",)
_EXPLICIT = ("explicit",)
_NAMED_DEFAULT = ("named:default",)


def named(request: ChatRequest, route: Route) -> Resolution:
    """The resolution of a request whose ``model`` named ``route`` (a route or a
    deployment): the routing is decided, so the task is not detected. Its label is
    the request's explicit task hint (``task``, or ``metadata["task"]``), else
    ``chat``."""
    for hint in (request.task, request.metadata.get("task")):
        if isinstance(hint, str) and hint in TASK_NAMES:
            return Resolution(label(hint), route, None, _EXPLICIT)
    return Resolution("chat", route, None, _NAMED_DEFAULT)
