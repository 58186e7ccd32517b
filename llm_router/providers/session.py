"""One pooled, keep-alive aiohttp ``ClientSession`` per running event loop.

Every HTTP provider built without ``session=`` uses it, so streams to the same upstream
reuse connections. The builder's ``Assembly.aclose()`` (and so ``Router.aclose()`` of
a router it built) calls :func:`close_shared_sessions`.

The environment's proxy settings (``HTTP(S)_PROXY``, ``NO_PROXY``) and ``.netrc``
credentials apply as with aiohttp's ``trust_env=True``, but they are read once per
upstream origin (:func:`env_options`) rather than in a worker thread on every request:
two thread hops per stream cost more than everything else the library does per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from yarl import URL

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
            trust_env=False,  # see env_options(): the same settings, read once
        )
        _sessions[loop] = session
    return session


_env: dict[str, Mapping[str, Any]] = {}


def _read_env(url: URL) -> Mapping[str, Any]:
    """What aiohttp's ``trust_env`` would add to a request to ``url`` (blocking I/O)."""
    options: dict[str, Any] = {}
    with contextlib.suppress(LookupError):  # no proxy for this URL
        options["proxy"], options["proxy_auth"] = get_env_proxy_for_url(url)
    if url.host is not None:
        with contextlib.suppress(LookupError):  # no .netrc, or no entry for the host
            options["auth"] = basicauth_from_netrc(netrc_from_env(), url.host)
    return options


async def env_options(base_url: str) -> Mapping[str, Any]:
    """Request options (``proxy``, ``proxy_auth``, ``auth``) that the environment gives
    requests to ``base_url``'s origin, read once (in a thread: ``.netrc`` is a file)
    and then cached until :func:`close_shared_sessions`."""
    options = _env.get(base_url)
    if options is None:
        options = _env[base_url] = await asyncio.to_thread(_read_env, URL(base_url))
    return options


async def close_shared_sessions() -> None:
    """Close the current loop's shared session (a no-op if there is none) and forget
    the environment settings read so far (the next stream reads them again)."""
    _env.clear()
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None and not session.closed:
        await session.close()


__all__ = ["close_shared_sessions", "env_options", "shared_session"]
