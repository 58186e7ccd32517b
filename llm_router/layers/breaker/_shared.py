"""The protocols of the state breakers share between processes (docs/DESIGN.md §4.1):
:class:`SharedBreakerState` (transitions) and :class:`SharedTrial` (the cluster-wide
half-open trial). ``RedisBreakerState`` implements both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from llm_router.observe import BreakerState

if TYPE_CHECKING:
    from llm_router.layers.breaker._core import CircuitBreaker


class SharedBreakerState(Protocol):
    """Where breakers publish their transitions so other processes follow them.

    ``publish`` is called on the hot path's thread at the moment of a local
    transition: it must return at once (queue the write, never wait on I/O). The
    implementation calls :meth:`CircuitBreaker.apply_shared` for transitions made
    elsewhere.
    """

    def attach(self, breaker: CircuitBreaker) -> None:
        """Start delivering remote transitions of ``breaker.deployment`` to ``breaker``."""
        ...

    def detach(self, breaker: CircuitBreaker) -> None:
        """Stop delivering transitions to ``breaker``."""
        ...

    def publish(self, breaker: CircuitBreaker, state: BreakerState, retry_in: float | None) -> None:
        """Share ``breaker``'s local transition to ``state`` (``open`` or ``closed``);
        ``retry_in``: seconds until its trial (``open`` only). Share
        ``breaker.nominal_period`` with an ``open`` too, for
        :meth:`CircuitBreaker.apply_shared`'s ``period``, so that replicas agree on the
        adaptive open period."""
        ...


@runtime_checkable
class SharedTrial(Protocol):
    """A :class:`SharedBreakerState` that also makes the half-open trial cluster-wide.

    Optional: a breaker whose shared state implements it asks, once per local trial
    (rare: once per open period), for the one trial token of its deployment.
    """

    async def claim_trial(self, breaker: CircuitBreaker, token: object) -> float | None:
        """Claim the trial of ``breaker.deployment`` for the local trial ``token``.

        ``None``: this process may send the trial (claimed, or the shared store is
        unavailable and the local decision stands). A number: another process holds
        it; refuse trials locally for that many seconds. Must be bounded in time.
        """
        ...

    def release_trial(self, token: object) -> None:
        """Free the trial claimed for ``token`` (no-op if none); never waits."""
        ...
