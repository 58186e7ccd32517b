"""Stream rescue after the commit point (docs/DESIGN.md §4.5).

When a committed stream fails, :class:`Rescue` tries, in the route's order of
strategies and within the request deadline, at most ``max`` rescue streams:

* ``continue`` on deployments that accept an assistant prefill: the original request
  with the delivered text as a final assistant message; the continuation is passed on
  through a :class:`~._seam.ContinueSeam` (an overlap with the delivered text trimmed);
* ``replay``: the original request again, read silently through a
  :class:`~._seam.ReplaySeam` until it has reproduced the delivered output exactly,
  closed at the first divergence.

Each rescue stream goes through the candidate's own stack (breaker, bulkhead, retry),
so it is accounted like any call. A rescue stream that breaks after delivering more is
rescued in turn while attempts are left. When nothing works the caller gets
:class:`~llm_router.errors.StreamInterrupted` with everything delivered, the
*original* cause and every rescue attempt.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from llm_router.accumulate import interrupted
from llm_router.capabilities import Needs
from llm_router.config import RescueConfig, RescueStrategy
from llm_router.errors import LLMRouterError, ProviderError, StreamInterrupted
from llm_router.layers.commit import close, pull_first
from llm_router.layers.routing._plan import STALLS, constrained, plan, rescue_request
from llm_router.layers.routing._routes import Candidate
from llm_router.layers.routing._seam import ContinueSeam, Delivered, Diverged, ReplaySeam
from llm_router.layers.routing._walk import cannot_serve
from llm_router.observe import Hook, Rescued, RescueOutcome
from llm_router.types import ChatRequest, Clock, StreamChunk

PAUSE = 0.25
"""The longest backoff before a rescue option that failed to open goes again (the
retry layer's first backoff); a ``Retry-After`` replaces it."""

MAX_PAUSE = 20.0
"""A ``Retry-After`` longer than this ends the rescue (the retry layer's default
``max_retry_after``), as does one longer than what is left of the deadline."""


@dataclass(frozen=True, slots=True)
class RescueAttempt:
    """One rescue stream: where, how, and how it ended (``rescued``, ``diverged``,
    ``rejected`` for a refused prefill, ``failed``) with the error if any."""

    deployment: str
    strategy: RescueStrategy
    outcome: RescueOutcome
    error: str | None = None


class Rescue:
    """The rescue of one request's stream (see module doc)."""

    def __init__(
        self,
        config: RescueConfig,
        order: Sequence[Candidate],
        base: ChatRequest,
        *,
        clock: Clock,
        hook: Hook | None = None,
    ) -> None:
        self.config = config
        needs = Needs.of(base)  # only candidates that can serve the request rescue it
        self.order = [c for c in order if cannot_serve(c, needs, base) is None]
        self.base = base
        self.clock = clock
        self.hook = hook
        self.attempts: list[RescueAttempt] = []
        self.sent: list[StreamChunk] = []
        self.delivered = Delivered()
        self._refused = 0
        self._again = False  # the last option tried is worth another stream (_worth_again)
        self._pause = 0.0  # and how long to wait before it goes again (_pause_after)

    def _note(self, failed: Candidate, attempt: RescueAttempt, extra_chars: int = 0) -> None:
        self.attempts.append(attempt)
        if self.hook is not None:
            self.hook(
                Rescued(
                    self.base.request_id,
                    failed.deployment,
                    attempt.deployment,
                    attempt.strategy,
                    attempt.outcome,
                    len(self.delivered.text),
                    extra_chars,
                    attempt.error,
                )
            )

    async def stream(
        self, failed: Candidate, exc: StreamInterrupted, started: float
    ) -> AsyncIterator[StreamChunk]:
        """Deliver the rest of the answer whose stream from ``failed`` broke with ``exc``."""
        original = exc
        self.sent = list(exc.chunks)
        self.delivered.add_all(self.sent)
        budget, cause = self.config.max, exc.cause
        options: list[tuple[RescueStrategy, Candidate]] | None = None
        while True:
            progressed = False
            broken: list[tuple[RescueStrategy, Candidate]] = []  # worth another stream
            pause = 0.0  # the longest wait one of them asked for
            if options is None:
                options = plan(
                    self.config,
                    self.order,
                    failed,
                    cause,
                    self.delivered,
                    self.base.max_tokens,
                    constrained(self.base),
                )
            for strategy, cand in options:
                left = self._left()
                if budget <= 0 or left <= 0:
                    break
                budget -= 1
                outcome = await self._try(failed, cand, strategy, left)
                if outcome is None:
                    budget += self._refused  # refused without I/O: costs nothing
                    if self._again:
                        broken.append((strategy, cand))
                        pause = max(pause, self._pause)
                    continue
                stream, seam, first = outcome
                try:
                    async for chunk in self._deliver(stream, seam, first):
                        yield chunk
                    return
                except StreamInterrupted as again:
                    failed, cause, progressed = cand, again.cause, True
                    break
                finally:
                    await close(stream)
            # Delivered more and broke: plan afresh from there. Else the options whose
            # stream broke on its way to the seam (a cut, a reset, a malformed event)
            # or failed to open on a passing fault (a 429, a 5xx, a refused or reset
            # connection, after its retries) go again while ``max`` allows: the next
            # stream may well get through. One that diverged or stalled would do it
            # again, one refused without I/O (an open breaker) would be refused again.
            options = None if progressed else broken
            worth = bool(broken) and budget > 0 and pause < min(self._left(), MAX_PAUSE)
            if not progressed and not worth:
                raise self._give_up(original, started)
            if not progressed and pause > 0:  # a Retry-After, or a backoff after a 5xx
                await asyncio.sleep(pause)

    def _left(self) -> float:
        deadline_at = self.base.deadline_at
        return float("inf") if deadline_at is None else deadline_at - self.clock()

    async def _try(
        self, failed: Candidate, cand: Candidate, strategy: RescueStrategy, left: float
    ) -> tuple[AsyncIterator[StreamChunk], ReplaySeam | ContinueSeam, list[StreamChunk]] | None:
        """Open a rescue stream and read it up to the first chunk to deliver."""
        seam: ReplaySeam | ContinueSeam
        if strategy == "replay":
            seam = ReplaySeam(self.delivered)
        else:
            text = self.delivered.text
            seam = ContinueSeam(text, gap=text[len(text.rstrip()) :])
        stream = cand.provider.stream_complete(
            rescue_request(self.base, cand, strategy, self.delivered)
        )
        try:
            async with asyncio.timeout(None if left == float("inf") else left):
                first = await _until_seam(stream, seam, cand.deployment)
        except (Diverged, LLMRouterError, TimeoutError) as error:
            self._refused = int(getattr(error, "refused", False) is True)
            self._again = not self._refused and _worth_again(error)
            self._pause = _pause_after(error)
            await close(stream)
            self._note(failed, _failed_attempt(cand, strategy, error))
            return None
        except BaseException:
            await close(stream)
            raise
        extra = seam.reproduced_chars if isinstance(seam, ReplaySeam) else seam.trimmed
        self._note(failed, RescueAttempt(cand.deployment, strategy, "rescued"), extra)
        return stream, seam, first

    async def _deliver(
        self,
        stream: AsyncIterator[StreamChunk],
        seam: ReplaySeam | ContinueSeam,
        first: list[StreamChunk],
    ) -> AsyncIterator[StreamChunk]:
        for chunk in first:
            yield self._sent(chunk)
        if isinstance(seam, ReplaySeam):
            async for chunk in stream:
                out = seam.feed(chunk)
                if out is not None:
                    yield self._sent(out)
        else:
            async for chunk in stream:
                for out in seam.feed(chunk):
                    yield self._sent(out)
            for out in seam.flush():
                yield self._sent(out)

    def _sent(self, chunk: StreamChunk) -> StreamChunk:
        self.sent.append(chunk)
        self.delivered.add(chunk)
        return chunk

    def _give_up(self, original: StreamInterrupted, started: float) -> StreamInterrupted:
        last = self.sent[-1] if self.sent else None
        error = interrupted(
            self.sent,
            original.cause,
            provider=last.provider if last else original.provider,
            model=last.model if last else "",
            ttft_s=original.partial.ttft_s,
            duration_s=self.clock() - started,
        )
        error.rescues = tuple(self.attempts)
        return error


async def _until_seam(
    stream: AsyncIterator[StreamChunk], seam: ReplaySeam | ContinueSeam, deployment: str
) -> list[StreamChunk]:
    """Read ``stream`` until the seam releases something to deliver."""
    first = await pull_first(stream, deployment)
    pending: StreamChunk | None = first
    while True:
        if pending is not None:
            if isinstance(seam, ReplaySeam):
                out = seam.feed(pending)
                if out is not None:
                    return [out]
            else:
                released = seam.feed(pending)
                if released:
                    return released
        try:
            pending = await anext(stream)
        except StopAsyncIteration:
            if isinstance(seam, ContinueSeam) and (released := seam.flush()):
                return released
            raise Diverged("the rescue stream ended without new output") from None


def _worth_again(error: BaseException) -> bool:
    """Whether an option that failed with ``error`` may get through on another stream:
    it broke after its stream began, or failed to open with a retryable error, but did
    not stall (a timeout would cost the same again) or diverge."""
    if isinstance(error, StreamInterrupted):
        error = error.cause
    return isinstance(error, ProviderError) and error.retryable and not isinstance(error, STALLS)


def _pause_after(error: BaseException) -> float:
    """How long to wait before another stream after ``error``: none after a stream that
    began and broke; after one that could not open, its ``Retry-After`` or, without
    one, a jittered backoff below :data:`PAUSE` (its retries just failed)."""
    if isinstance(error, StreamInterrupted) or not isinstance(error, ProviderError):
        return 0.0
    if error.retry_after is not None:
        return error.retry_after
    return random.random() * PAUSE


def _failed_attempt(
    cand: Candidate, strategy: RescueStrategy, error: BaseException
) -> RescueAttempt:
    if isinstance(error, Diverged):
        return RescueAttempt(cand.deployment, strategy, "diverged", str(error))
    if isinstance(error, StreamInterrupted):
        error = error.cause
    rejected = strategy == "continue" and isinstance(error, ProviderError) and error.status == 400
    outcome: RescueOutcome = "rejected" if rejected else "failed"
    name = type(error).__name__ if not isinstance(error, TimeoutError) else "DeadlineExceeded"
    return RescueAttempt(cand.deployment, strategy, outcome, f"{name}: {error}")
