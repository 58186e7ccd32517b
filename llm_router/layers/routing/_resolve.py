"""How a request's ``model`` picks a route, and its task label (docs/DESIGN.md §4.2,
§4.3): :class:`Resolver`, :class:`Resolution`, :class:`UnknownModel`.

Re-exported by :mod:`llm_router.layers.routing`; import them from there.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from llm_router.errors import BadRequest, ConfigurationError
from llm_router.layers.routing._routes import Route
from llm_router.types import TASK_NAMES, ChatRequest, TaskName

AUTO = "auto"
"""The ``model`` value (like ``None``) that asks for task detection."""

DEFAULT_ROUTE = "default"
"""The route that catches every task without a route of its own."""


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
