"""``resilient(provider)``: one provider with retry, a breaker and stream rescue, no routing."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.layers.bulkhead import Slots
from llm_router.layers.routing import Detector, Router
from llm_router.observe import Hook
from llm_router.types import Clock, Provider, Sleep

_RETRY = RetryConfig()
_BREAKER = BreakerConfig()
_RESCUE = RescueConfig()


def resilient(
    provider: Provider,
    *,
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    rescue: RescueConfig = _RESCUE,
    max_concurrency: int | Slots | None = None,
    hook: Hook | None = None,
    deadline_s: float = 60.0,
    detector: Detector | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Router:
    """``provider`` alone, made resilient: ``Router → [Bulkhead →] CircuitBreaker →
    Retry → provider`` with one route, for code that needs no routing.

    Retries before the first token (``retry``), a circuit breaker (``breaker``), stream
    rescue after it (``rescue``: a stream that breaks is replayed on the same provider
    and verified, so the caller still gets one coherent answer; ``RescueConfig.off()``
    turns it off), at most ``max_concurrency`` streams at once, one request-wide
    ``deadline_s``, and one event per stream for ``hook`` (default: the hook
    :func:`~llm_router.observe.logs.configure_logging` installs). ``None`` for
    ``retry`` or ``breaker`` leaves that layer out. Requests keep ``model=None`` (the
    provider's model) or name the provider. Use it like any provider, and close it::

        gpt = OpenAIClientProvider(AsyncOpenAI(), model="gpt-4o-mini")
        request = ChatRequest(messages=[{"role": "user", "content": "hi"}])
        async with llm_router.resilient(gpt) as router:
            answer = await complete(router, request)
    """
    from llm_router.builder import build_router  # the package face, built on this module's layer

    bulkheads = None if max_concurrency is None else {provider.name: max_concurrency}
    return build_router(
        {"default": [provider]},
        retry=retry,
        breaker=breaker,
        rescue=rescue,
        bulkheads=bulkheads,
        hook=hook,
        deadline_s=deadline_s,
        detector=detector,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )
