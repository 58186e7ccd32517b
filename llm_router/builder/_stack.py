"""The stack of one deployment, in the order the builder's module doc gives:
[Bulkhead →] CircuitBreaker → Retry → provider."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from llm_router.builder._assembly import Deployment, Layers, RouteEntry
from llm_router.capabilities import Capabilities
from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.breaker import CircuitBreaker, SharedBreakerState
from llm_router.layers.bulkhead import Bulkhead, Slots
from llm_router.layers.retry import Retry
from llm_router.layers.routing import Candidate
from llm_router.observe import Hook
from llm_router.types import Clock, Provider, Sleep

_RETRY = RetryConfig()
_BREAKER = BreakerConfig()


def stack(
    provider: Provider,
    *,
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    deployment: str | None = None,
    shared: SharedBreakerState | None = None,
    slots: Slots | None = None,
    hook: Hook | None = None,
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
    layers = Layers(retry, breaker, slots)
    name = deployment or provider.name
    return deploy(name, provider, None, layers, shared, hook, clock, sleep, rng).stacked


def deploy(
    name: str,
    provider: Provider,
    model: str | None,
    layers: Layers,
    shared: SharedBreakerState | None,
    hook: Hook | None,
    clock: Clock,
    sleep: Sleep,
    rng: Callable[[], float],
) -> Deployment:
    """Stack ``provider`` for deployment ``name`` (see the module doc)."""
    stacked: Provider = provider
    if layers.retry is not None:
        stacked = Retry(stacked, layers.retry, hook=hook, sleep=sleep, clock=clock, rng=rng)
    breaker: CircuitBreaker | None = None
    if layers.breaker is not None:
        stacked = breaker = CircuitBreaker(
            stacked,
            layers.breaker,
            deployment=name,
            shared=shared,
            hook=hook,
            clock=clock,
            rng=rng,
        )
    bulkhead: Bulkhead | None = None
    if layers.slots is not None:
        stacked = bulkhead = Bulkhead(stacked, slots=layers.slots, clock=clock)
    return Deployment(name, provider, model, layers, stacked, breaker, bulkhead)


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
    hook: Hook | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    capabilities: Capabilities | None = None,
) -> Candidate:
    """A route :class:`Candidate` for one deployment of a bare ``provider``: stacked
    with :func:`stack`, its breaker and bulkhead attached for the router to read, with
    ``capabilities`` (default: the provider's own, docs/DESIGN.md §4.6).
    ``deployment`` defaults as in :attr:`RouteEntry.deployment_name`. Build one per
    deployment and reuse it (or its ``provider`` and ``breaker``) in every route that
    names it."""
    name = RouteEntry(provider, model, deployment=deployment).deployment_name
    layers = Layers(retry, breaker, slots)
    built = deploy(name, provider, model, layers, shared, hook, clock, sleep, rng)
    return built.candidate(context_window, weight, capabilities=capabilities)
