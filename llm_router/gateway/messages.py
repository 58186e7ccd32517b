"""``POST /v1/messages``: the Anthropic-compatible front door, through the same router.

The official ``anthropic`` SDKs and Anthropic-speaking tools work by pointing their
base URL at the gateway. The client's key may come as ``x-api-key`` (Anthropic's way)
or ``Authorization: Bearer``; errors on this path, the auth middleware's included,
have Anthropic's shape (:func:`shaped_error`). ``anthropic-version`` is accepted (any
``YYYY-MM-DD`` date; a malformed one is a 400).

The commit point is the same as ``/v1/chat/completions``'s: the first chunk is pulled
before the response is prepared, so a failure before it is a proper HTTP status (after
the router's retries and failover), and after it the SSE stream ends with an
``event: error``. ``stream: false`` reads the whole answer as setup
(``router.stream_buffered``): a stream that breaks on the way is started afresh on
another candidate instead of failing the request.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from aiohttp import web

from llm_router._aio import closing
from llm_router.accumulate import Accumulator
from llm_router.errors import LLMRouterError
from llm_router.gateway._protocol import peer_gone
from llm_router.gateway._writer import EventWriter
from llm_router.gateway.access import (
    CLIENT_GONE_STATUS,
    EXCHANGE,
    REQUEST_ID_HEADER,
    Exchange,
    Outcome,
    error_response,
)
from llm_router.gateway.anthropic_format import (
    MessageEncoder,
    error_body,
    error_event,
    message_body,
    message_id,
)
from llm_router.gateway.anthropic_request import parse_messages_request
from llm_router.gateway.body import BodyUnread, RequestInvalid, body_refused, read_body
from llm_router.gateway.errors import SHUTDOWN, ErrorInfo, error_info
from llm_router.gateway.state import GatewayState
from llm_router.types import StreamChunk

MESSAGES_PATH = "/v1/messages"
TASK_HEADER = "x-llm-router-task"
PROVIDER_HEADER = "x-llm-router-provider"
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_EMPTY = ErrorInfo(502, "the upstream ended without an answer", "upstream_error", "empty_stream")


def is_anthropic(request: web.Request) -> bool:
    """Whether ``request`` is for the Anthropic front door (its errors take that shape)."""
    return request.path == MESSAGES_PATH


def client_key_header(request: web.Request) -> str | None:
    """The client's key as an ``Authorization`` value: the header itself, or for the
    Anthropic path an ``x-api-key`` as ``Bearer <key>``."""
    header = request.headers.get("Authorization")
    if header is None and is_anthropic(request):
        key = request.headers.get("x-api-key")
        return None if key is None else f"Bearer {key}"
    return header


def shaped_error(
    request: web.Request, info: ErrorInfo, outcome: Outcome = "rejected"
) -> web.Response:
    """``info`` in the shape of the request's API: Anthropic's on ``/v1/messages``,
    OpenAI's elsewhere; recorded as the request's outcome."""
    if not is_anthropic(request):
        return error_response(request, info, outcome)
    exchange = request.get(EXCHANGE)
    headers = dict(info.headers)
    if exchange is not None:
        exchange.finish(outcome, info.code)
        headers[REQUEST_ID_HEADER] = exchange.request_id
        headers["request-id"] = exchange.request_id
    return web.json_response(error_body(info), status=info.status, headers=headers)


async def messages(request: web.Request, state: GatewayState) -> web.StreamResponse:
    """Answer one Messages request."""
    exchange = request[EXCHANGE]
    if state.draining:
        return shaped_error(request, SHUTDOWN)
    version = request.headers.get("anthropic-version")
    if version is not None and not _VERSION.match(version):
        bad = RequestInvalid("anthropic-version: expected a date like 2023-06-01")
        return shaped_error(request, error_info(bad))
    try:
        body = await read_body(request, limit=state.max_body_bytes, within=state.body_timeout)
        parsed = parse_messages_request(
            body, task=request.headers.get(TASK_HEADER), request_id=exchange.request_id
        )
    except BodyUnread as exc:
        return await body_refused(request, shaped_error(request, error_info(exc)))
    except RequestInvalid as exc:
        return shaped_error(request, error_info(exc))
    if state.draining:
        return shaped_error(request, SHUTDOWN)
    with state.track() as router:
        try:
            resolution = router.resolve(parsed.request)
        except LLMRouterError as exc:
            return shaped_error(request, error_info(exc))
        if peer_gone(request):
            exchange.finish("client_gone")
            return web.Response(status=CLIENT_GONE_STATUS)
        headers = {
            TASK_HEADER: resolution.task,
            REQUEST_ID_HEADER: exchange.request_id,
            "request-id": exchange.request_id,
        }
        if parsed.stream:
            opened = router.stream_resolved(parsed.request, resolution)
            return await _stream(request, state, opened, headers)
        buffered = router.stream_buffered(parsed.request, resolution)
        return await _complete(request, state, buffered, headers)


async def _stream(
    request: web.Request,
    state: GatewayState,
    routed: AsyncIterator[StreamChunk],
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
                return shaped_error(request, _EMPTY, "failed")
            response = web.StreamResponse(
                headers={**_SSE_HEADERS, **headers, PROVIDER_HEADER: first.provider}
            )
            await response.prepare(request)
            writer = EventWriter(response)
            await _relay(exchange, writer, MessageEncoder(message_id()), first, stream)
            await response.write_eof()
            return response
        except ConnectionResetError:
            if exchange.outcome != "completed":
                exchange.finish("client_gone")
            return response or web.Response(status=CLIENT_GONE_STATUS)
        except asyncio.CancelledError:
            if not _own_shutdown(state):
                raise
            if response is None:
                return shaped_error(request, SHUTDOWN, "cut")
            exchange.finish("cut", SHUTDOWN.code)
            if writer is None:
                await response.write(error_event(SHUTDOWN))
            else:
                await writer.write(error_event(SHUTDOWN))
                await writer.close()
            await response.write_eof()
            return response
        finally:
            if writer is not None:
                writer.abort()


async def _relay(
    exchange: Exchange,
    writer: EventWriter,
    encoder: MessageEncoder,
    first: StreamChunk,
    stream: AsyncIterator[StreamChunk],
) -> None:
    """Send the committed stream: its events, then ``message_stop`` — or an error event."""
    try:
        await writer.write(encoder.start(first.model) + encoder.encode(first))
        async for chunk in stream:
            data = encoder.encode(chunk)
            if data:
                await writer.write(data)
    except ConnectionResetError:
        raise
    except Exception as exc:
        await writer.write(error_event(_record_failure(exchange, exc)))
        await writer.close()
        return
    await writer.write(encoder.finish())
    await writer.close()
    exchange.finish("completed")


async def _complete(
    request: web.Request,
    state: GatewayState,
    routed: AsyncIterator[StreamChunk],
    headers: dict[str, str],
) -> web.Response:
    acc = Accumulator()
    try:
        async with closing(routed) as stream:
            async for chunk in stream:
                acc.add(chunk)
    except Exception as exc:
        return _failed(request, exc)
    except asyncio.CancelledError:
        if not _own_shutdown(state):
            raise
        return shaped_error(request, SHUTDOWN, "cut")
    completion = acc.build()
    if not acc.chunks:
        return shaped_error(request, _EMPTY, "failed")
    return web.json_response(
        message_body(completion, message_id()),
        headers={**headers, PROVIDER_HEADER: completion.provider},
    )


def _own_shutdown(state: GatewayState) -> bool:
    current = asyncio.current_task()
    return current is not None and state.is_shutdown_cancel(current) and current.uncancel() == 0


def _record_failure(exchange: Exchange, exc: Exception) -> ErrorInfo:
    info = error_info(exc)
    if not isinstance(exc, LLMRouterError):
        exchange.error = exc
    exchange.finish(_outcome(exc), info.code)
    return info


def _outcome(exc: Exception) -> Outcome:
    return "failed" if isinstance(exc, LLMRouterError) else "internal_error"


def _failed(request: web.Request, exc: Exception) -> web.Response:
    info = _record_failure(request[EXCHANGE], exc)
    return shaped_error(request, info, _outcome(exc))
