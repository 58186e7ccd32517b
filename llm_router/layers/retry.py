"""The retry layer (docs/DESIGN.md §3): retries a provider's setup phase, on tenacity.

Only the setup phase is retried: each attempt opens the inner stream and awaits its
first chunk; that chunk is yielded *outside* the attempt, and from then on the layer
is a pure pass-through (under a router, not even that: the router reads the opened
stream directly, :class:`~llm_router.layers.commit.Opened`). A failure after the
first chunk reaches the caller as the inner stream raised it (``StreamInterrupted``)
and is never retried.

Provider SDK clients you wrap in your own :class:`~llm_router.types.Provider` must
not retry on their own (set their ``max_retries`` to 0): this layer is the one owner
of retries, and only it knows the request-wide deadline.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable

from tenacity import AsyncRetrying, RetryCallState

from llm_router.config import RetryConfig
from llm_router.errors import ConnectError, FirstTokenTimeout, ProviderError
from llm_router.layers.commit import Opened, one_attempt, open_stream, streamed
from llm_router.observe import Hook, Retried
from llm_router.types import ChatRequest, Clock, Provider, Sleep, StreamChunk

_DEFAULT_CONFIG = RetryConfig()


class Retry:
    """Retries ``inner``'s setup phase on errors marked ``retryable``.

    - The wait before retry *n* (1-based) is ``max(retry_after or 0, rng() *
      min(max_wait, initial * 2**(n-1)))``: exponential backoff with full jitter,
      and a ``Retry-After`` always wins over the backoff. The one exception: the
      first retry after a :class:`~llm_router.errors.ConnectError` (refused, reset,
      DNS, TLS) is immediate. A reset is most often a stale pooled keep-alive
      connection, which a fresh connection fixes at once; a refused one means
      nothing is listening, where waiting only delays the failover to the next
      candidate. Later retries back off as usual.
    - A ``retry_after`` above ``config.max_retry_after`` is not waited out: the error
      is re-raised at once so routing can move on.
    - The request-wide deadline (``request.deadline_at``, set by the router) is never
      crossed: if the wait would end at or after it, the layer gives up and re-raises
      the **last provider error** (not ``DeadlineExceeded``), so the router records
      the real cause and decides whether another candidate still fits.
    - ``FirstTokenTimeout`` is abandoned, not retried in place, unless
      ``config.retry_timeouts`` is set *and* the deadline leaves room for another
      attempt: room means ``now + wait + the duration of the attempt that timed out``
      (≈ that provider's ``first_token`` timeout) is still before the deadline.
    - ``CancelledError``, ``StreamInterrupted`` and anything that is not a
      :class:`~llm_router.errors.ProviderError` are never retried.
    - A circuit breaker's half-open trial is one attempt
      (:func:`~llm_router.layers.commit.one_attempt`): a provider that may still be
      down gets one request, and its answer decides the breaker.

    Each retry is reported to ``hook`` as :class:`~llm_router.observe.Retried`,
    where ``attempt`` is the number of the attempt that just failed (1 for the
    first retry). A new tenacity ``AsyncRetrying`` is built per stream that needs a
    retry (they are not safe to share), with this layer's ``sleep`` injected. Every attempt's inner
    stream is closed.
    """

    def __init__(
        self,
        inner: Provider,
        config: RetryConfig = _DEFAULT_CONFIG,
        *,
        hook: Hook | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.config = config
        self.hook = hook
        self._sleep = sleep
        self._clock = clock
        self._rng = rng

    @property
    def name(self) -> str:
        """The wrapped provider's name."""
        return self.inner.name

    def __repr__(self) -> str:
        return f"Retry({self.inner!r}, {self.config!r})"

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream ``inner``'s answer, retrying its setup phase as documented above."""
        return streamed(self.open_stream, request)

    async def open_stream(self, request: ChatRequest) -> Opened:
        """Open ``inner``'s stream to its first chunk, retrying as documented above."""
        return await _Attempts(self, request).run()


class _Attempts:
    """The retry policy of one stream: tenacity's callbacks, bound to its request."""

    __slots__ = ("layer", "replay", "request", "started")

    def __init__(self, layer: Retry, request: ChatRequest) -> None:
        self.layer = layer
        self.request = request
        self.started = 0.0
        self.replay: Exception | None = None

    async def run(self) -> Opened:
        # The first attempt runs bare: most streams open at once, and building
        # tenacity's machinery for them would be pure per-stream cost. Only after a
        # failure is tenacity set up; its attempt 1 replays that failure, so every
        # decision (retry or not, wait, stop, log) is still tenacity's and ours above.
        try:
            return await self.attempt()
        except ProviderError as exc:
            if not exc.retryable or self.layer.config.attempts < 2 or one_attempt():
                raise
            self.replay = exc
        retrying = AsyncRetrying(
            sleep=self.layer._sleep,
            stop=self.stop,
            wait=self.wait,
            retry=self.should_retry,
            before_sleep=self.before_sleep,
            reraise=True,
        )
        try:
            opened: Opened = await retrying(self.attempt_or_replay)
        finally:
            # tenacity's per-thread state holds bound methods of ``retrying``: a
            # reference cycle per stream for the garbage collector. Break it here.
            retrying.iter_state.reset()
        return opened

    async def attempt_or_replay(self) -> Opened:
        replay, self.replay = self.replay, None
        if replay is not None:
            raise replay
        return await self.attempt()

    async def attempt(self) -> Opened:
        layer = self.layer
        self.started = layer._clock()
        return await open_stream(layer.inner, self.request, layer.name)

    def should_retry(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        if not isinstance(exc, ProviderError) or not exc.retryable:
            return False
        config = self.layer.config
        if exc.retry_after is not None and exc.retry_after > config.max_retry_after:
            return False
        return config.retry_timeouts or not isinstance(exc, FirstTokenTimeout)

    def wait(self, state: RetryCallState) -> float:
        config = self.layer.config
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = exc.retry_after if isinstance(exc, ProviderError) else None
        if state.attempt_number == 1 and isinstance(exc, ConnectError) and exc.retry_after is None:
            return 0.0  # see the class docstring: a lost connection is retried at once
        ceiling = min(config.max_wait, config.initial * 2.0 ** min(state.attempt_number - 1, 60))
        return max(retry_after or 0.0, self.layer._rng() * ceiling)

    def stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.layer.config.attempts:
            return True
        deadline_at = self.request.deadline_at
        if deadline_at is None:
            return False
        now = self.layer._clock()
        resume_at = now + (state.upcoming_sleep or 0.0)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, FirstTokenTimeout):
            resume_at += now - self.started
        return resume_at >= deadline_at

    def before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        reason = exc.reason if isinstance(exc, ProviderError) else "error"
        hook = self.layer.hook
        if hook is not None:
            request_id, name = self.request.request_id, self.layer.name
            hook(Retried(request_id, name, reason, state.attempt_number, state.upcoming_sleep))
