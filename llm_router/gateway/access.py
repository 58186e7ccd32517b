"""One log line per request: ``request.finished`` with its status and outcome.

The outermost middleware gives every request an :class:`Exchange` (its id, from a
valid ``x-request-id`` header or a new one) and logs it once when the handler is
done: completed, rejected before routing (bad body, 401, unknown model, draining),
failed upstream, cut by the shutdown, or abandoned by the client. Handlers fill in
the outcome and error code with :func:`error_response` and :meth:`Exchange.finish`.
The probes and ``/metrics`` are logged at debug level: load balancers call them
every few seconds. A bug in a handler is one ``request.finished`` line at error level
carrying the traceback, and a 500 in OpenAI's shape.

``request.finished`` fields: ``request_id``, ``method``, ``path``, ``status`` (499:
the client went away), ``outcome``, ``code`` (the error's, if any), ``duration_s``.
The router's own events (``stream.completed``, ``fallback`` …) carry the same
``request_id``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from llm_router.gateway.errors import INTERNAL, ErrorInfo
from llm_router.observe.logs import bind_request_id, get_logger

log = get_logger("llm_router.gateway")

Outcome = Literal["completed", "rejected", "failed", "cut", "client_gone", "internal_error"]
"""How a request ended (the ``outcome`` field of ``request.finished``)."""

REQUEST_ID_HEADER = "x-request-id"
CLIENT_GONE_STATUS = 499
"""Logged status of a request whose client left before the answer was complete."""

QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths logged at debug level (probes and scrapers)."""


@dataclass(slots=True)
class Exchange:
    """One request as the access log sees it; handlers set how it ended."""

    request_id: str
    outcome: Outcome | None = None
    code: str | None = None
    error: BaseException | None = None
    """A bug met while answering (its traceback goes into the log line)."""

    def finish(self, outcome: Outcome, code: str | None = None) -> None:
        """Record how the request ended (the last call wins)."""
        self.outcome = outcome
        self.code = code


EXCHANGE: web.RequestKey[Exchange] = web.RequestKey("llm_router_exchange", Exchange)
"""Where a request keeps its :class:`Exchange` (``request[EXCHANGE]``)."""


def request_id_of(request: web.Request) -> str:
    """The client's ``x-request-id`` if it is a short token (it is echoed in a header
    and in logs), else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if 0 < len(given) <= 64 and given.isascii() and all(c.isalnum() or c in "-_." for c in given):
        return given
    return uuid.uuid4().hex


def error_response(
    request: web.Request, info: ErrorInfo, outcome: Outcome = "rejected"
) -> web.Response:
    """``info`` as an OpenAI-shaped JSON response, recorded as the request's outcome."""
    exchange = request.get(EXCHANGE)
    headers = dict(info.headers)
    if exchange is not None:
        exchange.finish(outcome, info.code)
        headers[REQUEST_ID_HEADER] = exchange.request_id
    return web.json_response(info.body(), status=info.status, headers=headers)


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def access_log(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Give the request its :class:`Exchange`; log ``request.finished`` once at the end."""
    start = asyncio.get_running_loop().time()
    exchange = request[EXCHANGE] = Exchange(request_id_of(request))
    bind_request_id(exchange.request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _log(request, exchange, exc.status, start)
        raise
    except asyncio.CancelledError:
        completed = exchange.outcome == "completed"  # a client leaving after [DONE]
        if not completed:
            exchange.finish("client_gone")
        _log(request, exchange, 200 if completed else CLIENT_GONE_STATUS, start)
        raise
    except Exception:
        exchange.finish("internal_error", INTERNAL.code)
        _log(request, exchange, INTERNAL.status, start, error=True)
        return error_response(request, INTERNAL, "internal_error")
    _log(request, exchange, response.status, start)
    if not response.prepared:
        response.headers.setdefault(REQUEST_ID_HEADER, exchange.request_id)
    return response


def _log(
    request: web.Request, exchange: Exchange, status: int, start: float, *, error: bool = False
) -> None:
    outcome = exchange.outcome
    if outcome == "client_gone":
        status = CLIENT_GONE_STATUS
    elif outcome is None:
        outcome = "completed" if status < 400 else "rejected" if status < 500 else "failed"
    fields = {
        "request_id": exchange.request_id,
        "method": request.method,
        "path": request.path[:256],
        "status": status,
        "outcome": outcome,
        "code": exchange.code,
        "duration_s": round(asyncio.get_running_loop().time() - start, 4),
    }
    if error:  # a bug: keep the traceback (rendered into this one line)
        log.exception("request.finished", **fields)
    elif exchange.error is not None:
        log.error("request.finished", **fields, exc_info=exchange.error)
    elif request.path in QUIET_PATHS:
        log.debug("request.finished", **fields)
    elif outcome in ("completed", "rejected", "client_gone"):
        log.info("request.finished", **fields)
    else:
        log.warning("request.finished", **fields)
