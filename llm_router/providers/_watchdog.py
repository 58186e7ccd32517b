"""The per-stream timeout watchdog of :mod:`._http`, and its body-reading helpers.

One timer per stream instead of a timeout per read: each read stores a float, and the
timer, when it fires, checks whether a deadline really passed (re-arming otherwise).
If one did, it fails the pending read and closes the response, so the upstream sees
the disconnect at once.
"""

from __future__ import annotations

import asyncio

import aiohttp

from llm_router import errors
from llm_router.config import Timeouts

INF = float("inf")
MAX_ERROR_BODY = 64 * 1024


class Expired(Exception):
    """Set on the response body by the watchdog to wake the pending read."""


class Watchdog:
    """One timer per stream enforcing ``first_token``, ``idle``, ``total`` and the
    trailer grace. ``since`` is when the current read started (``inf`` while the
    generator is suspended at a yield, so a slow consumer is never an idle upstream)."""

    __slots__ = (
        "committed",
        "fired",
        "first_at",
        "grace_at",
        "handle",
        "idle",
        "loop",
        "resp",
        "since",
        "total_at",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        resp: aiohttp.ClientResponse,
        first_at: float,
        total_at: float,
        idle: float,
    ) -> None:
        self.loop = loop
        self.resp = resp
        self.first_at = first_at
        self.total_at = total_at
        self.idle = idle
        self.since = INF
        self.committed = False
        self.grace_at = INF
        self.fired: str | None = None
        self.handle: asyncio.TimerHandle | None = loop.call_at(min(first_at, total_at), self._check)

    def commit(self) -> None:
        """The first chunk is out: from now on ``idle`` applies (re-arm once)."""
        self.committed = True
        at = min(self.loop.time() + self.idle, self.total_at, self.grace_at)
        if self.handle is not None and self.handle.when() > at:
            self.handle.cancel()
            self.handle = self.loop.call_at(at, self._check)

    def arm_grace(self, at: float) -> None:
        """After the finish signal: stop waiting for trailing events at ``at``."""
        self.grace_at = at
        if self.handle is not None and self.handle.when() > at:
            self.handle.cancel()
            self.handle = self.loop.call_at(at, self._check)

    def cancel(self) -> None:
        """Stop the timer (the stream is over)."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _check(self) -> None:
        now = self.loop.time()
        if now >= self.total_at:
            return self._fire("total")
        if now >= self.grace_at:
            return self._fire("grace")
        if not self.committed:
            if now >= self.first_at:
                return self._fire("first_token")
            nxt = self.first_at
        elif now - self.since >= self.idle:
            return self._fire("idle")
        else:
            nxt = min(self.since, now) + self.idle
        self.handle = self.loop.call_at(min(nxt, self.total_at, self.grace_at), self._check)

    def _fire(self, kind: str) -> None:
        self.fired = kind
        self.handle = None
        self.resp.content.set_exception(Expired(kind))
        self.resp.close()


async def read_bounded(content: aiohttp.StreamReader) -> bytes:
    """An error body, at most ``MAX_ERROR_BODY`` bytes of it."""
    parts: list[bytes] = []
    size = 0
    while size < MAX_ERROR_BODY:
        data = await content.readany()
        if not data:
            break
        parts.append(data)
        size += len(data)
    return b"".join(parts)[:MAX_ERROR_BODY]


async def drain(
    content: aiohttp.StreamReader,
    wd: Watchdog,
    loop: asyncio.AbstractEventLoop,
    grace: float,
) -> bool:
    """Read to EOF (bounded by ``grace``) so the connection can be reused; True if EOF."""
    if content.at_eof():
        return True
    if wd.grace_at == INF:
        wd.arm_grace(loop.time() + grace)
    try:
        while await content.readany():
            pass
    except (aiohttp.ClientError, OSError, Expired):
        return False
    return wd.fired is None


def timeout_error(kind: str, t: Timeouts, provider: str, model: str) -> errors.ProviderError:
    """The typed error for a timeout of ``kind`` (``total``, ``idle``, ``first_token``)."""
    if kind == "total":
        return errors.TotalTimeout(
            f"stream exceeded total {t.total:g}s", provider=provider, model=model
        )
    if kind == "idle":
        return errors.IdleTimeout(f"no data for {t.idle:g}s", provider=provider, model=model)
    return errors.FirstTokenTimeout(
        f"no first token within {t.first_token:g}s", provider=provider, model=model
    )


def read_error(
    wd: Watchdog, exc: BaseException, t: Timeouts, provider: str, model: str
) -> errors.ProviderError:
    """The typed error for a failed read: the watchdog's timeout if it fired, else a
    lost connection (``ProtocolError`` once committed, ``ConnectError`` before)."""
    if wd.fired is not None:
        return timeout_error(wd.fired, t, provider, model)
    cls = errors.ProtocolError if wd.committed else errors.ConnectError
    detail = str(exc) or type(exc).__name__
    return cls(f"connection lost while streaming: {detail}", provider=provider, model=model)
