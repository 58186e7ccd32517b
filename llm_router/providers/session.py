"""One pooled, keep-alive aiohttp ``ClientSession`` per running event loop.

Every HTTP provider built without ``session=`` uses it, so streams to the same upstream
reuse connections. The router's ``aclose()`` calls :func:`close_shared_sessions`.
"""

from __future__ import annotations

import asyncio
import weakref

import aiohttp

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


def _purge_dead_loops() -> None:
    # A session references its loop, so entries never die on their own; drop those
    # whose loop is closed (their sockets went with the loop).
    for loop in [loop for loop in _sessions if loop.is_closed()]:
        session = _sessions.pop(loop)
        session.detach()


def shared_session() -> aiohttp.ClientSession:
    """The current event loop's shared session, created on first use.

    Must be called from a coroutine (it needs the running loop). The connection pool
    is unbounded: streams hold their connection for their whole length, and a bound
    would queue streams behind one another; upstreams apply their own limits.
    """
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        _purge_dead_loops()
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=False)
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=True,
        )
        _sessions[loop] = session
    return session


async def close_shared_sessions() -> None:
    """Close the current loop's shared session (a no-op if there is none)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None and not session.closed:
        await session.close()


__all__ = ["close_shared_sessions", "shared_session"]
