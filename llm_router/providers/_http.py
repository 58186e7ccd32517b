"""The shared HTTP streaming base of every concrete provider.

A subclass says how to build the request (:meth:`HTTPStreamProvider.build_request`)
and how to turn the upstream's events into chunks (a :class:`StreamDecoder`); the base
does the rest once: configuration checks (URL, model, API key from the environment),
connection, status → error mapping, SSE/NDJSON framing, malformed events, the finish
signal, timeouts and cancellation.

The class reads in the order of a stream: its configuration and subclass hooks, the
setup phase (:meth:`~HTTPStreamProvider._open`: sending the request under one
``asyncio.timeout_at`` — once more on a fresh connection if a stale keep-alive one
failed, see :func:`~llm_router.providers.session.post` — turning connection failures and
non-200 answers into typed errors), then the streaming loop, the per-chunk hot path:
each read's bytes become chunks through a :class:`~._feed.Feed`, awaited read by read
or, after the commit point and for a consumer that offers a sink
(:data:`llm_router._aio.CHUNK_SINK`), pushed from the upstream connection's callback
(:mod:`._tap`).
Timeouts cost nothing per chunk: while reading, one :class:`Watchdog` timer per stream
checks the deadlines when it fires (re-arming itself otherwise) and, if one passed,
fails the pending read; the generator then raises the typed error. Nothing is yielded
inside a timeout context.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Literal

import aiohttp
from yarl import URL

from llm_router import errors
from llm_router._aio import CHUNK_SINK, CLIENT_GONE, UPSTREAM_READS
from llm_router.accumulate import interrupted
from llm_router.capabilities import Capabilities
from llm_router.config import Timeouts
from llm_router.providers._decoder import StreamDecoder
from llm_router.providers._feed import Feed
from llm_router.providers._http_errors import map_http_error
from llm_router.providers._http_where import connect_error, locate_http_error
from llm_router.providers._tap import Tap, hand_over, tappable
from llm_router.providers._watchdog import (
    INF,
    Expired,
    Watchdog,
    drain,
    read_bounded,
    read_error,
    timeout_error,
)
from llm_router.providers.session import env_options, post, shared_session
from llm_router.types import ChatRequest, StreamChunk

_TRUNCATED = "truncated: stream ended without a finish signal"
DEFAULT_TIMEOUTS = Timeouts()
_NO_OPTIONS: Mapping[str, Any] = {}


class HTTPStreamProvider:
    """Base of the HTTP providers; subclasses set ``wire`` and ``env_var`` and implement
    :meth:`build_request` and :meth:`new_decoder` (and may refine :meth:`map_error`).

    ``api_key=None`` reads ``env_var`` (the class default unless the ``env_var``
    argument overrides it, e.g. Azure or OpenRouter behind one class); a missing or empty key (when
    ``require_api_key``) or a malformed ``base_url`` is a
    :class:`~llm_router.errors.ConfigurationError`. The key never appears in
    ``repr``, errors or logs.
    """

    wire: ClassVar[Literal["sse", "ndjson"]] = "sse"
    """The upstream's framing: Server-Sent Events or newline-delimited JSON."""
    env_var: ClassVar[str] = ""
    """The environment variable holding the API key."""
    default_base_url: ClassVar[str] = ""
    """``base_url`` when none is given (a subclass's public endpoint)."""
    default_name: ClassVar[str] = ""
    """``name`` when none is given."""
    key_required: ClassVar[bool] = True
    """``require_api_key`` when not given (False for servers that need no key)."""
    accepts_prefill: ClassVar[bool] = False
    """``prefill`` when not given: whether the API continues a final assistant message
    (used by stream rescue, DESIGN §4.5)."""
    default_capabilities: ClassVar[Capabilities] = Capabilities()
    """What the API can serve before a deployment's overrides (docs/DESIGN.md §4.6)."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        name: str | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        session: aiohttp.ClientSession | None = None,
        extra_headers: Mapping[str, str] | None = None,
        trailer_grace: float = 0.5,
        require_api_key: bool | None = None,
        env_var: str | None = None,
        prefill: bool | None = None,
    ) -> None:
        env_var = self.env_var if env_var is None else env_var
        base_url = self.default_base_url if base_url is None else base_url
        name = self.default_name if name is None else name
        require_api_key = self.key_required if require_api_key is None else require_api_key
        if not name or not isinstance(name, str):
            raise errors.ConfigurationError("provider name must be a non-empty string")
        if not model or not isinstance(model, str):
            raise errors.ConfigurationError(f"{name}: model must be a non-empty string")
        url = URL(base_url) if isinstance(base_url, str) else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise errors.ConfigurationError(
                f"{name}: base_url must be an http(s) URL with a host, got {base_url!r}"
            )
        if api_key is None and env_var:
            api_key = os.environ.get(env_var)
        if require_api_key and not api_key:
            where = f"set {env_var} or " if env_var else ""
            raise errors.ConfigurationError(
                f"{name}: no API key; {where}pass api_key= to {type(self).__name__}"
            )
        if trailer_grace < 0:
            raise errors.ConfigurationError(f"{name}: trailer_grace must be >= 0")
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts
        self.extra_headers: dict[str, str] = dict(extra_headers or {})
        self.trailer_grace = trailer_grace
        self.prefill = self.accepts_prefill if prefill is None else bool(prefill)
        """Whether this deployment continues a final assistant message (stream rescue)."""
        self._api_key = api_key or None
        self._session = session
        self._client_timeout = aiohttp.ClientTimeout(
            total=None, connect=timeouts.connect, sock_connect=timeouts.connect
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, model={self.model!r}, "
            f"base_url={self.base_url!r})"
        )

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL, headers and JSON body for ``request`` (subclasses implement)."""
        raise NotImplementedError

    @property
    def capabilities(self) -> Capabilities:
        """This provider's capabilities: its type's defaults, with its ``prefill``."""
        return self.default_capabilities.replace(prefill=self.prefill)

    def unsupported(self, request: ChatRequest) -> errors.Unsupported | None:
        """The option of ``request`` this API cannot honour, checked before any call
        (the router skips the candidate); ``None`` when it can serve it."""
        return None

    def decoder_for(self, request: ChatRequest, model: str) -> StreamDecoder:
        """A fresh decoder for one stream of ``request`` (default: :meth:`new_decoder`)."""
        return self.new_decoder(model)

    def new_decoder(self, model: str) -> StreamDecoder:
        """A fresh decoder for one stream (subclasses implement)."""
        raise NotImplementedError

    def map_error(
        self, status: int, body: bytes, headers: Mapping[str, str]
    ) -> errors.ProviderError:
        """The typed error for a non-200 answer (the common mapping; refine in subclasses)."""
        return map_http_error(status, body, headers, provider=self.name, model=self.model)

    def _grace(self, feed: Feed, wd: Watchdog, loop: asyncio.AbstractEventLoop) -> None:
        """After the finish signal, when a trailer may follow: wait for it that long."""
        if feed.decoder.finished and not feed.ended and wd.grace_at == INF:
            wd.arm_grace(loop.time() + self.trailer_grace)

    def _error(
        self, cls: type[errors.ProviderError], message: str, model: str
    ) -> errors.ProviderError:
        return cls(message, provider=self.name, model=model)

    # --- the setup phase -----------------------------------------------------------

    async def _open(
        self,
        request: ChatRequest,
        model: str,
        first_at: float,
        total_at: float,
        built: tuple[str, dict[str, str], dict[str, Any]] | None = None,
    ) -> aiohttp.ClientResponse:
        """Send the request (``built``: another call of the same API, else
        :meth:`build_request`'s) and return a 200 response (one timeout)."""
        url, headers, body = self.build_request(request, model) if built is None else built
        session = self._session
        timeout = asyncio.timeout_at(min(first_at, total_at))
        try:
            async with timeout:
                if session is None:
                    session = shared_session()
                    options = await env_options(self.base_url)
                else:
                    options = _NO_OPTIONS
                resp = await post(
                    session,
                    url,
                    json=body,
                    headers=headers,
                    client_timeout=self._client_timeout,
                    options=options,
                )
                if resp.status == 200:
                    return resp
                try:
                    err_body = await read_bounded(resp.content)
                finally:
                    resp.close()
        except aiohttp.ServerTimeoutError as exc:
            raise connect_error(exc, url, self.name, model, self.timeouts.connect) from exc
        except TimeoutError as exc:  # before OSError: TimeoutError is an OSError
            if not timeout.expired():
                raise connect_error(exc, url, self.name, model, self.timeouts.connect) from exc
            kind = "total" if total_at <= first_at else "first_token"
            raise timeout_error(kind, self.timeouts, self.name, model) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise connect_error(exc, url, self.name, model) from exc
        raise locate_http_error(
            self.map_error(resp.status, err_body, resp.headers), url, self.base_url, model
        )

    # --- the streaming loop -------------------------------------------------------

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream the answer to ``request``; errors after the first chunk surface as
        :class:`~llm_router.errors.StreamInterrupted`."""
        return self._stream(request, request.model or self.model)

    async def _stream(self, request: ChatRequest, model: str) -> AsyncIterator[StreamChunk]:
        # One generator per stream, with the commit guard folded in (the rule of
        # guard_commit: a ProviderError after the first chunk becomes StreamInterrupted).
        # Per chunk the bookkeeping is one list append; the partial answer is assembled
        # from that list only if the stream breaks.
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent: list[StreamChunk] = []
        ttft: float | None = None
        resp: aiohttp.ClientResponse | None = None
        wd: Watchdog | None = None
        told: Callable[[bool], None] | None = None  # the consumer told of upstream reads
        gone: set[Callable[[], None]] | None = None  # _aio.CLIENT_GONE
        clean = False
        try:
            first_at = start + self.timeouts.first_token
            total_at = start + self.timeouts.total
            resp = await self._open(request, model, first_at, total_at)
            gone = CLIENT_GONE.get()
            if gone is not None:  # a consumer that closes us at once if its client goes
                gone.add(resp.close)
            wd = Watchdog(loop, resp, first_at, total_at, self.timeouts.idle)
            decoder = self.decoder_for(request, model)
            feed = Feed(self.wire == "sse", decoder, self.name, model)
            content = resp.content
            tap = tappable(content)  # after the commit point, read in its callback (_tap)
            refused = False  # the sink wanted no more: not offered again until a yield
            while not feed.ended:  # the finish signal (and any trailer) is in: final chunk
                if told is None:  # a batching consumer, once it has started reading us
                    told = UPSTREAM_READS.get()
                data = b""
                sink = CHUNK_SINK.get() if tap and sent and not refused else None
                if sink is not None and content.exception() is None and not content.is_eof():
                    data = content.read_nowait()  # what came while we were at a yield
                else:
                    sink = None
                chunks: list[StreamChunk] | None = None
                if not data:
                    if told is not None:  # it flushes now (_aio.UPSTREAM_READS)
                        told(True)
                    wd.since = loop.time()
                    if sink is not None:  # the next reads go to the sink from the callback
                        tapped = Tap(feed, sink, sent, told, wd, loop, resp)
                        chunks = await tapped.run(content)  # decoded, not taken: yielded
                        refused = tapped.refused
                    else:
                        try:
                            data = await content.readany()
                        except (aiohttp.ClientError, OSError, Expired) as exc:
                            if decoder.finished:  # the trailer's grace ran out, or the
                                break  # connection was lost after the finish: a whole answer
                            raise read_error(wd, exc, self.timeouts, self.name, model) from exc
                    wd.since = INF
                if chunks is None:
                    if data:
                        chunks = feed.chunks(data)
                    elif feed.sse:
                        break
                    else:
                        chunks = feed.finish()
                if chunks and not sent:  # the commit point
                    wd.commit()
                    ttft = loop.time() - start
                    sent.append(chunks[0])
                    yield chunks[0]
                    chunks = chunks[1:]
                    # the consumer may offer its sink once it has the first chunk
                    sink = CHUNK_SINK.get() if tap and chunks else None
                if sink is not None and chunks and not refused:  # (not what it refused)
                    # what came while we were at a yield, or with the first chunk
                    held = hand_over(chunks, sink, sent)
                    refused = held is not None
                    chunks = held or []
                for chunk in chunks:
                    sent.append(chunk)
                    yield chunk
                    refused = False  # pulled: the consumer has waited for its client
                if feed.error is not None:
                    raise feed.error
                self._grace(feed, wd, loop)
            if not decoder.finished:
                raise self._error(errors.ProtocolError, _TRUNCATED, model)
            final = decoder.final_chunk()
            wd.committed = True
            if not sent:
                ttft = loop.time() - start
            sent.append(final)
            yield final
            if told is not None:  # no chunk follows: the consumer flushes on its own again
                told(False)
                told = None
            clean = await drain(content, wd, loop, self.trailer_grace)
        except errors.ProviderError as exc:
            if not sent:
                raise
            duration = loop.time() - start
            raise interrupted(
                sent, exc, provider=self.name, model=model, ttft_s=ttft, duration_s=duration
            ) from exc
        finally:
            if told is not None:
                told(False)
            if wd is not None:
                wd.cancel()
            if resp is not None:
                if gone is not None:
                    gone.discard(resp.close)
                if clean:
                    resp.release()
                else:
                    resp.close()
