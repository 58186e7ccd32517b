"""``POST /v1/chat/completions``: streaming (SSE) and non-streaming answers.

The commit point is visible here too: the first chunk is pulled *before* the
response is prepared, so every failure before it becomes a proper HTTP status, and
the ``x-llm-router-provider`` header names the upstream that actually answers.
After that, a failure ends the SSE stream with an error event and no ``[DONE]``.

A client that goes away cancels the handler (the server runs with
``handler_cancellation=True``), which closes the routed stream and with it the
upstream connection; the router records the stream as cancelled (breaker-neutral).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from llm_router._aio import closing
from llm_router.accumulate import Accumulator
from llm_router.errors import LLMRouterError
from llm_router.gateway._writer import EventWriter
from llm_router.gateway.errors import SHUTDOWN, ErrorInfo, error_info
from llm_router.gateway.openai_format import DONE_EVENT, ChunkEncoder, completion_body
from llm_router.gateway.openai_request import ParsedRequest, RequestInvalid, parse_chat_request
from llm_router.gateway.state import GatewayState
from llm_router.obs.logs import bind_request_id
from llm_router.types import StreamChunk

log = structlog.get_logger("llm_router.gateway")

TASK_HEADER = "x-llm-router-task"
PROVIDER_HEADER = "x-llm-router-provider"
REQUEST_ID_HEADER = "x-request-id"
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_EMPTY = ErrorInfo(502, "the upstream ended without an answer", "upstream_error", "empty_stream")


def json_response(info: ErrorInfo, request_id: str | None = None) -> web.Response:
    """An error response in OpenAI's shape."""
    headers = dict(info.headers)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return web.json_response(info.body(), status=info.status, headers=headers)


def _request_id(request: web.Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if 0 < len(given) <= 64 and all(c.isalnum() or c in "-_." for c in given):
        return given
    return uuid.uuid4().hex


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _TooLarge("the request body exceeds the gateway's size limit") from None


class _TooLarge(Exception):
    pass


async def chat_completions(request: web.Request, state: GatewayState) -> web.StreamResponse:
    """Answer one chat completion request."""
    request_id = _request_id(request)
    bind_request_id(request_id)
    if state.draining:
        return json_response(SHUTDOWN, request_id)
    try:
        body = await _read_body(request)
        parsed = parse_chat_request(
            body, task=request.headers.get(TASK_HEADER), request_id=request_id
        )
    except _TooLarge as exc:
        info = ErrorInfo(413, str(exc), "invalid_request_error", "request_too_large")
        return json_response(info, request_id)
    except RequestInvalid as exc:
        return json_response(error_info(exc), request_id)
    with state.track() as router:
        try:
            resolution = router.resolve(parsed.request)  # detect the task once
        except LLMRouterError as exc:
            return json_response(error_info(exc), request_id)
        headers = {TASK_HEADER: resolution.task, REQUEST_ID_HEADER: request_id}
        opened = router.stream_resolved(parsed.request, resolution)
        if parsed.stream:
            return await _stream(request, state, opened, parsed, headers)
        return await _complete(state, opened, parsed, headers)


def _ids() -> tuple[str, int]:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())


async def _stream(
    request: web.Request,
    state: GatewayState,
    routed: AsyncIterator[StreamChunk],
    parsed: ParsedRequest,
    headers: dict[str, str],
) -> web.StreamResponse:
    request_id = headers[REQUEST_ID_HEADER]
    response: web.StreamResponse | None = None
    writer: EventWriter | None = None
    async with closing(routed) as stream:
        try:
            try:
                first = await anext(stream, None)  # the commit point
            except Exception as exc:
                return _failed(parsed, exc, committed=False)
            if first is None:
                return json_response(_EMPTY, request_id)
            response = web.StreamResponse(
                headers={**_SSE_HEADERS, **headers, PROVIDER_HEADER: first.provider}
            )
            await response.prepare(request)
            encoder = ChunkEncoder(*_ids(), include_usage=parsed.include_usage)
            writer = EventWriter(response)
            await _relay(writer, encoder, first, stream, parsed)
            await response.write_eof()
            return response
        except ConnectionResetError:  # the client went away between two writes
            log.info("request.client_gone", request_id=request_id)
            return response or web.Response(status=499)
        except asyncio.CancelledError:
            if not _own_shutdown(state):
                raise
            if response is None:
                return json_response(SHUTDOWN, request_id)
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
        _failed(parsed, exc, committed=True)
        await writer.write(error_info(exc).sse_event())
        await writer.close()
        return
    if parsed.include_usage:
        await writer.write(encoder.usage_event(first.model))
    await writer.write(DONE_EVENT)
    await writer.close()


def _own_shutdown(state: GatewayState) -> bool:
    """Whether the cancellation being handled is the drain's alone (then consume it)."""
    current = asyncio.current_task()
    return current is not None and state.is_shutdown_cancel(current) and current.uncancel() == 0


async def _complete(
    state: GatewayState,
    routed: AsyncIterator[StreamChunk],
    parsed: ParsedRequest,
    headers: dict[str, str],
) -> web.Response:
    acc = Accumulator()
    start = time.monotonic()
    try:
        async with closing(routed) as stream:
            async for chunk in stream:
                acc.add(chunk)
    except Exception as exc:
        return _failed(parsed, exc, committed=acc.chunks > 0)
    except asyncio.CancelledError:
        if not _own_shutdown(state):
            raise
        return json_response(SHUTDOWN, headers[REQUEST_ID_HEADER])
    completion = acc.build(duration_s=time.monotonic() - start)
    return web.Response(
        text=json.dumps(completion_body(completion, *_ids())),
        content_type="application/json",
        headers={**headers, PROVIDER_HEADER: completion.provider},
    )


def _failed(parsed: ParsedRequest, exc: Exception, *, committed: bool) -> web.Response:
    """Log a failed request; the error response to send if nothing was sent yet."""
    info = error_info(exc)
    request_id = parsed.request.request_id
    if isinstance(exc, LLMRouterError):
        log.warning(
            "request.failed",
            request_id=request_id,
            error=type(exc).__name__,
            committed=committed,
            status=info.status,
        )
    else:  # a bug, not an upstream failure: keep the traceback
        log.exception("request.internal_error", request_id=request_id, committed=committed)
    return json_response(info, request_id)
