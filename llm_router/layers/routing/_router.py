"""The :class:`Router` layer: the failover loop, the commit point, one record per stream."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from llm_router._aio import CHUNK_SINK, AsyncClosing, Sink, closing
from llm_router.capabilities import Needs
from llm_router.config import RescueConfig
from llm_router.errors import (
    AllProvidersFailed,
    Attempt,
    ConfigurationError,
    ContextWindowExceeded,
    ProviderError,
    StreamInterrupted,
)
from llm_router.layers.commit import Opened, open_stream
from llm_router.layers.routing import _explain
from llm_router.layers.routing._buffered import buffer_whole
from llm_router.layers.routing._explain import Explanation
from llm_router.layers.routing._rescue import Rescue
from llm_router.layers.routing._resolve import Detector, Resolution, Resolver
from llm_router.layers.routing._routes import Candidate, Route
from llm_router.layers.routing._walk import (
    Run,
    deadline_error,
    layer_views,
    skip_detail,
    skip_reason,
    weighted_order,
)
from llm_router.observe import (
    Hook,
    Outcome,
    RouteSelected,
    StreamEnded,
    StreamStarted,
    StreamStopped,
    TaskDetected,
)
from llm_router.types import ChatRequest, Clock, Provider, StreamChunk

_Opened = tuple[Candidate, Opened]
_RESCUE = RescueConfig()


class Router(AsyncClosing):
    """A :class:`~llm_router.types.Provider` that routes each request (see module doc).

    ``routes`` must include ``default``. ``detector`` defaults to
    ``llm_router.tasks.detect_task``. ``deadline_s`` is the request-wide deadline
    (``request.deadline_s`` overrides it): the router sets ``deadline_at`` on the
    request it passes down, skips candidates once it has passed and bounds each
    candidate's setup phase by what is left (``DeadlineExceeded``; that bound is an
    ``asyncio.timeout`` on the event loop's clock, the checks use ``clock``). ``providers``
    adds deployments that ``model`` may name directly (a stacked provider, or a ready
    :class:`Candidate`), beside every candidate's ``deployment``. ``hook`` receives the
    router's events (:mod:`llm_router.observe`). Consecutive candidates with a weight
    other than 1.0 (e.g. 0.7 and 0.3) share load: their order is a weighted shuffle per
    stream (``rng``).

    Example::

        async with build_router({"code": [claude, gpt], "default": [gpt]}) as router:
            async for chunk in router.stream_complete(ChatRequest(messages=[...])):
                print(chunk.text, end="")
    """

    name = "router"

    def __init__(
        self,
        routes: Mapping[str, Route],
        *,
        detector: Detector | None = None,
        hook: Hook | None = None,
        clock: Clock = time.monotonic,
        deadline_s: float = 60.0,
        providers: Mapping[str, Provider | Candidate] | None = None,
        rng: Callable[[], float] = random.random,
        rescue: RescueConfig = _RESCUE,
    ) -> None:
        if deadline_s <= 0:
            raise ConfigurationError(f"router deadline_s must be > 0, got {deadline_s!r}")
        self.routes: Mapping[str, Route] = dict(routes)
        singles: dict[str, Route] = {}
        for pname, provider in (providers or {}).items():
            if isinstance(provider, Candidate):
                singles[pname] = Route(pname, (provider,))
                continue
            breaker, bulkhead = layer_views(provider)
            cand = Candidate(provider, pname, breaker=breaker, bulkhead=bulkhead)
            singles[pname] = Route(pname, (cand,))
        for route in self.routes.values():
            for cand in route.candidates:
                singles[cand.deployment] = Route(cand.deployment, (cand,))
        self.providers: Mapping[str, Provider] = {
            n: r.candidates[0].provider for n, r in singles.items()
        }
        self._singles = singles
        self._unweighted = frozenset(  # routes whose order is never shuffled
            r for r in (*self.routes.values(), *singles.values())
            if all(c.weight == 1.0 for c in r.candidates)
        )  # fmt: skip
        self._detector = detector
        self._resolver = Resolver(self.routes, singles, self._get_detector)
        self.hook = hook
        self._clock = clock
        self.deadline_s = deadline_s
        self._inflight: dict[str, int] = dict.fromkeys(singles, 0)
        self._rng = rng
        self.rescue = rescue
        """Stream rescue for routes that set none (docs/DESIGN.md §4.5)."""
        self.on_close: Callable[[], Awaitable[None]] | None = None
        """What :meth:`aclose` runs: the builder installs its assembly's ``aclose``."""

    def _get_detector(self) -> Detector:
        if self._detector is None:
            from llm_router.tasks import detect_task  # lazy: only when detection is needed

            self._detector = detect_task
        return self._detector

    def resolve(self, request: ChatRequest) -> Resolution:
        """Which task label and route ``request`` gets (raises :class:`UnknownModel`)."""
        return self._resolver.resolve(request)

    def explain(self, request: ChatRequest) -> Explanation:
        """Why ``request`` would go where it goes, without calling any provider."""
        return _explain.explain(self.resolve(request), self._clock(), self.rescue, request)

    def status(self) -> dict[str, Any]:
        """Per deployment: breaker state, seconds until it retries, streams in flight,
        and ``slots`` (in use, waiting, limits) where a bulkhead guards it."""
        return _explain.status(self._singles, self._inflight, self._clock())

    async def aclose(self) -> None:
        """Release what the router was built with: :attr:`on_close` (for a router from
        the builder, its assembly's HTTP session and owned shared breaker state). A
        router composed by hand owns nothing; close its providers' session with
        :func:`llm_router.providers.close_shared_sessions`."""
        if self.on_close is not None:
            await self.on_close()

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Route ``request``, failing over before commit; pass through after it.

        The request passed down carries ``deadline_at`` and ``model`` = the
        candidate's override (``None``: the provider's own model; a route alias is
        never sent upstream). A ``model`` that names nothing raises
        :class:`UnknownModel` (on the first ``anext``) before anything is recorded.
        """
        return self._stream(request, None)

    def stream_resolved(
        self, request: ChatRequest, resolution: Resolution
    ) -> AsyncIterator[StreamChunk]:
        """:meth:`stream_complete` with a :class:`Resolution` already obtained from
        :meth:`resolve` (the gateway reads it first for its response headers), so the
        task is detected once per request."""
        return self._stream(request, resolution)

    def stream_buffered(
        self, request: ChatRequest, resolution: Resolution | None = None
    ) -> AsyncIterator[StreamChunk]:
        """For a caller that shows nothing before the end (``complete``, the gateway's
        ``stream: false``): the whole stream is the setup phase (docs/DESIGN.md §1.2).
        Nothing is yielded before the finish signal, and a stream that breaks on the
        way is started afresh as a failure before commit would be (see :mod:`._buffered`)."""
        return self._stream(request, resolution, buffered=True)

    async def _stream(
        self, request: ChatRequest, resolution: Resolution | None, buffered: bool = False
    ) -> AsyncIterator[StreamChunk]:
        res, hook = resolution or self._resolver.resolve(request), self.hook
        order = res.route.candidates
        if res.route not in self._unweighted and any(c.weight != 1.0 for c in order):
            order = weighted_order(order, self._rng)
        start = self._clock()
        run = Run(request.request_id, res, order, start)
        # A deferred label (docs/DESIGN.md §4.2) is detected while the upstream prepares
        # its answer (:func:`_settle_soon`) and announced once the opening is decided;
        # a known one is announced at once.
        announce = hook is not None
        if not res.settled:
            if announce:  # without a hook nothing wants the label unless it is read
                _settle_soon(res)
        elif announce:
            announce = _announce(hook, run)
        found = CHUNK_SINK.get()  # a consumer taking chunks from a callback (_aio)
        if found is not None:  # only while this router reads a committed stream directly
            CHUNK_SINK.set(None)
        outcome: Outcome = "cancelled"
        failure: BaseException | None = None
        first: StreamChunk | None = None
        last: StreamChunk | None = None
        ttft: float | None = None
        chunks = 0
        try:
            deadline_at = start + (request.deadline_s or self.deadline_s)
            base = request.replace(deadline_at=deadline_at, model=None)
            if buffered:
                try:
                    whole = await buffer_whole(run, base, self._open, self._stopped, hook)
                finally:
                    if announce:
                        announce = _announce(hook, run)
                first, last, chunks, ttft = whole[0], whole[-1], len(whole), self._clock() - start
                for chunk in whole:
                    yield chunk
                outcome = "success"
                return
            try:
                cand, opened = await self._open(run, base)
            finally:
                if announce:
                    announce = _announce(hook, run)
            ttft = self._clock() - start
            first = last = opened.first
            ended: BaseException | None = None
            tally = Tally(first)
            try:
                try:  # after the commit point the innermost stream is read directly
                    yield first
                    # and its chunks may come from its callback, to a sink offered from
                    # the start or once the consumer had the first chunk (the gateway's)
                    offer = tally.offer = found or CHUNK_SINK.get()
                    if offer is not None:
                        CHUNK_SINK.set(tally.put)
                    async for chunk in opened.rest:
                        tally.count += 1
                        tally.last = chunk
                        yield chunk
                except BaseException as exc:
                    ended = exc
                    raise
                finally:
                    if tally.offer is not None:  # never to a rescue's streams
                        CHUNK_SINK.set(None)
                    chunks, last = tally.count, tally.last
                    await opened.finish(ended)
                    self._stopped(run.request_id, cand)
            except StreamInterrupted as broke:
                config = res.route.rescue or self.rescue
                if not config.enabled or not run.fails_over(broke.cause):
                    raise  # a refusal is not routed around, after commit as before it
                rescue = Rescue(config, order, base, clock=self._clock, hook=hook)
                async with closing(rescue.stream(cand, broke, start)) as rescued:
                    async for last in rescued:
                        chunks += 1
                        yield last
            outcome = "success"
        except StreamInterrupted as exc:
            outcome, failure = "interrupted", exc
            raise
        except GeneratorExit:
            if last is not None and last.finish_reason is not None:
                outcome = "success"  # the consumer stopped after the finish signal
            raise
        except Exception as exc:
            outcome, failure = "error", exc
            raise
        finally:
            if found is not None:
                CHUNK_SINK.set(found)
            if hook is not None:
                now = self._clock()
                hook(StreamEnded(run.record(outcome, failure, first, last, chunks, ttft, now)))

    async def _open(self, run: Run, base: ChatRequest) -> _Opened:
        """The failover loop: the first candidate whose first chunk arrives wins."""
        attempts: list[Attempt] = []
        window_floor: int | None = None
        assert base.deadline_at is not None
        needs: Needs | None = None  # what a candidate must be able to serve (§4.6)
        for i, cand in enumerate(run.order):
            run.current = cand
            request = base if cand.model is None else base.replace(model=cand.model)
            if needs is None and not cand.capabilities.admits_all:
                needs = Needs.of(base)  # read once, for the first candidate that limits
            skip = skip_reason(cand, window_floor, needs, request)
            if skip is not None:
                attempts.append(Attempt(cand.deployment, skip))
                run.fell_back(i, skip.reason, self.hook, skip_detail(skip))
                continue
            left = base.deadline_at - self._clock()
            if left <= 0:
                raise deadline_error(cand, attempts) from (attempts[-1].error if attempts else None)
            self._started(run.request_id, cand)
            scope = asyncio.timeout(left)
            try:
                async with scope:
                    opened = await open_stream(cand.provider, request, cand.deployment)
            except BaseException as exc:
                self._stopped(run.request_id, cand)
                if isinstance(exc, TimeoutError) and scope.expired():
                    raise deadline_error(cand, attempts) from exc
                if not isinstance(exc, ProviderError) or not run.fails_over(exc):
                    raise
                attempts.append(Attempt(cand.deployment, exc))
                if isinstance(exc, ContextWindowExceeded) and cand.context_window is not None:
                    window_floor = max(window_floor or 0, cand.context_window)
                run.fell_back(i, exc.reason, self.hook)
                continue
            return cand, opened
        raise AllProvidersFailed(attempts, route=run.resolution.route.name)

    def _started(self, request_id: str, cand: Candidate) -> None:
        self._inflight[cand.deployment] = self._inflight.get(cand.deployment, 0) + 1
        if self.hook is not None:
            self.hook(StreamStarted(request_id, cand.deployment))

    def _stopped(self, request_id: str, cand: Candidate) -> None:
        self._inflight[cand.deployment] -= 1
        if self.hook is not None:
            self.hook(StreamStopped(request_id, cand.deployment))


class Tally:
    """What has passed through a committed stream: how many chunks and the last one,
    whether yielded or handed to the consumer from the provider's callback (``put``,
    set as :data:`~llm_router._aio.CHUNK_SINK` while the router reads the stream)."""

    __slots__ = ("count", "last", "offer")

    def __init__(self, first: StreamChunk) -> None:
        self.offer: Sink | None = None
        """The consumer's sink, once the router reads on past the first chunk."""
        self.count = 1
        self.last = first

    def put(self, chunks: list[StreamChunk]) -> tuple[int, bool]:
        """Hand ``chunks`` to the consumer's sink and count those it took."""
        assert self.offer is not None  # put is set only with an offer
        taken, more = self.offer(chunks)
        if taken:
            self.count += taken
            self.last = chunks[taken - 1]
        return taken, more


def _announce(hook: Hook | None, run: Run) -> bool:
    """Report the stream's task and route to ``hook``; ``False`` (now announced)."""
    if hook is not None:
        res = run.resolution
        hook(TaskDetected(run.request_id, res.task, res.reasons))
        deployments = tuple([c.deployment for c in run.planned])
        hook(RouteSelected(run.request_id, res.task, res.route.name, deployments))
    return False


def _settle_soon(res: Resolution) -> None:
    """Detect ``res``'s label once the request is out and the upstream is working on it.

    It runs :data:`SETTLE_AFTER` seconds from now, when the request has long been
    written (aiohttp writes a body from a task of its own, a loop turn or more after
    the opening first waits) and the upstream is preparing its first token, which
    takes an LLM far longer. If the answer comes first, the label is detected when
    the gateway's header or the stream's record reads it."""
    asyncio.get_running_loop().call_later(SETTLE_AFTER, res.settle)


SETTLE_AFTER = 0.002
"""Seconds after a stream starts opening when a deferred task label is detected."""
