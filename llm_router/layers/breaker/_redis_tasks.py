"""The two background tasks of :class:`~llm_router.layers.breaker.redis.RedisBreakerState`.

- :func:`read_loop`, the pub/sub listener: subscribes to ``<prefix>events``, catches up
  from the ``<prefix>state:<deployment>`` keys on every (re)connect, applies other
  processes' transitions to the local breakers and reconnects with exponential backoff;
- :func:`write_loop`, the key storage: drains the queue of local transitions into one
  pipeline each time it wakes (SET with a TTL while open, DEL on close, one PUBLISH per
  transition, then the release of finished trials' tokens: DEL if still ours).

Both work on the fields of ``shared`` (the state object) directly: with it they are
one component, kept in two modules only so that each reads in one sitting. Redis errors
never escape them; they mark the shared state unavailable and log one warning per
outage.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import structlog
from redis.exceptions import RedisError

from llm_router.observe import BreakerState

if TYPE_CHECKING:
    from llm_router.layers.breaker.redis import RedisBreakerState

_log = structlog.get_logger("llm_router")
ERRORS = (RedisError, OSError, asyncio.TimeoutError)
"""What a Redis call may raise when the server is down, slow or gone."""
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""


async def read_loop(shared: RedisBreakerState, first: asyncio.Event) -> None:
    """Subscribe and apply remote transitions until cancelled; ``first`` is set after
    the first attempt, successful or not."""
    assert shared._client is not None
    delay = shared._backoff[0]
    while True:
        pubsub = shared._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(shared.channel)
            await _catch_up(shared, list(shared._breakers))
            _connected(shared)
            first.set()
            delay = shared._backoff[0]
            while True:
                _raise_if_cancelled()
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=shared._ping_interval
                )
                if message is None:
                    await pubsub.ping()
                elif message["type"] == "message":
                    _on_message(shared, message["data"])
        except ERRORS as exc:
            shared._set_available(False)
            _unavailable(shared, exc)
            first.set()
        finally:
            await _aclose(pubsub)
        _raise_if_cancelled()
        await shared._sleep(delay)
        delay = min(delay * 2, shared._backoff[1])


async def claim(client: Any, key: str, value: str, ttl: float) -> tuple[Any, Any]:
    """One round trip: SET ``key`` to ``value`` NX with a TTL of ``ttl`` seconds, and
    read its PTTL. Returns (whether it was set, the PTTL in milliseconds)."""
    async with client.pipeline(transaction=False) as pipe:
        pipe.set(key, value, nx=True, px=max(int(ttl * 1000), 1))
        pipe.pttl(key)
        won, pttl = await pipe.execute()
    return won, pttl


async def _aclose(pubsub: Any) -> None:
    """Close a pub/sub connection; typed as ``Any`` because redis-py's annotations of
    ``aclose`` differ between minor releases."""
    closer: Callable[[], Awaitable[None]] = pubsub.aclose
    await closer()


async def write_loop(shared: RedisBreakerState) -> None:
    """Write queued transitions (and catch up newly attached deployments) until
    cancelled; sets ``shared._idle`` whenever the queue is drained."""
    while True:
        await shared._wake.wait()
        shared._wake.clear()
        pending, shared._pending = shared._pending, {}
        to_read, shared._to_read = shared._to_read, set()
        releases, shared._releases = shared._releases, []
        try:
            if to_read and shared.available:
                await _catch_up(shared, to_read)
            if pending or releases:
                await _write(shared, pending, releases)
        except ERRORS as exc:
            _unavailable(shared, exc)
            for deployment, entry in pending.items():
                if entry[0] == "open":  # re-shared on reconnect while still open
                    shared._pending.setdefault(deployment, entry)
        _raise_if_cancelled()
        if not shared._wake.is_set():
            shared._idle.set()


async def _write(
    shared: RedisBreakerState,
    pending: dict[str, tuple[BreakerState, float, float]],
    releases: list[tuple[str, str]],
) -> None:
    assert shared._client is not None
    now = time.monotonic()
    async with shared._client.pipeline(transaction=False) as pipe:
        for deployment, (state, until, period) in pending.items():
            retry_in = max(until - now, 0.0)
            if state == "open" and retry_in <= 0:
                continue
            body = {"deployment": deployment, "state": state, "origin": shared.origin}
            if state == "open":
                value = json.dumps({**body, "retry_in": retry_in, "period": period})
                pipe.set(shared.key(deployment), value, px=max(int(retry_in * 1000), 1))
            else:
                value = json.dumps(body)
                pipe.delete(shared.key(deployment))
            pipe.publish(shared.channel, value)
        for key, token in releases:  # after the outcome's PUBLISH: no trial before it is seen
            pipe.eval(_RELEASE, 1, key, token)
        await pipe.execute()


async def _catch_up(shared: RedisBreakerState, deployments: Iterable[str]) -> None:
    """Adopt the open states other processes stored while we were not listening."""
    assert shared._client is not None
    names = [d for d in deployments if shared._breakers.get(d)]
    if not names:
        return
    async with shared._client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.get(shared.key(name))
            pipe.pttl(shared.key(name))
        replies = await pipe.execute()
    for i in range(len(names)):
        raw, pttl = replies[2 * i], replies[2 * i + 1]
        if raw is not None and isinstance(pttl, int) and pttl > 0:
            _apply(shared, _decode(raw), retry_in=pttl / 1000)


def _on_message(shared: RedisBreakerState, data: Any) -> None:
    body = _decode(data)
    if body is not None:
        _apply(shared, body, retry_in=_number(body.get("retry_in")))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _apply(
    shared: RedisBreakerState, body: dict[str, Any] | None, *, retry_in: float | None
) -> None:
    if body is None or body.get("origin") == shared.origin:
        return
    state = body.get("state")
    if state not in ("open", "closed"):
        return
    period = _number(body.get("period"))
    for breaker in shared._breakers.get(str(body.get("deployment")), ()):
        breaker.apply_shared(state, retry_in, period)


def _connected(shared: RedisBreakerState) -> None:
    shared._set_available(True)
    if shared._outage:
        shared._outage = False
        _log.info("circuit.shared_available", url=shared.safe_url)
    if shared._pending:
        shared._wake.set()


def _unavailable(shared: RedisBreakerState, exc: BaseException) -> None:
    if not shared._outage:
        shared._outage = True
        _log.warning(
            "circuit.shared_unavailable",
            url=shared.safe_url,
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
