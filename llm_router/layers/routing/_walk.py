"""One routed stream's walk over its candidates: order, skips, and its record.

Private helpers of :mod:`llm_router.layers.routing`, kept apart so the router module
reads as the failover loop and the commit point only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from llm_router.capabilities import Needs
from llm_router.errors import (
    Attempt,
    CircuitOpen,
    ContentFiltered,
    ContextWindowExceeded,
    DeadlineExceeded,
    ProviderError,
    Unsupported,
)
from llm_router.layers.routing._resolve import Resolution
from llm_router.layers.routing._routes import BreakerView, BulkheadView, Candidate
from llm_router.observe import FellBack, Hook, Outcome, StreamRecord
from llm_router.types import ChatRequest, StreamChunk


class Run:
    """Bookkeeping of one routed stream: the candidate order (``planned``: as the route
    gave it; ``order``: as the walk goes on, which a non-streaming call's restart
    changes), the candidate being tried (or that answered), and how many fallbacks
    happened."""

    __slots__ = ("current", "fallbacks", "order", "planned", "request_id", "resolution", "start")

    def __init__(
        self, request_id: str, resolution: Resolution, order: tuple[Candidate, ...], start: float
    ) -> None:
        self.request_id = request_id
        self.resolution = resolution
        self.order = self.planned = order
        self.current = order[0]
        self.fallbacks = 0
        self.start = start

    def fails_over(self, exc: ProviderError) -> bool:
        """Whether ``exc`` (before commit) moves on to the next candidate."""
        if isinstance(exc, ContentFiltered):
            return self.resolution.route.failover_on_content_filter
        return exc.fails_over

    def fell_back(
        self, index: int, reason: str, hook: Hook | None, detail: str | None = None
    ) -> None:
        """Candidate ``index`` was abandoned: report the fallback to the next one."""
        if index + 1 < len(self.order):
            self.moved_on(self.order[index], self.order[index + 1], reason, hook, detail)

    def moved_on(
        self,
        old: Candidate,
        new: Candidate,
        reason: str,
        hook: Hook | None,
        detail: str | None = None,
    ) -> None:
        """Count and report a fallback from ``old`` to ``new``."""
        self.fallbacks += 1
        if hook is not None:
            task = self.resolution.task
            hook(FellBack(self.request_id, task, old.deployment, new.deployment, reason, detail))

    def record(
        self,
        outcome: Outcome,
        failure: BaseException | None,
        first: StreamChunk | None,
        last: StreamChunk | None,
        chunks: int,
        ttft: float | None,
        now: float,
    ) -> StreamRecord:
        """The stream's one :class:`StreamRecord`; provider and model are those of the
        candidate that answered (or, on error, the last one tried)."""
        cur = self.current
        return StreamRecord(
            request_id=self.request_id,
            task=self.resolution.task,
            route=self.resolution.route.name,
            provider=cur.deployment,
            model=first.model if first is not None else model_of(cur),
            outcome=outcome,
            ttft_s=ttft,
            duration_s=now - self.start,
            chunks=chunks,
            usage=last.usage if last is not None else None,
            fallbacks=self.fallbacks,
            error=type(failure).__name__ if failure is not None else None,
            error_message=str(failure) if failure is not None else None,
            upstream_model=last.upstream_model if last is not None else None,
            candidates=tuple([c.deployment for c in self.planned]),
        )


def weighted_order(
    candidates: Sequence[Candidate], rng: Callable[[], float]
) -> tuple[Candidate, ...]:
    """``candidates`` with each run of consecutive *weighted* candidates (weight ≠ 1.0,
    e.g. 0.7 and 0.3) shuffled by weight (Efraimidis-Spirakis: the candidate with the
    largest ``rng() ** (1 / weight)`` goes first). Unweighted candidates keep their place."""
    out: list[Candidate] = []
    run: list[Candidate] = []
    for cand in (*candidates, None):
        if cand is not None and cand.weight != 1.0:
            run.append(cand)
            continue
        if run:
            keys = {id(c): rng() ** (1.0 / c.weight) for c in run}
            out.extend(sorted(run, key=lambda c: keys[id(c)], reverse=True))  # stable on ties
            run = []
        if cand is not None:
            out.append(cand)
    return tuple(out)


def skip_reason(
    cand: Candidate,
    window_floor: int | None,
    needs: Needs | None = None,
    request: ChatRequest | None = None,
) -> ProviderError | None:
    """Why ``cand`` is skipped without being called, or ``None``: it cannot serve the
    request (a capability ``needs`` and it lacks, an option its provider's ``screen``
    refuses), its breaker is open, or its window is no larger than one that overflowed."""
    refusal = cannot_serve(cand, needs, request)
    if refusal is not None:
        return refusal
    breaker = cand.breaker
    if breaker is not None and not breaker.would_admit():
        return CircuitOpen("circuit open", provider=cand.deployment, retry_at=breaker.retry_at)
    window = cand.context_window
    if window_floor is not None and window is not None and window <= window_floor:
        return ContextWindowExceeded(
            f"skipped: context window {window} is not larger than {window_floor}",
            provider=cand.deployment,
        )
    return None


def cannot_serve(
    cand: Candidate, needs: Needs | None, request: ChatRequest | None
) -> Unsupported | None:
    """The :class:`Unsupported` error for a candidate that cannot serve a request with
    ``needs`` (its capabilities) or ``request`` (its provider's screen), or ``None``."""
    lack = cand.capabilities.lacks(needs) if needs is not None else None
    if lack is not None:
        return Unsupported(
            lack.message(cand.deployment),
            provider=cand.deployment,
            capability=lack.capability,
            param=lack.param,
        )
    if cand.screen is not None and request is not None:
        return cand.screen(request)
    return None


def skip_detail(skip: ProviderError) -> str | None:
    """What the ``fallback`` log says of a skipped candidate beyond its reason: the
    capability or option it lacks (``None`` for an open breaker or a short window)."""
    return skip.message if isinstance(skip, Unsupported) else None


def deadline_error(cand: Candidate, attempts: list[Attempt]) -> DeadlineExceeded:
    """The error raised when the request-wide deadline ends the failover walk."""
    tried = ", ".join(f"{a.provider}: {type(a.error).__name__}" for a in attempts)
    return DeadlineExceeded(
        f"request deadline passed before any candidate answered ({tried or 'none tried'})",
        provider=cand.deployment,
    )


def is_breaker(provider: object) -> bool:
    """Whether ``provider`` can be read as a :class:`BreakerView` (it is a breaker layer)."""
    return callable(getattr(provider, "would_admit", None)) and hasattr(provider, "retry_at")


def is_bulkhead(provider: object) -> bool:
    """Whether ``provider`` can be read as a :class:`BulkheadView` (a bulkhead layer)."""
    names = ("max_concurrency", "max_waiting", "in_use", "waiting")
    return all(hasattr(provider, name) for name in names)


def stack_of(provider: object) -> list[object]:
    """``provider`` and the layers under it, found by following each layer's ``inner``
    (``Bulkhead → CircuitBreaker → … → the concrete provider``, at most 8 deep)."""
    stack = [provider]
    while len(stack) < 8 and (inner := getattr(stack[-1], "inner", None)) is not None:
        stack.append(inner)
    return stack


def layer_views(provider: object) -> tuple[BreakerView | None, BulkheadView | None]:
    """The breaker and the bulkhead in ``provider``'s stack (:func:`stack_of`); ``None``
    where there is none."""
    breaker: BreakerView | None = None
    bulkhead: BulkheadView | None = None
    for layer in stack_of(provider):
        if breaker is None and is_breaker(layer):
            breaker = cast(BreakerView, layer)
        if bulkhead is None and is_bulkhead(layer):
            bulkhead = cast(BulkheadView, layer)
    return breaker, bulkhead


def model_of(cand: Candidate) -> str:
    """The model a candidate would use: its override, else its provider's own."""
    if cand.model is not None:
        return cand.model
    layer: object = cand.provider
    for _ in range(8):
        model = getattr(layer, "model", None)
        if isinstance(model, str):
            return model
        layer = getattr(layer, "inner", None)
        if layer is None:
            break
    return ""
