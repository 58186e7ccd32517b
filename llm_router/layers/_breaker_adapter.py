"""The pybreaker side of :class:`~llm_router.layers.breaker.CircuitBreaker`.

How outcomes are fed to pybreaker (``raise_exc``/``noop`` through its ``call``; which
errors count as failures), how its state changes come back (:class:`Listener`, state
names mapped by ``STATES``), and :class:`SharedBreakerState`, the protocol through which
those transitions are published to other processes. Kept apart from the stream layer
in :mod:`llm_router.layers.breaker`, which re-exports ``SharedBreakerState``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

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


def raise_exc(exc: BaseException) -> None:
    """Raise ``exc`` (called through ``pybreaker.call`` to record a failure)."""
    raise exc


def noop() -> None:
    """Do nothing (called through ``pybreaker.call`` to record a success)."""
    return None


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


__all__ = ["STATES", "Listener", "SharedBreakerState", "counts", "noop", "raise_exc"]
