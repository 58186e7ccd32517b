"""The breaker stream layer (:class:`CircuitBreaker`); the protocols of its shared state
are in ``_shared``, its open period in ``_period``."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pybreaker

from llm_router.config import BreakerConfig
from llm_router.errors import CircuitOpen
from llm_router.layers._wrap import Wrapper
from llm_router.layers.breaker._adapter import STATES, Listener, counts, feed, retry_after
from llm_router.layers.breaker._period import OpenPeriod
from llm_router.layers.breaker._shared import SharedBreakerState, SharedTrial
from llm_router.layers.commit import Opened, open_stream, open_trial, streamed
from llm_router.observe import BreakerChanged, BreakerState, Hook
from llm_router.types import ChatRequest, Clock, Provider, StreamChunk

_DEFAULT_CONFIG = BreakerConfig()
_REMOTE = object()  # the local trial permit while another process holds the shared trial


class CircuitBreaker(Wrapper):
    """A Provider that stops calling ``inner`` while its deployment is failing.

    One breaker per deployment (provider + model). While open, ``stream_complete``
    raises :class:`~llm_router.errors.CircuitOpen` (carrying ``retry_at``) before
    touching ``inner``. The open period adapts (``BreakerConfig``: ``reset_timeout``
    doubled per failed trial up to the cap, jittered with ``rng``, ``Retry-After``
    honoured); the half-open trial is made as one attempt (a ``Retry`` below does not
    retry it). ``shared`` propagates transitions between processes; the hot path never
    waits on it. The underlying ``pybreaker.CircuitBreaker`` is :attr:`pybreaker` (add
    your own listeners there).
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
        rng: Callable[[], float] = random.random,
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
        self._remote_nominal: float | None = None
        self._applying_shared = False
        self._period = OpenPeriod(config, rng)
        self._retry_after: float | None = None  # of the failure being fed to pybreaker
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
    def state(self) -> BreakerState:
        """``closed``, ``half_open`` or ``open`` (open even once ``retry_at`` has passed,
        until the next call half-opens it, as in pybreaker)."""
        return STATES[self.pybreaker.current_state]

    @property
    def retry_at(self) -> float | None:
        """Clock time when a trial will be admitted while open; ``None`` otherwise."""
        return self._retry_at if self.state == "open" else None

    @property
    def open_period(self) -> float:
        """Seconds the breaker stays open: while open or half-open, the current period
        (jitter and ``Retry-After`` included); closed, the first one (``reset_timeout``)."""
        return self.config.reset_timeout if self.state == "closed" else self._period.current

    @property
    def nominal_period(self) -> float:
        """The open period before jitter and ``Retry-After``: ``reset_timeout``
        doubled per failed trial since the last close, up to the cap."""
        return self._period.nominal

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

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream from ``inner`` when the breaker admits it; record the outcome once."""
        return streamed(self.open_stream, request)

    async def open_stream(self, request: ChatRequest) -> Opened:
        """Open ``inner``'s stream when the breaker admits it (the half-open trial as
        one attempt); its outcome is recorded once, when it ends."""
        token = self._admit()
        trials = self._trials if token is not None else None
        if trials is not None:
            await self._claim(trials, token)
        try:
            if token is None:
                opened = await open_stream(self._inner, request, self.name)
            else:  # the trial: one attempt (DESIGN §4.1)
                opened = await open_trial(self._inner, request, self.name)
        except BaseException as exc:
            self._ended(token, trials, exc)
            raise
        opened.ends.append(_End(self, token, trials))
        return opened

    def _ended(
        self, token: object | None, trials: SharedTrial | None, exc: BaseException | None
    ) -> None:
        """One stream ended (``exc`` ``None``: read to its end): record it, free the trial."""
        try:
            self._record(token, exc is None, exc if exc is not None and counts(exc) else None)
        finally:
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
        self._retry_after = retry_after(failure)
        try:
            feed(self.pybreaker, failure)
        finally:
            self._retry_after = None

    def _on_transition(self, old: BreakerState, new: BreakerState) -> None:
        """Called by the pybreaker listener on every state change, local or shared."""
        if new == "open":
            if self._applying_shared:
                retry_in = self._period.adopt(self._remote_retry_in, self._remote_nominal)
            else:
                retry_in = self._period.open(old == "half_open", self._retry_after)
            self._retry_at = self._clock() + retry_in
        elif new == "half_open":
            self._trial = None
        else:
            self._period.reset()
        if old == new:
            return
        if self._hook is not None:
            source = "shared" if self._applying_shared else "local"
            self._hook(BreakerChanged(self.deployment, old, new, source))
        if self._shared is not None and not self._applying_shared and new != "half_open":
            left = self._retry_at - self._clock() if new == "open" and self._retry_at else None
            self._shared.publish(self, new, left)

    def apply_shared(
        self, state: BreakerState, retry_in: float | None = None, period: float | None = None
    ) -> None:
        """Adopt a transition made by another process (never re-published).

        ``open`` opens (or re-times) the breaker with a trial after ``retry_in``
        seconds (clamped to ``[0, cap * (1 + jitter)]``) and adopts the publisher's
        nominal open ``period`` (:attr:`nominal_period`), so that the next failed trial
        here doubles the same value; ``closed`` closes it. ``half_open`` is ignored:
        each process half-opens on its own clock, and the trial's result is what gets
        shared.
        """
        current = self.state
        self._applying_shared = True
        try:
            if state == "open":
                if current == "open":
                    self._retry_at = self._clock() + self._period.adopt(retry_in, period)
                else:
                    self._remote_retry_in, self._remote_nominal = retry_in, period
                    self.pybreaker.open()
            elif state == "closed" and current != "closed":
                self.pybreaker.close()
        finally:
            self._applying_shared = False
            self._remote_retry_in = self._remote_nominal = None

    def detach(self) -> None:
        """Stop sharing this breaker's state (the shared state object stays open)."""
        if self._shared is not None:
            self._shared.detach(self)
            self._shared = self._trials = None


class _End:
    """The breaker's :data:`~llm_router.layers.commit.End` for one opened stream."""

    __slots__ = ("breaker", "token", "trials")

    def __init__(
        self, breaker: CircuitBreaker, token: object | None, trials: SharedTrial | None
    ) -> None:
        self.breaker, self.token, self.trials = breaker, token, trials

    def __call__(self, exc: BaseException | None) -> None:
        self.breaker._ended(self.token, self.trials, exc)
