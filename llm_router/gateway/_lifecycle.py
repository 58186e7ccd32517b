"""The request lifecycle both front doors share (``/v1/chat/completions``,
``/v1/messages``): read and parse the body, resolve the route, check the peer, then
stream or buffer the answer; failures are recorded on the request's
:class:`~.access.Exchange` for its one ``request.finished`` log line.

A :class:`FrontDoor` says what differs between the two APIs: how a body is parsed,
what an error looks like (as a response and as the stream's last event), the
response headers, how a stream's chunks are encoded and what a non-streaming answer
is. Everything else is here, once:

- **The commit point.** The first chunk is pulled *before* the response is prepared,
  so every failure before it becomes a proper HTTP status (after the router's retries
  and failover), and the ``x-llm-router-provider`` header names the upstream that
  actually answers. After it, a failure ends the SSE stream with the door's error
  event and no end-of-stream marker.
- **A client that goes away** cancels the handler (the server runs with
  ``handler_cancellation=True``), which closes the routed stream; the upstream
  connection is closed already, in the loop turn that heard the client go (its open
  responses are registered through :data:`llm_router._aio.CLIENT_GONE`); the router
  records the stream as cancelled (breaker-neutral).
  A client that closed its connection right after sending the request is noticed
  before the first upstream attempt (:func:`~._protocol.peer_gone`), so no upstream
  is asked for an answer nobody will read.
- **The drain**: a request that arrives (or finishes reading its body) while the
  server drains is refused; one cut by the drain's cancellation gets the shutdown
  error, as a response or as the stream's last event.
- **Non-streaming** answers are read whole as setup (``router.stream_buffered``): a
  stream that breaks on the way is started afresh on another candidate instead of
  failing the request (docs/DESIGN.md §1.2).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from llm_router._aio import CHUNK_SINK, CLIENT_GONE, UPSTREAM_READS, closing
from llm_router.accumulate import Accumulator
from llm_router.errors import LLMRouterError
from llm_router.gateway._door import (
    EMPTY,
    PROVIDER_HEADER,
    SSE_HEADERS,
    TASK_HEADER,
    FrontDoor,
    P,
    StreamEvents,
)
from llm_router.gateway._protocol import GatewayProtocol, peer_gone
from llm_router.gateway._writer import EventStreamResponse, EventWriter
from llm_router.gateway.access import CLIENT_GONE_STATUS, EXCHANGE, Exchange, Outcome
from llm_router.gateway.body import BodyUnread, RequestInvalid, body_refused, read_body
from llm_router.gateway.errors import SHUTDOWN, ErrorInfo, error_info
from llm_router.gateway.state import GatewayState
from llm_router.layers.routing import Resolution
from llm_router.types import StreamChunk

__all__ = ["EMPTY", "PROVIDER_HEADER", "TASK_HEADER", "FrontDoor", "StreamEvents", "answer"]


async def answer(
    request: web.Request, state: GatewayState, door: FrontDoor[P]
) -> web.StreamResponse:
    """Answer one request at ``door`` (see the module doc)."""
    exchange = request[EXCHANGE]
    if state.draining:
        return door.error(request, SHUTDOWN)
    refused = door.refused(request)
    if refused is not None:
        return door.error(request, refused)
    try:
        body = await read_body(request, limit=state.max_body_bytes, within=state.body_timeout)
        parsed = door.parse(
            body, task=request.headers.get(TASK_HEADER), request_id=exchange.request_id
        )
    except BodyUnread as exc:
        return await body_refused(request, door.error(request, error_info(exc)))
    except RequestInvalid as exc:
        return door.error(request, error_info(exc))
    if state.draining:  # the drain began while the body was being read
        return door.error(request, SHUTDOWN)
    with state.track() as router:
        try:
            resolution = router.resolve(parsed.request)  # detect the task once
        except LLMRouterError as exc:
            return door.error(request, error_info(exc))
        if peer_gone(request):  # before the first upstream attempt
            exchange.finish("client_gone")
            return web.Response(status=CLIENT_GONE_STATUS)
        # The headers are made once the answer is in: a deferred task label is
        # detected while the upstream prepares it (DESIGN §4.2).
        headers = _Headers(door, exchange.request_id, resolution)
        protocol = request.protocol
        upstreams: set[Callable[[], None]] = set()  # closed at once if the client goes
        if isinstance(protocol, GatewayProtocol):
            protocol.upstreams = upstreams
        token = CLIENT_GONE.set(upstreams)
        try:
            if parsed.stream:
                opened = router.stream_resolved(parsed.request, resolution)
                return await _stream(request, state, door, opened, parsed, headers)
            # nothing is shown before the end: the whole stream is setup (DESIGN §1.2)
            buffered = router.stream_buffered(parsed.request, resolution)
            return await _complete(request, state, door, buffered, headers)
        finally:
            CLIENT_GONE.reset(token)
            if isinstance(protocol, GatewayProtocol):
                protocol.upstreams = None


class _Headers:
    """A request's response headers, made when first needed."""

    __slots__ = ("door", "request_id", "resolution")

    def __init__(self, door: FrontDoor[Any], request_id: str, resolution: Resolution) -> None:
        self.door, self.request_id, self.resolution = door, request_id, resolution

    def __call__(self) -> dict[str, str]:
        return self.door.headers(self.request_id, self.resolution.task)


async def _stream(
    request: web.Request,
    state: GatewayState,
    door: FrontDoor[P],
    routed: AsyncIterator[StreamChunk],
    parsed: P,
    headers: _Headers,
) -> web.StreamResponse:
    exchange = request[EXCHANGE]
    response: web.StreamResponse | None = None
    writer: EventWriter | None = None
    async with closing(routed) as stream:
        try:
            try:
                first = await anext(stream, None)  # the commit point
            except Exception as exc:
                return _failed(request, door, exc)
            if first is None:
                return door.error(request, EMPTY, "failed")
            response = EventStreamResponse(  # the headers leave with the first event
                headers={**SSE_HEADERS, **headers(), PROVIDER_HEADER: first.provider}
            )
            await response.prepare(request)
            events = door.events(parsed)
            writer = EventWriter(response, request=request)
            await _relay(exchange, door, writer, events, first, stream)
            await response.write_eof()
            return response
        except ConnectionResetError:  # the client went away between two writes
            if exchange.outcome != "completed":  # not after the end: that is just a close
                exchange.finish("client_gone")
            return response or web.Response(status=CLIENT_GONE_STATUS)
        except asyncio.CancelledError:
            if not _own_shutdown(state):
                raise
            if response is None:
                return door.error(request, SHUTDOWN, "cut")
            exchange.finish("cut", SHUTDOWN.code)
            if writer is None:
                await response.write(door.error_event(SHUTDOWN))
            else:  # after the chunks already queued, in order
                await writer.write(door.error_event(SHUTDOWN))
                await writer.close()
            await response.write_eof()
            return response
        finally:
            if writer is not None:
                writer.abort()  # a no-op once closed; drops the queue on cancellation


async def _relay(
    exchange: Exchange,
    door: FrontDoor[P],
    writer: EventWriter,
    events: StreamEvents,
    first: StreamChunk,
    stream: AsyncIterator[StreamChunk],
) -> None:
    """Send the committed stream: its events, then the closing ones — or an error event."""
    encode, push = events.encode, writer.push

    def put(chunks: list[StreamChunk]) -> tuple[int, bool]:  # from the upstream's callback
        taken = 0
        try:
            for chunk in chunks:
                data = encode(chunk)
                if data and push(data):  # high water: the rest is yielded
                    return taken + 1, False
                taken += 1
        except Exception:  # not queued: yielded, where its error is raised (_aio.Sink)
            return taken, False
        return taken, True

    token = UPSTREAM_READS.set(writer.reading)  # flushed before each upstream read
    sink = CHUNK_SINK.set(put)
    try:
        await writer.write(events.opening(first))
        async for chunk in stream:
            data = encode(chunk)
            if data and push(data):  # high water: wait for the transport
                await writer.close()
    except ConnectionResetError:
        raise
    except Exception as exc:
        push(door.error_event(_record_failure(exchange, exc)))
        await writer.close()
        return
    finally:
        CHUNK_SINK.reset(sink)
        UPSTREAM_READS.reset(token)
    push(events.closing(first))
    await writer.close()
    exchange.finish("completed")  # the end is out: whatever the client does now


def _own_shutdown(state: GatewayState) -> bool:
    """Whether the cancellation being handled is the drain's alone (then consume it)."""
    current = asyncio.current_task()
    return current is not None and state.is_shutdown_cancel(current) and current.uncancel() == 0


async def _complete(
    request: web.Request,
    state: GatewayState,
    door: FrontDoor[P],
    routed: AsyncIterator[StreamChunk],
    headers: _Headers,
) -> web.Response:
    acc = Accumulator()
    start = time.monotonic()
    try:
        async with closing(routed) as stream:
            async for chunk in stream:
                acc.add(chunk)
    except Exception as exc:
        return _failed(request, door, exc)
    except asyncio.CancelledError:
        if not _own_shutdown(state):
            raise
        return door.error(request, SHUTDOWN, "cut")
    return door.body(request, acc, time.monotonic() - start, headers())


def _record_failure(exchange: Exchange, exc: Exception) -> ErrorInfo:
    """Record a failed request on its exchange; the error to send."""
    info = error_info(exc)
    if not isinstance(exc, LLMRouterError):  # a bug, not an upstream failure
        exchange.error = exc  # the access log keeps its traceback
    exchange.finish(_outcome(exc), info.code)
    return info


def _outcome(exc: Exception) -> Outcome:
    return "failed" if isinstance(exc, LLMRouterError) else "internal_error"


def _failed(request: web.Request, door: FrontDoor[P], exc: Exception) -> web.Response:
    """The error response for a request that failed before anything was sent."""
    info = _record_failure(request[EXCHANGE], exc)
    return door.error(request, info, _outcome(exc))
