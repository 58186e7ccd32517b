"""The breaker stream layer (:class:`CircuitBreaker`) and the protocols of its shared state."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, Protocol, runtime_checkable

import pybreaker

from llm_router.config import BreakerConfig
from llm_router.errors import CircuitOpen
from llm_router.layers.breaker._adapter import STATES, Listener, counts, feed
from llm_router.layers.commit import close
from llm_router.observe import BreakerChanged, BreakerState, Hook
from llm_router.types import ChatRequest, Clock, Provider, StreamChunk

_DEFAULT_CONFIG = BreakerConfig()
_REMOTE = object()  # the local trial permit while another process holds the shared trial


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


class CircuitBreaker:
    """A Provider that stops calling ``inner`` while its deployment is failing.

    One breaker per deployment (provider + model). While open, ``stream_complete``
    raises :class:`~llm_router.errors.CircuitOpen` (carrying ``retry_at``) before
    touching ``inner``. ``shared`` propagates transitions between processes; the hot
    path never waits on it. The underlying ``pybreaker.CircuitBreaker`` is
    :attr:`pybreaker` (add your own listeners there).
    """

    def __init__(
        self,
        inner: Provider,
        config: BreakerConfig = _DEFAULT_CONFIG,
        *,
        deployment: str | None = None,
        shared: SharedBreakerState | None = None,
        hook: Hook | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._inner = inner
        self.config = config
        self.deployment = deployment or inner.name
        self._hook = hook
        self._clock = clock
        self._retry_at: float | None = None
        self._trial: object | None = None
        self._remote_until = 0.0
        self._remote_retry_in: float | None = None
        self._applying_shared = False
        self.pybreaker: Any = pybreaker.CircuitBreaker(
            fail_max=config.fail_max,
            reset_timeout=config.reset_timeout,
            success_threshold=config.success_threshold,
            listeners=[Listener(self._on_transition)],
            name=self.deployment,
        )
        self._shared = shared
        self._trials = shared if isinstance(shared, SharedTrial) else None
        if shared is not None:
            shared.attach(self)

    @property
    def name(self) -> str:
        """The inner provider's name."""
        return self._inner.name

    @property
    def inner(self) -> Provider:
        """The wrapped provider (the next layer down)."""
        return self._inner

    @property
    def state(self) -> BreakerState:
        """``closed``, ``half_open`` or ``open`` (open even once ``retry_at`` has passed,
        until the next call half-opens it, as in pybreaker)."""
        return STATES[self.pybreaker.current_state]

    @property
    def retry_at(self) -> float | None:
        """Clock time when a trial will be admitted while open; ``None`` otherwise."""
        return self._retry_at if self.state == "open" else None

    def would_admit(self) -> bool:
        """Whether a stream started now would reach ``inner`` (no side effect)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open":
            return self._trial is None or self._remote_expired()
        return self._retry_at is None or self._clock() >= self._retry_at

    def _admit(self) -> object | None:
        """Admit a stream or raise ``CircuitOpen``; returns the trial token in half-open."""
        current = self.pybreaker.current_state
        if current == pybreaker.STATE_CLOSED:
            return None
        if current == pybreaker.STATE_OPEN:
            if self._retry_at is not None and self._clock() < self._retry_at:
                raise CircuitOpen(
                    f"circuit open for {self.deployment}",
                    provider=self.name,
                    retry_at=self._retry_at,
                )
            self.pybreaker.half_open()
        if self._trial is not None and not self._remote_expired():
            raise CircuitOpen(
                f"circuit half-open for {self.deployment}: trial stream in progress",
                provider=self.name,
            )
        token = self._trial = object()
        return token

    def _remote_expired(self) -> bool:
        return self._trial is _REMOTE and self._clock() >= self._remote_until

    async def _claim(self, trials: SharedTrial, token: object) -> None:
        """Claim the cluster-wide trial for the local one, or free it and raise ``CircuitOpen``."""
        try:
            wait = await trials.claim_trial(self, token)
        except BaseException:
            self._trial = None if self._trial is token else self._trial
            trials.release_trial(token)
            raise
        if wait is None and self.pybreaker.current_state != pybreaker.STATE_OPEN:
            return  # ours (or decided locally); re-opened meanwhile by another process: refuse
        trials.release_trial(token)
        if self._trial is token:  # held elsewhere: refuse locally for a while; else free it
            if wait is None:
                self._trial = None
            else:
                self._trial, self._remote_until = _REMOTE, self._clock() + wait
        raise CircuitOpen(
            f"circuit half-open for {self.deployment}: trial stream in progress elsewhere",
            provider=self.name,
            retry_at=self.retry_at,
        )

    async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream from ``inner`` when the breaker admits it; record the outcome once."""
        token = self._admit()
        trials = self._trials if token is not None else None
        if trials is not None:
            await self._claim(trials, token)
        failure: BaseException | None = None
        success = False
        try:
            stream = self._inner.stream_complete(request)
            try:
                async for chunk in stream:
                    yield chunk
            finally:
                await close(stream)
            success = True
        except BaseException as exc:
            if counts(exc):
                failure = exc
            raise
        finally:
            self._record(token, success, failure)
            if trials is not None:
                trials.release_trial(token)

    def _record(self, token: object | None, success: bool, failure: BaseException | None) -> None:
        """Feed one stream's outcome to pybreaker and free the trial permit."""
        is_trial = token is not None and token is self._trial
        if is_trial:
            self._trial = None
        if not success and failure is None:
            return  # neutral
        current = self.pybreaker.current_state
        # Only the trial decides a half-open breaker; an open one ignores late outcomes
        # of streams admitted before it opened (and pybreaker would time it by datetime).
        if current == pybreaker.STATE_OPEN or (
            current == pybreaker.STATE_HALF_OPEN and not is_trial
        ):
            return
        feed(self.pybreaker, failure)

    def _on_transition(self, old: BreakerState, new: BreakerState) -> None:
        """Called by the pybreaker listener on every state change, local or shared."""
        if new == "open":
            retry_in = self._remote_retry_in
            if retry_in is None:
                retry_in = self.config.reset_timeout
            self._retry_at = self._clock() + retry_in
        elif new == "half_open":
            self._trial = None
        if old == new:
            return
        if self._hook is not None:
            source = "shared" if self._applying_shared else "local"
            self._hook(BreakerChanged(self.deployment, old, new, source))
        if self._shared is not None and not self._applying_shared and new != "half_open":
            retry_in = self._retry_at - self._clock() if new == "open" and self._retry_at else None
            self._shared.publish(self, new, retry_in)

    def apply_shared(self, state: BreakerState, retry_in: float | None = None) -> None:
        """Adopt a transition made by another process (never re-published).

        ``open`` opens (or re-times) the breaker with a trial after ``retry_in``
        seconds (clamped to ``[0, reset_timeout]``); ``closed`` closes it. ``half_open``
        is ignored: each process half-opens on its own clock, and the trial's result
        is what gets shared.
        """
        current = self.state
        self._applying_shared = True
        try:
            if state == "open":
                wait = self.config.reset_timeout if retry_in is None else retry_in
                self._remote_retry_in = min(max(wait, 0.0), self.config.reset_timeout)
                if current == "open":
                    self._retry_at = self._clock() + self._remote_retry_in
                else:
                    self.pybreaker.open()
            elif state == "closed" and current != "closed":
                self.pybreaker.close()
        finally:
            self._applying_shared = False
            self._remote_retry_in = None

    def detach(self) -> None:
        """Stop sharing this breaker's state (the shared state object stays open)."""
        if self._shared is not None:
            self._shared.detach(self)
            self._shared = self._trials = None
