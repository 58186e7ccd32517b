"""``Router.explain`` and ``Router.status``: what the router would do, and its health.

Both read state only (breakers' ``would_admit``, ``state``, ``retry_at``; in-flight
counts); they call no provider. Their output holds names from the policy, breaker
states and numbers — never API keys or prompt text — so it is safe to print, log
or serve (``llm-router explain``, ``GET /v1/router/status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.layers._routes import Candidate, Resolution, Route
from llm_router.observe import BreakerState


@dataclass(frozen=True, slots=True)
class CandidateExplanation:
    """One candidate of an explained route.

    ``would_be`` is ``"chosen"``, ``"fallback #n"`` or ``"skipped: circuit open (retry
    in N s)"``; ``breaker`` is ``None`` when the deployment has no breaker.
    """

    deployment: str
    model: str | None
    context_window: int | None
    breaker: BreakerState | None
    retry_in_s: float | None
    would_be: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "deployment": self.deployment,
            "model": self.model,
            "context_window": self.context_window,
            "breaker": self.breaker,
            "retry_in_s": self.retry_in_s,
            "would_be": self.would_be,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """The routing decision for a request: task, detector score and signals, the
    route, and each candidate's breaker state and role."""

    task: str
    score: float | None
    signals: tuple[str, ...]
    route: str
    candidates: tuple[CandidateExplanation, ...]

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
        }


def _retry_in(cand: Candidate, now: float) -> float | None:
    retry_at = cand.breaker.retry_at if cand.breaker is not None else None
    return None if retry_at is None else round(max(0.0, retry_at - now), 3)


def explain(resolution: Resolution, now: float) -> Explanation:
    """Explain ``resolution`` at clock time ``now``."""
    views: list[CandidateExplanation] = []
    fallbacks = 0
    chosen = False
    for cand in resolution.route.candidates:
        retry_in = _retry_in(cand, now)
        if cand.breaker is not None and not cand.breaker.would_admit():
            would_be = f"skipped: circuit open (retry in {retry_in or 0.0:g} s)"
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
            )
        )
    detection = resolution.detection
    return Explanation(
        task=resolution.task,
        score=detection.score if detection is not None else None,
        signals=tuple(detection.signals) if detection is not None else (),
        route=resolution.route.name,
        candidates=tuple(views),
    )


def status(singles: Mapping[str, Route], inflight: Mapping[str, int], now: float) -> dict[str, Any]:
    """``{"deployments": {name: {"breaker", "retry_in_s", "in_flight"}}}`` (JSON-able)."""
    deployments: dict[str, Any] = {}
    for name, route in sorted(singles.items()):
        cand = route.candidates[0]
        deployments[name] = {
            "breaker": cand.breaker.state if cand.breaker is not None else None,
            "retry_in_s": _retry_in(cand, now),
            "in_flight": inflight.get(name, 0),
        }
    return {"deployments": deployments}
