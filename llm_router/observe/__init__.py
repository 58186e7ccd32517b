"""Events and one hook: how the layers report what happens (docs/DESIGN.md §5).

Layers never import Prometheus or structlog. Each takes a ``hook`` — any callable that
receives an :data:`Event` (a frozen value below) — and calls it at moments that happen
once per stream (start, end, retry, fallback, breaker transition), never per chunk;
without a hook no event is even built. :class:`~llm_router.observe.metrics.Metrics`
(Prometheus) and :class:`~llm_router.observe.logs.Logs` (structlog) are hooks, and
:func:`fan_out` combines several. A new event is one class here plus the hooks that
want it. Hooks must not raise and must not block.

Example — print every fallback::

    def on_event(event: Event) -> None:
        if isinstance(event, FellBack):
            print(f"{event.from_provider} → {event.to_provider}: {event.reason}")

    router = build_router(routes, hook=fan_out(Metrics(registry), on_event))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Literal, TypeAlias

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
    upstream_model: str | None = None
    """The model name the upstream reported (``model`` is the deployment's)."""
    candidates: tuple[str, ...] = ()
    """The route's deployments in the order they were to be tried (as in
    :class:`RouteSelected`)."""


@dataclass(frozen=True, slots=True)
class TaskDetected:
    """The task of a request was decided (detected or explicit)."""

    request_id: str
    task: str
    signals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RouteSelected:
    """A route was chosen; ``candidates`` are deployment names in order."""

    request_id: str
    task: str
    route: str
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """A candidate deployment's stream is being opened (in-flight gauge +1)."""

    request_id: str
    provider: str


@dataclass(frozen=True, slots=True)
class StreamStopped:
    """A candidate deployment's stream was closed, whatever the reason (in-flight -1)."""

    request_id: str
    provider: str


@dataclass(frozen=True, slots=True)
class Retried:
    """The retry layer will try ``provider`` again (attempt ``attempt + 1``) after
    ``wait_s`` seconds."""

    request_id: str
    provider: str
    reason: str
    attempt: int
    wait_s: float


@dataclass(frozen=True, slots=True)
class FellBack:
    """Routing abandoned ``from_provider`` (before commit) for ``to_provider``;
    ``detail`` says why in words for a skipped candidate (the capability it lacks)."""

    request_id: str
    task: str
    from_provider: str
    to_provider: str
    reason: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class BreakerChanged:
    """A deployment's breaker changed state (``source``: ``local`` or ``shared``)."""

    provider: str
    old: BreakerState
    new: BreakerState
    source: str = "local"


RescueOutcome: TypeAlias = Literal["rescued", "diverged", "rejected", "failed"]
"""How one rescue attempt ended: it delivered the rest, its replay differed from what
was delivered, its prefill was refused, or it failed otherwise."""

RESCUE_OUTCOMES: tuple[RescueOutcome, ...] = ("rescued", "diverged", "rejected", "failed")


@dataclass(frozen=True, slots=True)
class Rescued:
    """One attempt to rescue a stream that broke after commit (docs/DESIGN.md §4.5):
    ``from_provider`` broke, ``provider`` was tried with ``strategy``. ``extra_chars``
    counts what the rescue re-generated only to verify or continue the seam (the
    replayed prefix), the cost of the rescue beside the answer itself."""

    request_id: str
    from_provider: str
    provider: str
    strategy: str
    outcome: RescueOutcome
    delivered_chars: int
    extra_chars: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StreamEnded:
    """A routed stream ended (success, error, interrupted or cancelled)."""

    record: StreamRecord


Event: TypeAlias = (
    TaskDetected
    | RouteSelected
    | StreamStarted
    | StreamStopped
    | Retried
    | FellBack
    | BreakerChanged
    | Rescued
    | StreamEnded
)
"""Everything a hook may receive."""

Hook: TypeAlias = Callable[[Event], None]
"""Receives each :data:`Event`; must not raise and must not block."""


def fan_out(*hooks: Hook) -> Hook:
    """One hook that passes each event to every one of ``hooks``, in order."""
    if len(hooks) == 1:
        return hooks[0]
    calls = tuple(_bound(h) for h in hooks)

    def hook(event: Event) -> None:
        for call in calls:
            call(event)

    return hook


_DEFAULT: list[Hook | None] = [None]


def default_hook() -> Hook | None:
    """The hook a router gets when it is built without one (``hook=None``): ``None``
    until :func:`set_default_hook` — or :func:`~llm_router.observe.logs.configure_logging`,
    which installs :class:`~llm_router.observe.logs.Logs` — sets one."""
    return _DEFAULT[0]


def set_default_hook(hook: Hook | None) -> Hook | None:
    """Make ``hook`` the default of routers built from now on (``None``: no hook);
    returns the previous default. Routers already built keep theirs."""
    previous, _DEFAULT[0] = _DEFAULT[0], hook
    return previous


def _bound(hook: Hook) -> Hook:
    """``hook``, or for a callable object its bound ``__call__`` (quicker to call: no
    lookup on every event)."""
    if isinstance(hook, FunctionType | MethodType | BuiltinFunctionType):
        return hook
    return MethodType(type(hook).__call__, hook)


__all__ = [
    "OUTCOMES",
    "RESCUE_OUTCOMES",
    "BreakerChanged",
    "BreakerState",
    "Event",
    "FellBack",
    "Hook",
    "Outcome",
    "RescueOutcome",
    "Rescued",
    "Retried",
    "RouteSelected",
    "StreamEnded",
    "StreamRecord",
    "StreamStarted",
    "StreamStopped",
    "TaskDetected",
    "default_hook",
    "fan_out",
    "set_default_hook",
]
