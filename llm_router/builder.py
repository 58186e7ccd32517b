"""Assembling the default stack from code:
Router → [Bulkhead →] CircuitBreaker → Retry → provider.

The order of the layers is written here, once (SPEC §1). The bulkhead (SPEC §4.4,
only where a provider has a concurrency limit) is outermost so that a stream waiting
for a slot holds neither the breaker's half-open trial nor a retry attempt; see
:mod:`llm_router.layers.bulkhead`. The policy loader builds its routers with these
functions too.

Example — two providers, code requests to Claude first, everything else to GPT::

    from llm_router import ChatRequest, complete
    from llm_router.builder import CandidateSpec, build_router
    from llm_router.providers import AnthropicProvider, OpenAIProvider

    gpt = OpenAIProvider(base_url="https://api.openai.com/v1", model="gpt-4o-mini", name="gpt")
    claude = AnthropicProvider(
        base_url="https://api.anthropic.com", model="claude-sonnet-4-5", name="claude"
    )
    router = build_router({"code": [claude, gpt], "default": [gpt, CandidateSpec(claude)]})
    answer = await complete(router, ChatRequest(messages=[{"role": "user", "content": "hi"}]))
    await router.aclose()
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from llm_router.config import BreakerConfig, RetryConfig
from llm_router.errors import ConfigurationError
from llm_router.layers._walk import layer_views
from llm_router.layers.breaker import CircuitBreaker, SharedBreakerState
from llm_router.layers.bulkhead import Bulkhead, Slots
from llm_router.layers.retry import Retry
from llm_router.layers.router import Candidate, Detector, Route, Router
from llm_router.observe import NullObserver, Observer
from llm_router.types import Clock, Provider, Sleep

_RETRY = RetryConfig()
_BREAKER = BreakerConfig()
_NULL = NullObserver()


@dataclass(frozen=True, slots=True, eq=False)
class CandidateSpec:
    """A route entry for :func:`build_router`: a bare (unstacked) provider, with an
    optional model override, context window (tokens), weight and deployment name
    (default: ``provider.name``, or ``"<provider.name>/<model>"`` with an override)."""

    provider: Provider
    model: str | None = None
    context_window: int | None = None
    weight: float = 1.0
    deployment: str | None = None

    @property
    def deployment_name(self) -> str:
        """The deployment this entry names (one breaker per deployment)."""
        if self.deployment:
            return self.deployment
        base = self.provider.name
        return base if self.model is None else f"{base}/{self.model}"


def stack(
    provider: Provider,
    *,
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    deployment: str | None = None,
    shared: SharedBreakerState | None = None,
    slots: Slots | None = None,
    observer: Observer = _NULL,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Provider:
    """Wrap ``provider`` as ``CircuitBreaker(Retry(provider))``, inside
    ``Bulkhead(…, slots=slots)`` when ``slots`` is given.

    The breaker is outside the retry layer, so it records one outcome per stream
    however many attempts the retry layer made; the bulkhead is outside both, so a
    stream takes one slot, before the breaker's trial permit and any I/O.
    ``retry=None`` or ``breaker=None`` leaves that layer out. ``deployment`` names the
    breaker (default ``provider.name``). Give every deployment of one provider the
    same ``slots``: the limit is the provider's.
    """
    stacked: Provider = provider
    if retry is not None:
        stacked = Retry(stacked, retry, observer=observer, sleep=sleep, clock=clock, rng=rng)
    if breaker is not None:
        stacked = CircuitBreaker(
            stacked,
            breaker,
            deployment=deployment,
            shared=shared,
            observer=observer,
            clock=clock,
        )
    if slots is not None:
        stacked = Bulkhead(stacked, slots=slots, clock=clock)
    return stacked


def candidate(
    provider: Provider,
    *,
    model: str | None = None,
    context_window: int | None = None,
    weight: float = 1.0,
    deployment: str | None = None,
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    shared: SharedBreakerState | None = None,
    slots: Slots | None = None,
    observer: Observer = _NULL,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Candidate:
    """A route :class:`Candidate` for one deployment of a bare ``provider``: stacked
    with :func:`stack`, its breaker and bulkhead attached for the router to read.
    ``deployment``
    defaults as in :attr:`CandidateSpec.deployment_name`. Build one per deployment
    and reuse it (or its ``provider`` and ``breaker``) in every route that names it."""
    dep = CandidateSpec(provider, model, deployment=deployment).deployment_name
    layer = stack(
        provider,
        retry=retry,
        breaker=breaker,
        deployment=dep,
        shared=shared,
        slots=slots,
        observer=observer,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )
    view, bulkhead = layer_views(layer)
    return Candidate(layer, dep, model, context_window, weight, view, bulkhead)


def build_router(
    routes: Mapping[str, Sequence[CandidateSpec | Provider]],
    *,
    default: str | None = None,
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    failover_on_content_filter: Collection[str] = (),
    detector: Detector | None = None,
    observer: Observer = _NULL,
    deadline_s: float = 60.0,
    shared: SharedBreakerState | None = None,
    bulkheads: Mapping[str, int | Slots] | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Router:
    """A :class:`Router` over ``routes`` (route name → candidates in order), each
    deployment stacked once with :func:`stack` — a deployment in several routes
    shares one breaker.

    ``default`` names the route that also serves as ``default`` when ``routes`` has
    no route of that name. ``failover_on_content_filter`` lists the routes that fail
    over on a content-policy refusal. ``bulkheads`` limits concurrent streams per
    provider name: ``{"vllm": 8}`` (a queue of 8 too), or a :class:`Slots` for other
    queue settings (``Slots(8, max_waiting=0, wait_timeout=2.0)``); the provider's
    deployments share it.
    """
    pools = {
        name: value if isinstance(value, Slots) else Slots(value)
        for name, value in (bulkheads or {}).items()
    }
    names = {_raw(e).name for entries in routes.values() for e in entries}
    unknown = sorted(set(pools) - names)
    if unknown:
        raise ConfigurationError(f"bulkheads name unknown providers: {', '.join(unknown)}")
    stacked: dict[str, tuple[Provider, Candidate]] = {}
    built: dict[str, Route] = {}
    for name, entries in routes.items():
        candidates: list[Candidate] = []
        for entry in entries:
            spec = entry if isinstance(entry, CandidateSpec) else CandidateSpec(entry)
            dep = spec.deployment_name
            if dep not in stacked:
                stacked[dep] = (
                    spec.provider,
                    candidate(
                        spec.provider,
                        model=spec.model,
                        deployment=dep,
                        retry=retry,
                        breaker=breaker,
                        shared=shared,
                        slots=pools.get(spec.provider.name),
                        observer=observer,
                        clock=clock,
                        sleep=sleep,
                        rng=rng,
                    ),
                )
            raw, base = stacked[dep]
            if raw is not spec.provider or base.model != spec.model:
                raise ConfigurationError(
                    f"deployment {dep!r} names two different providers or models"
                )
            candidates.append(
                Candidate(
                    base.provider,
                    dep,
                    model=spec.model,
                    context_window=spec.context_window,
                    weight=spec.weight,
                    breaker=base.breaker,
                    bulkhead=base.bulkhead,
                )
            )
        built[name] = Route(name, tuple(candidates), name in failover_on_content_filter)
    if default is not None and "default" not in built:
        if default not in built:
            raise ConfigurationError(f"default route {default!r} is not among the routes")
        source = built[default]
        built["default"] = Route("default", source.candidates, source.failover_on_content_filter)
    return Router(
        built, detector=detector, observer=observer, clock=clock, deadline_s=deadline_s, rng=rng
    )


def _raw(entry: CandidateSpec | Provider) -> Provider:
    return entry.provider if isinstance(entry, CandidateSpec) else entry


__all__ = ["CandidateSpec", "build_router", "candidate", "stack"]
