"""Bulkhead layer (docs/DESIGN.md §4.4): at most ``max_concurrency`` streams per provider at a
time, the next ones waiting in a bounded FIFO queue.

**Where it sits.** ``Router → Bulkhead → CircuitBreaker → Retry → provider``: the
bulkhead is the outermost layer of a deployment's stack, because

- it must decide *before the breaker*: a stream waiting for a slot must not hold the
  breaker's single half-open trial permit (it would block the trial while doing
  nothing), and a rejection must never reach the breaker (``ProviderBusy`` is neutral
  for it anyway);
- it must decide *above the retry layer*: a slot is taken once per stream, not per
  attempt, so a retried stream never queues again behind newcomers or loses its slot
  between attempts, and ``Retry`` never sees ``ProviderBusy`` (not retryable either).
  The price: a stream keeps its slot during a retry's backoff wait;
- it decides *before any network I/O*: taking a free slot is a counter check.

**Slots are per provider**: the limit protects an upstream (a vLLM box, an account's
concurrency quota), so every deployment of a provider (``provider/model`` overrides)
wraps its own stack in a :class:`Bulkhead` over the provider's one :class:`Slots`.

**A slot is held for the whole life of a stream**, from the first ``anext`` until
the stream ends however it ends: finish, error (before or after the first chunk),
``aclose()``/``break`` in ``async with closing(...)``, or cancellation. Nothing runs
per chunk.

**Waiting.** With every slot taken, a stream queues (FIFO; a freed slot is handed to
the oldest waiter, so newcomers never overtake the queue) for at most ``wait_timeout``
seconds and never past the request's ``deadline_at``. It gets
:class:`~llm_router.errors.ProviderBusy` at once when the queue already holds
``max_waiting`` streams (default: ``max_concurrency``; 0 means no queue: fail over at
once), and after ``wait_timeout``; it gets
:class:`~llm_router.errors.DeadlineExceeded`, like the router would, when the deadline
has passed or passes while it waits. A waiter cancelled by its consumer leaves the
queue; if a slot was handed to it in that same instant, it passes the slot on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator

from llm_router.errors import ConfigurationError, DeadlineExceeded, ProviderBusy
from llm_router.layers._wrap import Wrapper
from llm_router.layers.commit import Opened, open_stream, remaining, streamed
from llm_router.types import ChatRequest, Clock, Provider, StreamChunk


class Slots:
    """A provider's concurrency slots and their bounded FIFO wait queue (shared by the
    :class:`Bulkhead` layers of the provider's deployments).

    ``max_waiting=None`` means ``max_concurrency``; ``wait_timeout=None`` means a
    waiter waits until a slot frees or its request's deadline passes.
    """

    def __init__(
        self,
        max_concurrency: int,
        max_waiting: int | None = None,
        wait_timeout: float | None = None,
    ) -> None:
        if isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        if max_waiting is not None and max_waiting < 0:
            raise ConfigurationError(f"max_waiting must be >= 0, got {max_waiting!r}")
        if wait_timeout is not None and not wait_timeout > 0:
            raise ConfigurationError(f"wait_timeout must be > 0, got {wait_timeout!r}")
        self.max_concurrency = max_concurrency
        self.max_waiting = max_concurrency if max_waiting is None else max_waiting
        self.wait_timeout = wait_timeout
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def in_use(self) -> int:
        """Slots held by open streams."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Streams queued for a slot."""
        return len(self._waiters)

    @property
    def queue_full(self) -> bool:
        """Whether a stream started now would be refused at once (no slot, no room)."""
        return self._in_use >= self.max_concurrency and len(self._waiters) >= self.max_waiting

    def try_acquire(self) -> bool:
        """Take a free slot now if there is one and nobody is queued before us."""
        if self._in_use < self.max_concurrency and not self._waiters:
            self._in_use += 1
            return True
        return False

    async def wait(self, seconds: float | None) -> bool:
        """Queue for a slot for at most ``seconds`` (``None``: no limit).

        ``True``: the slot is ours; ``False``: the time ran out. The caller checks
        :attr:`queue_full` first. Cancellation leaves the queue holding nothing.
        """
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        scope = asyncio.timeout(seconds)
        try:
            async with scope:
                await waiter
            return True
        except BaseException as exc:
            granted = waiter.done() and not waiter.cancelled()
            if not granted:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError) and scope.expired():
                return granted  # a slot handed over as time ran out is still ours
            if granted:
                self.release()  # cancelled as the slot arrived: pass it on
            raise

    def release(self) -> None:
        """Give a slot back: to the oldest live waiter, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._in_use -= 1

    def __repr__(self) -> str:
        return (
            f"Slots(in_use={self._in_use}/{self.max_concurrency}, "
            f"waiting={len(self._waiters)}/{self.max_waiting})"
        )


class Bulkhead(Wrapper):
    """A Provider that lets at most ``max_concurrency`` streams reach ``inner`` at once
    (see the module doc for the queue, the errors and its place in the stack).

    Either ``max_concurrency`` (with optional ``max_waiting`` and ``wait_timeout``, see
    :class:`Slots`) or ``slots=``, a :class:`Slots` shared with the provider's other
    deployments. ``clock`` reads ``request.deadline_at``; the wait itself is timed
    on the event loop's clock, like the router's deadline.

    Example::

        guarded = Bulkhead(OpenAIProvider(base_url=..., model="m", name="vllm"), 8)
    """

    def __init__(
        self,
        inner: Provider,
        max_concurrency: int | None = None,
        *,
        max_waiting: int | None = None,
        wait_timeout: float | None = None,
        slots: Slots | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if slots is None:
            if max_concurrency is None:
                raise ConfigurationError("Bulkhead needs max_concurrency or slots")
            slots = Slots(max_concurrency, max_waiting, wait_timeout)
        elif (max_concurrency, max_waiting, wait_timeout) != (None, None, None):
            raise ConfigurationError(
                "pass either slots or max_concurrency, max_waiting and wait_timeout"
            )
        self._inner = inner
        self.slots = slots
        self._clock = clock

    @property
    def max_concurrency(self) -> int:
        """Most streams at once (shared by the deployments of one provider)."""
        return self.slots.max_concurrency

    @property
    def max_waiting(self) -> int:
        """Most streams queued for a slot."""
        return self.slots.max_waiting

    @property
    def in_use(self) -> int:
        """Slots held by open streams."""
        return self.slots.in_use

    @property
    def waiting(self) -> int:
        """Streams queued for a slot."""
        return self.slots.waiting

    def __repr__(self) -> str:
        return f"Bulkhead({self._inner!r}, {self.slots!r})"

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream from ``inner`` once a slot is ours; give it back when the stream ends."""
        return streamed(self.open_stream, request)

    async def open_stream(self, request: ChatRequest) -> Opened:
        """Open ``inner``'s stream once a slot is ours; the slot is given back when the
        stream ends (or fails to open)."""
        await self._acquire(request)
        try:
            opened = await open_stream(self._inner, request, self.name)
        except BaseException:
            self.slots.release()
            raise
        opened.ends.append(self._release)
        return opened

    def _release(self, exc: BaseException | None) -> None:
        self.slots.release()

    async def _acquire(self, request: ChatRequest) -> None:
        slots = self.slots
        if slots.try_acquire():
            return
        if slots.queue_full:
            raise ProviderBusy(
                f"all {slots.max_concurrency} concurrency slots in use and "
                f"{slots.waiting} stream(s) waiting (max_waiting {slots.max_waiting})",
                provider=self.name,
            )
        limit = slots.wait_timeout
        left = remaining(request, self._clock)
        if left is not None and (limit is None or left <= limit):
            if left <= 0 or not await slots.wait(left):
                raise DeadlineExceeded(
                    "request deadline passed while waiting for a concurrency slot",
                    provider=self.name,
                )
        elif not await slots.wait(limit):
            raise ProviderBusy(
                f"no concurrency slot freed within wait_timeout {limit:g} s", provider=self.name
            )


__all__ = ["Bulkhead", "Slots"]
