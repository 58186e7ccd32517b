"""Breaker state shared between processes through Redis (SPEC §4.1).

Every process decides locally; Redis only carries transitions, in the background:

- a local ``open``/``closed`` transition is queued (``publish`` returns at once) and a
  writer task PUBLISHes ``{deployment, state, retry_in, origin}`` on
  ``<prefix>events`` and SETs ``<prefix>state:<deployment>`` while open, with a TTL
  equal to the time left until the trial (the key's PTTL *is* the remaining open time,
  so no clocks are compared between hosts); a close deletes the key;
- a reader task subscribed to the channel applies other processes' transitions to the
  local breakers (:meth:`CircuitBreaker.apply_shared`, never re-published; messages
  carrying our own ``origin`` are ignored), and on every (re)connect reads the keys
  of its deployments to catch up.

When Redis is unreachable, at start or later, breakers keep working on local state:
one ``circuit.shared_unavailable`` warning is logged per outage (the URL without its
password), and the reader reconnects with exponential backoff. Open transitions made
during an outage are shared on reconnect if still open; closes are not (safe side).
pybreaker's ``CircuitRedisStorage`` is not used: it blocks on Redis at every read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import structlog
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from llm_router.layers.breaker import CircuitBreaker
from llm_router.observe import BreakerState
from llm_router.types import Sleep

_log = structlog.get_logger("llm_router")
_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


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
        self._breakers: dict[str, list[CircuitBreaker]] = {}
        self._pending: dict[str, tuple[BreakerState, float]] = {}
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
        """Wait until every queued transition was written (or failed to: Redis down)."""
        await self._idle.wait()

    def key(self, deployment: str) -> str:
        """The Redis key holding ``deployment``'s open state."""
        return f"{self.prefix}state:{deployment}"

    def attach(self, breaker: CircuitBreaker) -> None:
        """Deliver remote transitions of ``breaker.deployment`` to ``breaker``."""
        self._breakers.setdefault(breaker.deployment, []).append(breaker)
        self._to_read.add(breaker.deployment)
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
        self._pending[deployment] = (state, until)
        self._idle.clear()
        self._wake.set()
        for sibling in self._breakers.get(deployment, ()):
            if sibling is not breaker:  # another breaker of this process, same deployment
                sibling.apply_shared(state, retry_in)

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
            asyncio.create_task(self._read_loop(first), name="llm_router.breaker.redis.read"),
            asyncio.create_task(self._write_loop(), name="llm_router.breaker.redis.write"),
        ]
        await first.wait()

    async def aclose(self) -> None:
        """Stop the background tasks and close every connection."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        self._wake.set()  # in case redis-py swallowed the cancellation (3.11 wait_for race)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        self._set_available(False)

    async def __aenter__(self) -> RedisBreakerState:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _read_loop(self, first: asyncio.Event) -> None:
        assert self._client is not None
        delay = self._backoff[0]
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                await self._catch_up(list(self._breakers))
                self._connected()
                first.set()
                delay = self._backoff[0]
                while True:
                    _raise_if_cancelled()
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self._ping_interval
                    )
                    if message is None:
                        await pubsub.ping()
                    elif message["type"] == "message":
                        self._on_message(message["data"])
            except _ERRORS as exc:
                self._set_available(False)
                self._unavailable(exc)
                first.set()
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            _raise_if_cancelled()
            await self._sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            pending, self._pending = self._pending, {}
            to_read, self._to_read = self._to_read, set()
            try:
                if to_read and self.available:
                    await self._catch_up(to_read)
                if pending:
                    await self._write(pending)
            except _ERRORS as exc:
                self._unavailable(exc)
                for deployment, (state, until) in pending.items():
                    if state == "open":  # re-shared on reconnect while still open
                        self._pending.setdefault(deployment, (state, until))
            _raise_if_cancelled()
            if not self._wake.is_set():
                self._idle.set()

    async def _write(self, pending: dict[str, tuple[BreakerState, float]]) -> None:
        assert self._client is not None
        now = time.monotonic()
        async with self._client.pipeline(transaction=False) as pipe:
            for deployment, (state, until) in pending.items():
                retry_in = max(until - now, 0.0)
                if state == "open" and retry_in <= 0:
                    continue
                body = {"deployment": deployment, "state": state, "origin": self.origin}
                if state == "open":
                    value = json.dumps({**body, "retry_in": retry_in})
                    pipe.set(self.key(deployment), value, px=max(int(retry_in * 1000), 1))
                else:
                    value = json.dumps(body)
                    pipe.delete(self.key(deployment))
                pipe.publish(self.channel, value)
            await pipe.execute()

    async def _catch_up(self, deployments: Iterable[str]) -> None:
        """Adopt the open states other processes stored while we were not listening."""
        assert self._client is not None
        names = [d for d in deployments if self._breakers.get(d)]
        if not names:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.get(self.key(name))
                pipe.pttl(self.key(name))
            replies = await pipe.execute()
        for i in range(len(names)):
            raw, pttl = replies[2 * i], replies[2 * i + 1]
            if raw is not None and isinstance(pttl, int) and pttl > 0:
                self._apply(_decode(raw), retry_in=pttl / 1000)

    def _on_message(self, data: Any) -> None:
        body = _decode(data)
        if body is not None:
            retry_in = body.get("retry_in")
            self._apply(body, retry_in=retry_in if isinstance(retry_in, int | float) else None)

    def _apply(self, body: dict[str, Any] | None, *, retry_in: float | None) -> None:
        if body is None or body.get("origin") == self.origin:
            return
        state = body.get("state")
        if state not in ("open", "closed"):
            return
        for breaker in self._breakers.get(str(body.get("deployment")), ()):
            breaker.apply_shared(state, retry_in)

    def _set_available(self, up: bool) -> None:
        (self._up if up else self._down).set()
        (self._down if up else self._up).clear()

    def _connected(self) -> None:
        self._set_available(True)
        if self._outage:
            self._outage = False
            _log.info("circuit.shared_available", url=self.safe_url)
        if self._pending:
            self._wake.set()

    def _unavailable(self, exc: BaseException) -> None:
        if not self._outage:
            self._outage = True
            _log.warning(
                "circuit.shared_unavailable",
                url=self.safe_url,
                error=type(exc).__name__,
                fallback="local",
            )


def _raise_if_cancelled() -> None:
    """Re-raise a cancellation that a library call swallowed (Python 3.11's
    ``asyncio.wait_for`` can drop one when its inner call completes at the same time)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _decode(raw: Any) -> dict[str, Any] | None:
    try:
        body = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


__all__ = ["RedisBreakerState", "redact_url"]
