"""The shared HTTP streaming base of every concrete provider.

A subclass says how to build the request (:meth:`HTTPStreamProvider.build_request`)
and how to turn the upstream's events into chunks (a :class:`StreamDecoder`); the base
does the rest once: connection, status → error mapping, SSE/NDJSON framing, malformed
events, the finish signal, timeouts and cancellation.

Timeouts cost nothing per chunk: the request phase runs under one
``asyncio.timeout_at``; while reading, one :class:`Watchdog` timer per stream checks
the deadlines when it fires (re-arming itself otherwise) and, if one passed, fails the
pending read; the generator then raises the typed error. Nothing is yielded inside a
timeout context.

The setup phase (constructor checks, the subclass hooks, sending the request and
mapping a non-200 answer) is the base class, :class:`~._http_setup.HTTPSetup`; this
module holds the streaming loop, the per-chunk hot path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import aiohttp

from llm_router import errors
from llm_router.accumulate import interrupted
from llm_router.providers._decoder import StreamDecoder
from llm_router.providers._http_errors import (
    error_message_from_body,
    map_http_error,
    parse_duration,
    parse_retry_after,
    retry_after_from_headers,
)
from llm_router.providers._http_setup import DEFAULT_TIMEOUTS, HTTPSetup
from llm_router.providers._watchdog import INF, Expired, Watchdog, drain, read_error
from llm_router.types import ChatRequest, StreamChunk
from llm_router.wire.ndjson import NDJSONParser
from llm_router.wire.payload import loads
from llm_router.wire.sse import SSEParser

log = logging.getLogger("llm_router")

_TRUNCATED = "truncated: stream ended without a finish signal"


class HTTPStreamProvider(HTTPSetup):
    """Base of the HTTP providers; subclasses set ``wire`` and ``env_var`` and implement
    :meth:`build_request` and :meth:`new_decoder` (and may refine :meth:`map_error`).

    ``api_key=None`` reads ``env_var`` (the class default unless the ``env_var``
    argument overrides it, e.g. Azure or OpenRouter behind one class); a missing or empty key (when
    ``require_api_key``) or a malformed ``base_url`` is a
    :class:`~llm_router.errors.ConfigurationError`. The key never appears in
    ``repr``, errors or logs.
    """

    wire: ClassVar[Literal["sse", "ndjson"]] = "sse"

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
        clean = False
        try:
            first_at = start + self.timeouts.first_token
            total_at = start + self.timeouts.total
            resp = await self._open(request, model, first_at, total_at)
            wd = Watchdog(loop, resp, first_at, total_at, self.timeouts.idle)
            sse = self.wire == "sse"
            parser: Any = SSEParser(provider=self.name) if sse else NDJSONParser(provider=self.name)
            decoder = self.new_decoder(model)
            content = resp.content
            malformed = 0
            ended = False  # the finish signal (and any trailer) is in: yield the final chunk
            while not ended:
                wd.since = loop.time()
                try:
                    data = await content.readany()
                except (aiohttp.ClientError, OSError, Expired) as exc:
                    if wd.fired == "grace":
                        break
                    raise read_error(wd, exc, self.timeouts, self.name, model) from exc
                wd.since = INF
                if not data:
                    if sse:
                        break
                    items: list[Any] = parser.finish()
                    ended = True
                else:
                    items = parser.feed(data)
                for item in items:
                    if sse:
                        raw, event = item[0], item[1]  # SSEEvent's data, event
                        if raw == "[DONE]":
                            ended = True
                            break
                    else:
                        raw, event = item, ""
                    try:
                        obj = loads(raw)
                    except ValueError:
                        malformed += 1
                        self._malformed(malformed, event, model)
                        continue
                    for chunk in decoder.decode(event, obj):
                        if not sent:
                            wd.commit()
                            ttft = loop.time() - start
                        sent.append(chunk)
                        yield chunk
                    if decoder.finished:
                        if not decoder.wants_trailer:
                            ended = True
                            break
                        if wd.grace_at == INF:
                            wd.arm_grace(loop.time() + self.trailer_grace)
            if not decoder.finished:
                raise self._error(errors.ProtocolError, _TRUNCATED, model)
            final = decoder.final_chunk()
            wd.committed = True
            if not sent:
                ttft = loop.time() - start
            sent.append(final)
            yield final
            clean = await drain(content, wd, loop, self.trailer_grace)
        except errors.ProviderError as exc:
            if not sent:
                raise
            duration = loop.time() - start
            raise interrupted(
                sent, exc, provider=self.name, model=model, ttft_s=ttft, duration_s=duration
            ) from exc
        finally:
            if wd is not None:
                wd.cancel()
            if resp is not None:
                if clean:
                    resp.release()
                else:
                    resp.close()

    def _malformed(self, count: int, event: str, model: str) -> None:
        self.malformed_events_total += 1
        log.warning("stream.malformed_event provider=%s event=%s count=%d", self.name, event, count)
        if count > self.max_malformed_events:
            raise self._error(
                errors.ProtocolError, f"{count} malformed events in one stream", model
            )


__all__ = [
    "DEFAULT_TIMEOUTS",
    "HTTPStreamProvider",
    "StreamDecoder",
    "error_message_from_body",
    "map_http_error",
    "parse_duration",
    "parse_retry_after",
    "retry_after_from_headers",
]
