"""``Router.explain`` and ``Router.status``: what the router would do, and its health.

Both read state only (breakers' ``would_admit``, ``state``, ``retry_at``; bulkheads'
slots; in-flight counts); they call no provider. Their output holds names from the policy, breaker
states and numbers — never API keys or prompt text — so it is safe to print, log
or serve (``llm-router explain``, ``GET /v1/router/status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.capabilities import Needs
from llm_router.config import RescueConfig
from llm_router.layers.routing._resolve import Resolution
from llm_router.layers.routing._routes import BulkheadView, Candidate, Route
from llm_router.layers.routing._walk import cannot_serve
from llm_router.observe import BreakerState
from llm_router.types import ChatRequest


@dataclass(frozen=True, slots=True)
class CandidateExplanation:
    """One candidate of an explained route.

    ``would_be`` is ``"chosen"``, ``"fallback #n"``, ``"skipped: <deployment> cannot
    serve this request: no <capability> (…)"`` (docs/DESIGN.md §4.6), ``"skipped:
    circuit open (retry in N s)"`` or ``"skipped: provider busy (…)"`` (its bulkhead's
    slots and queue are full); ``breaker`` and ``slots`` are ``None`` when the
    deployment has no breaker, no bulkhead; ``capabilities`` is what it declares;
    ``open_period_s`` is the breaker's current open period (adaptive, docs/DESIGN.md
    §4.1; while closed, the first one it would use).
    """

    deployment: str
    model: str | None
    context_window: int | None
    breaker: BreakerState | None
    retry_in_s: float | None
    would_be: str
    slots: dict[str, int] | None = None
    prefill: bool = False
    capabilities: dict[str, int | bool | None] | None = None
    open_period_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "deployment": self.deployment,
            "prefill": self.prefill,
            "model": self.model,
            "context_window": self.context_window,
            "breaker": self.breaker,
            "retry_in_s": self.retry_in_s,
            "open_period_s": self.open_period_s,
            "would_be": self.would_be,
            "slots": None if self.slots is None else dict(self.slots),
            "capabilities": None if self.capabilities is None else dict(self.capabilities),
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """The routing decision for a request: task, detector score and signals (no
    score when the task was not detected: the signals then say why, e.g.
    ``named:route``), the route, and each candidate's breaker state and role."""

    task: str
    score: float | None
    signals: tuple[str, ...]
    route: str
    candidates: tuple[CandidateExplanation, ...]
    rescue: str = "off"
    """How a stream that breaks after its first token is rescued, e.g.
    ``continue, replay (at most 2)`` or ``off``."""

    @property
    def chosen(self) -> str | None:
        """The deployment that would be tried first, if any breaker admits it."""
        for c in self.candidates:
            if c.would_be == "chosen":
                return c.deployment
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "task": self.task,
            "score": self.score,
            "signals": list(self.signals),
            "route": self.route,
            "candidates": [c.to_dict() for c in self.candidates],
            "rescue": self.rescue,
        }


def _retry_in(cand: Candidate, now: float) -> float | None:
    retry_at = cand.breaker.retry_at if cand.breaker is not None else None
    return None if retry_at is None else round(max(0.0, retry_at - now), 3)


def _open_period(cand: Candidate) -> float | None:
    # Read with getattr: a user's breaker view need not have it (BreakerView).
    period = getattr(cand.breaker, "open_period", None)
    return round(period, 3) if isinstance(period, int | float) else None


def slots(view: BulkheadView | None) -> dict[str, int] | None:
    """A bulkhead's ``{"max_concurrency", "in_use", "waiting", "max_waiting"}``."""
    if view is None:
        return None
    return {
        "max_concurrency": view.max_concurrency,
        "in_use": view.in_use,
        "waiting": view.waiting,
        "max_waiting": view.max_waiting,
    }


def _busy(view: BulkheadView | None) -> str | None:
    if view is None or view.in_use < view.max_concurrency or view.waiting < view.max_waiting:
        return None
    return (
        f"skipped: provider busy ({view.in_use}/{view.max_concurrency} slots in use, "
        f"{view.waiting}/{view.max_waiting} waiting)"
    )


def describe_rescue(config: RescueConfig) -> str:
    """``continue, replay (at most 2)``, or ``off``."""
    if not config.enabled:
        return "off"
    return f"{', '.join(config.strategies)} (at most {config.max})"


def explain(
    resolution: Resolution,
    now: float,
    rescue: RescueConfig | None = None,
    request: ChatRequest | None = None,
) -> Explanation:
    """Explain ``resolution`` at clock time ``now``; ``rescue`` is the router's default;
    with ``request``, candidates that cannot serve it are shown skipped."""
    views: list[CandidateExplanation] = []
    fallbacks = 0
    chosen = False
    needs = Needs.of(request) if request is not None else None
    for cand in resolution.route.candidates:
        retry_in = _retry_in(cand, now)
        busy = _busy(cand.bulkhead)
        refusal = cannot_serve(cand, needs, request)
        if refusal is not None:
            would_be = f"skipped: {refusal.message}"
        elif cand.breaker is not None and not cand.breaker.would_admit():
            would_be = f"skipped: circuit open (retry in {retry_in or 0.0:g} s)"
        elif busy is not None:
            would_be = busy
        elif not chosen:
            chosen, would_be = True, "chosen"
        else:
            fallbacks += 1
            would_be = f"fallback #{fallbacks}"
        views.append(
            CandidateExplanation(
                deployment=cand.deployment,
                model=cand.model,
                context_window=cand.context_window,
                breaker=cand.breaker.state if cand.breaker is not None else None,
                retry_in_s=retry_in,
                would_be=would_be,
                slots=slots(cand.bulkhead),
                prefill=cand.prefill,
                capabilities=cand.capabilities.to_dict(),
                open_period_s=_open_period(cand),
            )
        )
    detection = resolution.detection
    return Explanation(
        task=resolution.task,
        score=detection.score if detection is not None else None,
        signals=resolution.reasons,
        route=resolution.route.name,
        candidates=tuple(views),
        rescue=describe_rescue(resolution.route.rescue or rescue or RescueConfig.off()),
    )


def status(singles: Mapping[str, Route], inflight: Mapping[str, int], now: float) -> dict[str, Any]:
    """``{"deployments": {name: {"breaker", "retry_in_s", "open_period_s",
    "in_flight"}}}`` (JSON-able), plus ``"slots"`` (see :func:`slots`) for a deployment
    guarded by a bulkhead."""
    deployments: dict[str, Any] = {}
    for name, route in sorted(singles.items()):
        cand = route.candidates[0]
        entry: dict[str, Any] = {
            "breaker": cand.breaker.state if cand.breaker is not None else None,
            "retry_in_s": _retry_in(cand, now),
            "open_period_s": _open_period(cand),
            "in_flight": inflight.get(name, 0),
        }
        if cand.bulkhead is not None:
            entry["slots"] = slots(cand.bulkhead)
        deployments[name] = entry
    return {"deployments": deployments}
