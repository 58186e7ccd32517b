"""Breaker state shared between processes through Redis (docs/DESIGN.md §4.1).

Every process decides locally; Redis only carries transitions, in the background:

- a local ``open``/``closed`` transition is queued (``publish`` returns at once) and a
  writer task PUBLISHes ``{deployment, state, retry_in, period, origin}`` on
  ``<prefix>events`` and SETs ``<prefix>state:<deployment>`` while open, with a TTL
  equal to the time left until the trial (the key's PTTL *is* the remaining open time,
  so no clocks are compared between hosts); ``period`` is the breaker's nominal open
  period, which the next failed trial doubles on whichever replica sends it; a close
  deletes the key;
- a reader task subscribed to the channel applies other processes' transitions to the
  local breakers (:meth:`CircuitBreaker.apply_shared`, never re-published; messages
  carrying our own ``origin`` are ignored), and on every (re)connect reads the keys
  of its deployments to catch up;
- the half-open trial is cluster-wide: before a local trial goes out, ``claim_trial``
  SETs ``<prefix>trial:<deployment>`` NX with a bounded TTL (``trial_ttl``, so a
  crashed holder blocks trials for at most that long) in one round trip of at most
  ``claim_timeout`` (the round trip runs in a task of its own that the trial waits for
  no longer, even when Redis is frozen with its socket open but silent); the losers
  refuse trials locally (``CircuitOpen``) until the result propagates or
  ``trial_recheck`` passes. The holder deletes the key (only if still its own) when
  its trial ends, whatever the outcome. Redis unavailable or slow: the local decision
  stands (one trial per process).

When Redis is unreachable, at start or later, breakers keep working on local state:
one ``circuit.shared_unavailable`` warning is logged per outage (the URL without its
password), and the reader reconnects with exponential backoff. Open transitions made
during an outage are shared on reconnect if still open; closes are not (safe side).
pybreaker's ``CircuitRedisStorage`` is not used: it blocks on Redis at every read.

This module holds the public object, its queue and its lifecycle; the reader and writer
tasks are in :mod:`llm_router.layers.breaker._redis_tasks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from llm_router.layers.breaker._core import CircuitBreaker
from llm_router.layers.breaker._redis_tasks import ERRORS, claim, read_loop, write_loop
from llm_router.observe import BreakerState
from llm_router.types import Sleep


def redact_url(url: str) -> str:
    """``url`` with any password removed (safe for logs and errors)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{user}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=netloc))


class RedisBreakerState:
    """A :class:`~llm_router.layers.breaker.SharedBreakerState` backed by Redis.

    Use as ``async with RedisBreakerState(url) as shared:`` (or ``await start()`` …
    ``await aclose()``) and pass ``shared=`` to each :class:`CircuitBreaker`. One
    instance per process is enough (it holds one connection pool and one
    subscription); ``origin`` identifies it in messages.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "llm_router:breaker:",
        origin: str | None = None,
        connect_timeout: float = 1.0,
        ping_interval: float = 5.0,
        backoff_initial: float = 0.05,
        backoff_max: float = 5.0,
        sleep: Sleep = asyncio.sleep,
        trial_ttl: float = 60.0,
        trial_recheck: float = 1.0,
        claim_timeout: float = 0.05,
    ) -> None:
        self._url = url
        self.safe_url = redact_url(url)
        self.prefix = prefix
        self.channel = f"{prefix}events"
        self.origin = origin or uuid.uuid4().hex
        self._connect_timeout = connect_timeout
        self._ping_interval = ping_interval
        self._backoff = (backoff_initial, backoff_max)
        self._sleep = sleep
        self._trial = (trial_ttl, trial_recheck, claim_timeout)
        self._claims: dict[object, tuple[str, str]] = {}
        self._claiming: set[asyncio.Task[Any]] = set()
        self._releases: list[tuple[str, str]] = []
        self._breakers: dict[str, list[CircuitBreaker]] = {}
        self._pending: dict[str, tuple[BreakerState, float, float]] = {}
        self._to_read: set[str] = set()
        self._wake = asyncio.Event()
        self._client: aioredis.Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._outage = False
        self._up = asyncio.Event()
        self._down = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def available(self) -> bool:
        """Whether the subscription to Redis is currently up."""
        return self._up.is_set()

    async def wait_available(self, available: bool = True) -> None:
        """Wait until the subscription is up (or, with ``False``, down); bound it with
        ``asyncio.timeout``. For readiness checks and tests."""
        await (self._up if available else self._down).wait()

    async def flushed(self) -> None:
        """Wait until every queued transition, trial release and catch-up read was done
        (or failed: Redis down)."""
        await self._idle.wait()

    def key(self, deployment: str) -> str:
        """The Redis key holding ``deployment``'s open state."""
        return f"{self.prefix}state:{deployment}"

    def trial_key(self, deployment: str) -> str:
        """The Redis key holding the id of the process sending ``deployment``'s trial."""
        return f"{self.prefix}trial:{deployment}"

    async def claim_trial(self, breaker: CircuitBreaker, token: object) -> float | None:
        """Claim ``breaker.deployment``'s cluster-wide half-open trial (SET NX PX).

        ``None`` when claimed, or when Redis is unavailable or slower than
        ``claim_timeout`` (the local decision stands); otherwise the seconds for which
        the local breaker should refuse trials (another process holds the token).

        The round trip runs in its own task, and the trial waits for it at most
        ``claim_timeout``: how long the trial waits never depends on the Redis client
        giving up in time (a frozen server keeps its socket open and silent, and the
        client's cleanup after a cancellation may itself wait on that socket).
        """
        ttl, recheck, timeout = self._trial
        if self._client is None or not self.available:
            return None
        key = self.trial_key(breaker.deployment)
        value = f"{self.origin}:{uuid.uuid4().hex}"
        self._claims[token] = (key, value)  # released even if the SET lands after a timeout
        task = asyncio.create_task(claim(self._client, key, value, ttl))
        self._claiming.add(task)
        task.add_done_callback(self._claimed)
        try:
            done, _ = await asyncio.wait((task,), timeout=timeout)
        finally:
            if not task.done():
                task.cancel()
        if not done or task.cancelled():
            return None
        failure = task.exception()
        if isinstance(failure, ERRORS):
            return None
        won, pttl = task.result()  # raises any other failure
        if won:
            return None
        del self._claims[token]
        left = pttl / 1000 if isinstance(pttl, int) and pttl > 0 else recheck
        return min(left, recheck)

    def _claimed(self, task: asyncio.Task[Any]) -> None:
        self._claiming.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a late failure is expected, not an error

    def release_trial(self, token: object) -> None:
        """Queue the deletion of the trial key claimed for ``token``; never waits."""
        claim = self._claims.pop(token, None)
        if claim is not None:
            self._releases.append(claim)
            self._idle.clear()
            self._wake.set()

    def attach(self, breaker: CircuitBreaker) -> None:
        """Deliver remote transitions of ``breaker.deployment`` to ``breaker``."""
        self._breakers.setdefault(breaker.deployment, []).append(breaker)
        self._to_read.add(breaker.deployment)
        self._idle.clear()  # flushed() also waits for the catch-up read
        self._wake.set()

    def detach(self, breaker: CircuitBreaker) -> None:
        """Stop delivering transitions to ``breaker``."""
        siblings = self._breakers.get(breaker.deployment, [])
        if breaker in siblings:
            siblings.remove(breaker)

    def publish(self, breaker: CircuitBreaker, state: BreakerState, retry_in: float | None) -> None:
        """Queue ``breaker``'s local transition for the writer task; never waits."""
        if state == "half_open":
            return
        deployment = breaker.deployment
        until = time.monotonic() + (retry_in or 0.0)
        period = breaker.nominal_period
        self._pending[deployment] = (state, until, period)
        self._idle.clear()
        self._wake.set()
        for sibling in self._breakers.get(deployment, ()):
            if sibling is not breaker:  # another breaker of this process, same deployment
                sibling.apply_shared(state, retry_in, period)

    async def start(self) -> None:
        """Connect and subscribe in the background; returns after the first attempt
        (successful or not), never raises because Redis is unreachable."""
        if self._tasks:
            return
        self._client = aioredis.from_url(
            self._url,
            socket_connect_timeout=self._connect_timeout,
            socket_timeout=max(self._connect_timeout, 2 * self._ping_interval),
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        first = asyncio.Event()
        self._tasks = [
            asyncio.create_task(read_loop(self, first), name="llm_router.breaker.redis.read"),
            asyncio.create_task(write_loop(self), name="llm_router.breaker.redis.write"),
        ]
        await first.wait()

    async def aclose(self) -> None:
        """Stop the background tasks and close every connection."""
        tasks, self._tasks = self._tasks, []
        claims = list(self._claiming)
        for task in tasks + claims:
            task.cancel()
        self._wake.set()  # in case redis-py swallowed the cancellation (3.11 wait_for race)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        await asyncio.gather(*claims, return_exceptions=True)  # their sockets are closed
        self._set_available(False)

    async def __aenter__(self) -> RedisBreakerState:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _set_available(self, up: bool) -> None:
        (self._up if up else self._down).set()
        (self._down if up else self._up).clear()


__all__ = ["RedisBreakerState", "redact_url"]
