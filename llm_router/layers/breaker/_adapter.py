"""The pybreaker side of :class:`~llm_router.layers.breaker.CircuitBreaker`.

How outcomes are fed to pybreaker (:func:`feed`: ``raise_exc``/``noop`` through its ``call``; which
errors count as failures) and how its state changes come back (:class:`Listener`, state
names mapped by ``STATES``). Kept apart from the stream layer in ``_core``; it knows
nothing of it (the listener calls back a plain function).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pybreaker

from llm_router.errors import StreamInterrupted
from llm_router.observe import BreakerState

STATES: dict[str, BreakerState] = {
    pybreaker.STATE_CLOSED: "closed",
    pybreaker.STATE_HALF_OPEN: "half_open",
    pybreaker.STATE_OPEN: "open",
}


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


def retry_after(exc: BaseException | None) -> float | None:
    """The ``Retry-After`` (seconds) that ``exc`` (or, for ``StreamInterrupted``, its
    cause) carries, if any."""
    if isinstance(exc, StreamInterrupted):
        exc = exc.cause
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


class Listener(pybreaker.CircuitBreakerListener):
    """Turns pybreaker's state changes into hook events and shared publications."""

    def __init__(self, on_transition: Callable[[BreakerState, BreakerState], None]) -> None:
        self._on_transition = on_transition

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        old = STATES[old_state.name] if old_state is not None else "closed"
        self._on_transition(old, STATES[new_state.name])
