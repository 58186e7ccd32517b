"""One pooled, keep-alive aiohttp ``ClientSession`` per running event loop.

Every HTTP provider built without ``session=`` uses it, so streams to the same upstream
reuse connections. The builder's ``Assembly.aclose()`` (and so ``Router.aclose()`` of
a router it built) calls :func:`close_shared_sessions`.

The environment's proxy settings (``HTTP(S)_PROXY``, ``NO_PROXY``) and ``.netrc``
credentials apply as with aiohttp's ``trust_env=True``, but they are read once per
upstream origin (:func:`env_options`) rather than in a worker thread on every request:
two thread hops per stream cost more than everything else the library does per stream.

Stale keep-alive connections: a server may advertise keep-alive and still close the
connection after a response (llama.cpp's ``llama-server`` does, after every streamed
one). If the pool hands that connection out before the close is seen, the request fails
while being written, or sees EOF before any byte of the answer: it never reached the
server. :func:`post` then sends it once more, at once, on a fresh connection, and the
failure is never seen by Retry or the breaker (httpcore and Go's ``net/http`` do the
same). Telling a reused connection from a fresh one takes :class:`PoolConnector` (the
shared session's connector; pass one in your own session to get the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import weakref
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from yarl import URL

from llm_router.providers._eager import EagerRequest

if TYPE_CHECKING:
    from aiohttp.tracing import Trace

_REQUEST = EagerRequest if sys.version_info < (3, 12) else ClientRequest
"""The shared session's request class: the body leaves with the headers (``_eager``)."""

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
        connector = PoolConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=False)
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=False,  # see env_options(): the same settings, read once
            request_class=_REQUEST,
        )
        _sessions[loop] = session
    return session


class _Lease:
    """One request's view of its connection: was it reused; must the next be fresh."""

    __slots__ = ("fresh", "reused")

    def __init__(self) -> None:
        self.reused = False
        self.fresh = False


_lease: ContextVar[_Lease | None] = ContextVar("llm_router_lease", default=None)


_received = ResponseHandler.data_received  # called directly: this runs once per read


class ReadingResponseHandler(ResponseHandler):
    """aiohttp's client connection protocol with one hook, :attr:`after_read`: called
    once a read's bytes have all been handled, however many HTTP chunks they held (the
    push path flushes the gateway's writer there, so what one read brought leaves in
    one write, as on the awaiting path: ``providers/_tap.py``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.after_read: Callable[[], None] | None = None
        """Set while a stream's tap is attached; never raises."""

    def data_received(self, data: bytes) -> None:
        """aiohttp's, then :attr:`after_read`."""
        _received(self, data)
        after = self.after_read
        if after is not None:
            after()

    def resume_reading(self, resume_parser: bool = True) -> None:
        """aiohttp's, only when reading is paused.

        aiohttp 3.14's ``StreamReader`` calls this for every HTTP chunk it hands out,
        paused or not, and each call parses an empty read again (``data_received(b"")``):
        at 200 events per stream, the largest single cost of a fast stream. Only a
        pause leaves anything to resume: the parser holds back bytes (a decompressed
        body's rest) only once ``pause_reading`` has paused it, which sets the flag
        tested here, as aiohttp's own ``FlowControlDataQueue`` tests it.
        """
        # (``_buffer_paused``, a pause for the protocol's own buffer, is new in 3.14)
        if self._reading_paused or getattr(self, "_buffer_paused", False):
            super().resume_reading(resume_parser)


class PoolConnector(aiohttp.TCPConnector):
    """A ``TCPConnector`` that tells :func:`post` whether a request's connection came
    from the pool, and gives its resend a fresh one (closing idle connections it would
    otherwise reuse: they are suspect, and reconnecting costs one handshake).

    Connections are told apart by remembering (weakly) every connection handed out.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._served: weakref.WeakSet[ResponseHandler] = weakref.WeakSet()
        factory = functools.partial(ReadingResponseHandler, loop=self._loop)
        self._factory = cast("functools.partial[ResponseHandler]", factory)  # a subclass

    async def connect(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's signature, by keyword
    ) -> Connection:
        """A connection for ``req``: pooled, or fresh when :func:`post` resends."""
        lease = _lease.get()
        while True:
            conn = await super().connect(req, traces, timeout)
            proto = conn.protocol
            if proto is None:  # pragma: no cover - aiohttp always sets it
                return conn
            if proto not in self._served:
                self._served.add(proto)
                return conn
            if lease is None:
                return conn
            if not lease.fresh:
                lease.reused = True
                return conn
            # Each pass closes one pooled connection, and (without trace hooks) taking
            # one does not suspend, so nothing refills the pool meanwhile: the loop ends
            # at the first fresh connection.
            conn.close()


async def post(
    session: aiohttp.ClientSession,
    url: str,
    *,
    json: Any,
    headers: Mapping[str, str],
    client_timeout: aiohttp.ClientTimeout,
    options: Mapping[str, Any],
) -> aiohttp.ClientResponse:
    """``session.post(...)``, sent once more on a fresh connection when it failed on a
    reused one before any answer (a stale keep-alive: see the module docstring).

    A timeout is never resent (the server may be working on the request), nor a
    failure on a fresh connection (the server itself is failing). Without a
    :class:`PoolConnector` every request looks fresh, so nothing is resent.
    """
    lease = _Lease()
    token = _lease.set(lease)
    try:
        try:
            return await session.post(
                url, json=json, headers=headers, timeout=client_timeout, **options
            )
        except aiohttp.ClientConnectionError as exc:
            if not lease.reused or isinstance(exc, TimeoutError):
                raise
        lease.fresh = True
        return await session.post(
            url, json=json, headers=headers, timeout=client_timeout, **options
        )
    finally:
        _lease.reset(token)


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


__all__ = ["PoolConnector", "close_shared_sessions", "env_options", "post", "shared_session"]
