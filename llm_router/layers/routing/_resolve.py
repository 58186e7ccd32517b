"""How a request's ``model`` picks a route, and its task label (docs/DESIGN.md §4.2,
§4.3): :class:`Resolver`, :class:`Resolution`, :class:`UnknownModel`.

Re-exported by :mod:`llm_router.layers.routing`; import them from there.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
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


class Resolution:
    r"""Where a request goes: its task label (a closed set), the route, and the
    detection when the detector ran (``None`` when ``model`` named a task, a route or
    a deployment: then the label is not detected, and ``signals`` says where it came
    from — ``named:task``, ``explicit`` (the request's task hint) or
    ``named:default`` (``chat``)).

    A resolution may be **deferred** (:meth:`deferred`): the route is known without the
    task (``auto`` on a router whose routes are not named after tasks), so the label is
    detected only when read (:attr:`task`, :attr:`detection`) or :meth:`settle`\ d; the
    router settles it while the upstream prepares its answer, off the path to the first
    token (docs/DESIGN.md §4.2).
    """

    __slots__ = ("_detection", "_pending", "_task", "route", "signals")

    def __init__(
        self,
        task: TaskName,
        route: Route,
        detection: DetectionLike | None,
        signals: tuple[str, ...] = (),
    ) -> None:
        self._task = task
        self.route = route
        self._detection = detection
        self.signals = signals
        self._pending: tuple[ChatRequest, Detector] | None = None

    @classmethod
    def deferred(cls, route: Route, request: ChatRequest, detector: Detector) -> Resolution:
        """``route``, with the task of ``request`` detected by ``detector`` when read."""
        res = cls("chat", route, None)
        res._pending = (request, detector)
        return res

    @property
    def settled(self) -> bool:
        """Whether the task label is known (always, unless deferred and not yet read)."""
        return self._pending is None

    def settle(self) -> None:
        """Detect the task now if it is still pending (idempotent)."""
        pending = self._pending
        if pending is not None:
            request, detector = pending
            detection = detector(request)
            self._task, self._detection, self._pending = label(detection.task), detection, None

    @property
    def task(self) -> TaskName:
        """The task label."""
        if self._pending is not None:
            self.settle()
        return self._task

    @property
    def detection(self) -> DetectionLike | None:
        """The detector's result, if it ran."""
        if self._pending is not None:
            self.settle()
        return self._detection

    @property
    def reasons(self) -> tuple[str, ...]:
        """The detector's signals, or how the label was decided without it."""
        detection = self.detection
        return tuple(detection.signals) if detection is not None else self.signals

    def __repr__(self) -> str:
        task = self._task if self._pending is None else "(pending)"
        return f"Resolution(task={task!r}, route={self.route.name!r}, signals={self.signals!r})"


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
        # No route is named after a task: ``auto`` always takes ``default``, and its
        # label can be detected later, off the path to the first token.
        self._task_free = not any(task in routes for task in TASK_NAMES)

    def resolve(self, request: ChatRequest) -> Resolution:
        """Route name → that route; ``None``/``auto`` → the detected task's route or
        ``default``; a task name → its route or ``default``; a deployment or provider
        name → that one alone; anything else → :class:`UnknownModel`. The detector runs
        only for ``None``/``auto`` (see :func:`named`); when no route is named after a
        task the route does not depend on it, and the resolution is deferred."""
        model = request.model
        if model is None or model == AUTO:
            if self._task_free:
                return Resolution.deferred(self.routes[DEFAULT_ROUTE], request, self._detector())
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
