"""``POST /v1/chat/completions``: streaming (SSE) and non-streaming answers.

The commit point is visible here too: the first chunk is pulled *before* the
response is prepared, so every failure before it becomes a proper HTTP status, and
the ``x-llm-router-provider`` header names the upstream that actually answers.
After that, a failure ends the SSE stream with an error event and no ``[DONE]``.

A client that goes away cancels the handler (the server runs with
``handler_cancellation=True``), which closes the routed stream and with it the
upstream connection; the router records the stream as cancelled (breaker-neutral).
A client that closed its connection right after sending the request is noticed
before the first upstream attempt (:func:`~._protocol.peer_gone`), so no upstream
is asked for an answer nobody will read. Each request's outcome is recorded on its
:class:`~.access.Exchange` for the one ``request.finished`` log line.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from llm_router._aio import closing
from llm_router.accumulate import Accumulator
from llm_router.errors import LLMRouterError
from llm_router.gateway._protocol import peer_gone
from llm_router.gateway._writer import EventStreamResponse, EventWriter
from llm_router.gateway.access import (
    CLIENT_GONE_STATUS,
    EXCHANGE,
    REQUEST_ID_HEADER,
    Exchange,
    Outcome,
    error_response,
)
from llm_router.gateway.body import BodyUnread, RequestInvalid, body_refused, read_body
from llm_router.gateway.errors import SHUTDOWN, ErrorInfo, error_info
from llm_router.gateway.openai_format import DONE_EVENT, ChunkEncoder, completion_body
from llm_router.gateway.openai_request import ParsedRequest, parse_chat_request
from llm_router.gateway.state import GatewayState
from llm_router.types import StreamChunk

TASK_HEADER = "x-llm-router-task"
PROVIDER_HEADER = "x-llm-router-provider"
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_EMPTY = ErrorInfo(502, "the upstream ended without an answer", "upstream_error", "empty_stream")


async def chat_completions(request: web.Request, state: GatewayState) -> web.StreamResponse:
    """Answer one chat completion request."""
    exchange = request[EXCHANGE]
    if state.draining:
        return error_response(request, SHUTDOWN)
    try:
        body = await read_body(request, limit=state.max_body_bytes, within=state.body_timeout)
        parsed = parse_chat_request(
            body, task=request.headers.get(TASK_HEADER), request_id=exchange.request_id
        )
    except BodyUnread as exc:
        return await body_refused(request, error_response(request, error_info(exc)))
    except RequestInvalid as exc:
        return error_response(request, error_info(exc))
    if state.draining:  # the drain began while the body was being read
        return error_response(request, SHUTDOWN)
    with state.track() as router:
        try:
            resolution = router.resolve(parsed.request)  # detect the task once
        except LLMRouterError as exc:
            return error_response(request, error_info(exc))
        if peer_gone(request):  # before the first upstream attempt
            exchange.finish("client_gone")
            return web.Response(status=CLIENT_GONE_STATUS)
        headers = {TASK_HEADER: resolution.task, REQUEST_ID_HEADER: exchange.request_id}
        if parsed.stream:
            opened = router.stream_resolved(parsed.request, resolution)
            return await _stream(request, state, opened, parsed, headers)
        # nothing is shown before the end: the whole stream is setup (DESIGN §1.2)
        opened = router.stream_buffered(parsed.request, resolution)
        return await _complete(request, state, opened, headers)


def _ids() -> tuple[str, int]:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())


async def _stream(
    request: web.Request,
    state: GatewayState,
    routed: AsyncIterator[StreamChunk],
    parsed: ParsedRequest,
    headers: dict[str, str],
) -> web.StreamResponse:
    exchange = request[EXCHANGE]
    response: web.StreamResponse | None = None
    writer: EventWriter | None = None
    async with closing(routed) as stream:
        try:
            try:
                first = await anext(stream, None)  # the commit point
            except Exception as exc:
                return _failed(request, exc)
            if first is None:
                return error_response(request, _EMPTY, "failed")
            response = EventStreamResponse(  # the headers leave with the first event
                headers={**_SSE_HEADERS, **headers, PROVIDER_HEADER: first.provider}
            )
            await response.prepare(request)
            encoder = ChunkEncoder(*_ids(), include_usage=parsed.include_usage)
            writer = EventWriter(response)
            await _relay(exchange, writer, encoder, first, stream, parsed)
            await response.write_eof()
            return response
        except ConnectionResetError:  # the client went away between two writes
            if exchange.outcome != "completed":  # not after [DONE]: that is just a close
                exchange.finish("client_gone")
            return response or web.Response(status=CLIENT_GONE_STATUS)
        except asyncio.CancelledError:
            if not _own_shutdown(state):
                raise
            if response is None:
                return error_response(request, SHUTDOWN, "cut")
            exchange.finish("cut", SHUTDOWN.code)
            if writer is None:
                await response.write(SHUTDOWN.sse_event())
            else:  # after the chunks already queued, in order
                await writer.write(SHUTDOWN.sse_event())
                await writer.close()
            await response.write_eof()
            return response
        finally:
            if writer is not None:
                writer.abort()  # a no-op once closed; drops the queue on cancellation


async def _relay(
    exchange: Exchange,
    writer: EventWriter,
    encoder: ChunkEncoder,
    first: StreamChunk,
    stream: AsyncIterator[StreamChunk],
    parsed: ParsedRequest,
) -> None:
    """Send the committed stream: its chunks, then ``[DONE]`` — or an error event."""
    encode = encoder.encode
    try:
        await writer.write(encode(first))
        async for chunk in stream:
            await writer.write(encode(chunk))
    except ConnectionResetError:
        raise
    except Exception as exc:
        info = _record_failure(exchange, exc)
        await writer.write(info.sse_event())
        await writer.close()
        return
    if parsed.include_usage:
        await writer.write(encoder.usage_event(first.model))
    await writer.write(DONE_EVENT)
    await writer.close()
    exchange.finish("completed")  # [DONE] is out: whatever the client does now


def _own_shutdown(state: GatewayState) -> bool:
    """Whether the cancellation being handled is the drain's alone (then consume it)."""
    current = asyncio.current_task()
    return current is not None and state.is_shutdown_cancel(current) and current.uncancel() == 0


async def _complete(
    request: web.Request,
    state: GatewayState,
    routed: AsyncIterator[StreamChunk],
    headers: dict[str, str],
) -> web.Response:
    acc = Accumulator()
    start = time.monotonic()
    try:
        async with closing(routed) as stream:
            async for chunk in stream:
                acc.add(chunk)
    except Exception as exc:
        return _failed(request, exc)
    except asyncio.CancelledError:
        if not _own_shutdown(state):
            raise
        return error_response(request, SHUTDOWN, "cut")
    completion = acc.build(duration_s=time.monotonic() - start)
    return web.Response(
        text=json.dumps(completion_body(completion, *_ids())),
        content_type="application/json",
        headers={**headers, PROVIDER_HEADER: completion.provider},
    )


def _record_failure(exchange: Exchange, exc: Exception) -> ErrorInfo:
    """Record a failed request on its exchange; the error to send."""
    info = error_info(exc)
    if not isinstance(exc, LLMRouterError):  # a bug, not an upstream failure
        exchange.error = exc  # the access log keeps its traceback
    exchange.finish(_outcome(exc), info.code)
    return info


def _outcome(exc: Exception) -> Outcome:
    return "failed" if isinstance(exc, LLMRouterError) else "internal_error"


def _failed(request: web.Request, exc: Exception) -> web.Response:
    """The error response for a request that failed before anything was sent."""
    info = _record_failure(request[EXCHANGE], exc)
    return error_response(request, info, _outcome(exc))
