"""The pybreaker side of :class:`~llm_router.layers.breaker.CircuitBreaker`.

How outcomes are fed to pybreaker (:func:`feed`: ``raise_exc``/``noop`` through its ``call``; which
errors count as failures), how its state changes come back (:class:`Listener`, state
names mapped by ``STATES``), and :class:`SharedBreakerState`, the protocol through which
those transitions are published to other processes. Kept apart from the stream layer
in :mod:`llm_router.layers.breaker`, which re-exports ``SharedBreakerState``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pybreaker

from llm_router.errors import StreamInterrupted
from llm_router.observe import BreakerState

if TYPE_CHECKING:
    from llm_router.layers.breaker import CircuitBreaker

STATES: dict[str, BreakerState] = {
    pybreaker.STATE_CLOSED: "closed",
    pybreaker.STATE_HALF_OPEN: "half_open",
    pybreaker.STATE_OPEN: "open",
}


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
        ``retry_in``: seconds until its trial (``open`` only)."""
        ...


@runtime_checkable
class SharedTrial(Protocol):
    """A :class:`SharedBreakerState` that also makes the half-open trial cluster-wide.

    Optional: a breaker whose shared state implements it asks, once per local trial
    (rare: once per ``reset_timeout``), for the one trial token of its deployment.
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


def raise_exc(exc: BaseException) -> None:
    """Raise ``exc`` (called through ``pybreaker.call`` to record a failure)."""
    raise exc


def noop() -> None:
    """Do nothing (called through ``pybreaker.call`` to record a success)."""
    return None


def feed(cb: Any, failure: BaseException | None) -> None:
    """Record one outcome in the ``pybreaker.CircuitBreaker`` ``cb``: a success when
    ``failure`` is ``None``, else that failure (``failure`` keeps its own traceback)."""
    if failure is None:
        cb.call(noop)
        return
    traceback = failure.__traceback__
    try:
        cb.call(raise_exc, failure)
    except pybreaker.CircuitBreakerError:
        pass  # pybreaker's "just tripped" signal; the caller gets the real error
    except BaseException as exc:
        if exc is not failure:
            raise
    finally:
        failure.__traceback__ = traceback  # drop pybreaker's frames from the caller's view


def counts(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure for the breaker (``False``: neutral)."""
    if isinstance(exc, GeneratorExit | asyncio.CancelledError) or not isinstance(exc, Exception):
        return False
    if isinstance(exc, StreamInterrupted):
        exc = exc.cause
    return bool(getattr(exc, "counts_against_breaker", True))


class Listener(pybreaker.CircuitBreakerListener):
    """Turns pybreaker's state changes into observer events and shared publications."""

    def __init__(self, owner: CircuitBreaker) -> None:
        self._owner = owner

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        old = STATES[old_state.name] if old_state is not None else "closed"
        self._owner._on_transition(old, STATES[new_state.name])


__all__ = [
    "STATES",
    "Listener",
    "SharedBreakerState",
    "SharedTrial",
    "counts",
    "feed",
    "noop",
    "raise_exc",
]
