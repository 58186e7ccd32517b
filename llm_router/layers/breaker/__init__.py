"""The circuit breaker layer: a small async adapter over ``pybreaker`` (docs/DESIGN.md §4.1).

pybreaker keeps the state machine (closed → open → half-open → closed), the failure
and success counters (its storage) and the listeners. What pybreaker cannot do for
an asyncio stream, the adapter adds:

- **one outcome per stream, at its end**: success when the inner stream ended
  normally (its finish signal arrived), failure for an error that
  ``counts_against_breaker`` (before or after commit; for ``StreamInterrupted`` its
  cause), *neutral* for a consumer that stopped early (``aclose``/``break``,
  cancellation) and for request errors (4xx) — neutral outcomes never reach pybreaker,
  whose ``exclude=`` would count them as successes;
- **exactly one half-open trial, made as one attempt**: concurrent callers beyond it
  get ``CircuitOpen``; across processes too when ``shared`` is a ``SharedTrial``
  (Redis): the local trial first claims a cluster-wide token (one bounded round trip;
  never in closed state). The trial's first chunk is awaited with
  ``layers.commit.one_attempt()`` true, so a ``Retry`` below sends it once;
- **an adaptive open period** (``_period``): ``reset_timeout`` at first, doubled per
  failed trial up to the cap, jittered, reset on close; a ``Retry-After`` on the
  failure that opens it is honoured (up to the cap). Shared through Redis with the
  transition, so replicas agree on it;
- **an injected clock**: pybreaker times the open state with ``datetime.now()``, so
  the adapter never lets pybreaker decide open → half-open. It keeps ``retry_at`` on
  its own clock (set whenever pybreaker enters ``open``) and calls
  ``pybreaker.CircuitBreaker.half_open()`` itself once the clock passes it. Outcomes
  are fed to pybreaker only in closed or half-open state, so its datetime check never
  runs.

Transitions are reported once each to the ``hook`` (``BreakerChanged``) by a pybreaker
listener, and — when a :class:`SharedBreakerState` is attached — published so other
processes follow (:class:`RedisBreakerState`).

This package's face is this module. Inside: ``_core`` (the stream layer), ``_shared``
(the ``SharedBreakerState``/``SharedTrial`` protocols), ``_period`` (the adaptive open
period), ``_adapter`` (the pybreaker glue: state names, the listener, outcome helpers),
``redis`` (``RedisBreakerState``: queue and lifecycle) and ``_redis_tasks`` (its
pub/sub reader and key-writer tasks).
"""

from llm_router.layers.breaker._core import CircuitBreaker
from llm_router.layers.breaker._shared import SharedBreakerState, SharedTrial
from llm_router.layers.breaker.redis import RedisBreakerState

__all__ = ["CircuitBreaker", "RedisBreakerState", "SharedBreakerState", "SharedTrial"]
