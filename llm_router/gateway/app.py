"""The aiohttp application: routes, client auth, and the small JSON endpoints.

=========================  =====================================================
``POST /v1/chat/completions``  OpenAI-compatible, streaming and not (:mod:`.chat`)
``POST /v1/messages``       Anthropic-compatible, streaming and not (:mod:`.messages`)
``GET /v1/models``          routes, ``auto``, task names and provider names, usable as ``model``
``GET /v1/router/status``   breaker states and in-flight streams per provider; the worker's pid
``GET /metrics``            Prometheus exposition (open, like the probes; every worker's samples)
``GET /healthz``            200 while the process serves HTTP
``GET /readyz``             200 once the policy is loaded and while not draining, else 503
=========================  =====================================================

``/chat/completions`` and ``/models`` answer too (clients that leave out ``/v1``).
Middlewares, outermost first: the access log (one ``request.finished`` line per
request, :mod:`.access`), the connection's header deadline and drain (``Connection:
close`` while draining), OpenAI-shaped 404/405, client auth.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import prometheus_client
from aiohttp import web

from llm_router.gateway._protocol import GatewayProtocol
from llm_router.gateway.access import access_log
from llm_router.gateway.auth import OPEN_PATHS, check_bearer
from llm_router.gateway.body import clip
from llm_router.gateway.chat import chat_completions
from llm_router.gateway.errors import ErrorInfo
from llm_router.gateway.messages import (
    COUNT_TOKENS_PATH,
    MESSAGES_PATH,
    client_key_header,
    count_tokens,
    messages,
    shaped_error,
)
from llm_router.gateway.state import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY_BYTES, GatewayState
from llm_router.layers.routing import Router
from llm_router.observe.metrics import exposition
from llm_router.types import TASK_NAMES

STATE: web.AppKey[GatewayState] = web.AppKey("llm_router_state", GatewayState)
"""Where the application keeps its :class:`GatewayState` (``app[STATE]``)."""

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _connection(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Tell the connection a request is being answered (its header deadline is met);
    while draining, close connections after their answer so clients move on."""
    protocol = request.protocol if isinstance(request.protocol, GatewayProtocol) else None
    if protocol is not None:
        protocol.request_started()
    try:
        response = await handler(request)
    finally:
        if protocol is not None:
            protocol.request_ended(request.content)
    if request.app[STATE].draining and not response.prepared:
        response.force_close()
    return response


@web.middleware
async def _auth(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if request.path not in OPEN_PATHS:
        problem = check_bearer(client_key_header(request), request.app[STATE].api_keys)
        if problem is not None:
            return shaped_error(request, problem)
    return await handler(request)


@web.middleware
async def _not_found(request: web.Request, handler: _Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        message = f"no such endpoint: {clip(request.path)}"
        info = ErrorInfo(404, message, "invalid_request_error", "not_found")
        return shaped_error(request, info)
    except web.HTTPMethodNotAllowed:
        message = f"method not allowed: {clip(request.method)}"
        info = ErrorInfo(405, message, "invalid_request_error", "method_not_allowed")
        return shaped_error(request, info)


async def _chat(request: web.Request) -> web.StreamResponse:
    return await chat_completions(request, request.app[STATE])


async def _messages(request: web.Request) -> web.StreamResponse:
    return await messages(request, request.app[STATE])


async def _count_tokens(request: web.Request) -> web.Response:
    return await count_tokens(request, request.app[STATE])


def model_ids(router: Router) -> list[tuple[str, str]]:
    """Every value usable as ``model``, with its kind (route, auto, task, provider)."""
    seen: dict[str, str] = {}
    for name in router.routes:
        seen.setdefault(name, "route")
    seen.setdefault("auto", "auto")
    for task in TASK_NAMES:
        seen.setdefault(task, "task")
    for name in router.providers:
        seen.setdefault(name, "provider")
    return list(seen.items())


def _model(name: str, kind: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": f"llm-router:{kind}"}


async def _models(request: web.Request) -> web.Response:
    data = [_model(name, kind) for name, kind in model_ids(request.app[STATE].router)]
    return web.json_response({"object": "list", "data": data})


async def _one_model(request: web.Request) -> web.Response:
    """``GET /v1/models/{model}`` (the SDKs' ``models.retrieve``): one model, or 404."""
    name = request.match_info["model"]
    for known, kind in model_ids(request.app[STATE].router):
        if known == name:
            return web.json_response(_model(name, kind))
    message = f"the model {clip(name)!r} does not exist (GET /v1/models lists the models)"
    return shaped_error(
        request, ErrorInfo(404, message, "invalid_request_error", "model_not_found", "model")
    )


async def _status(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body: dict[str, Any] = dict(state.router.status())
    body["gateway"] = {
        "pid": os.getpid(),  # which worker answered (llm-router serve --workers N)
        "workers": state.workers,
        "ready": state.ready and not state.draining,
        "draining": state.draining,
        "inflight_requests": state.inflight,
        "reloads": state.reloads,
        "policy": state.policy_path,
    }
    return web.json_response(body)


async def _metrics(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body, content_type = exposition(state.registry, multiprocess_dir=state.metrics_dir)
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if state.ready and not state.draining:
        return web.json_response({"status": "ready"})
    reason = "draining" if state.draining else "starting"
    return web.json_response({"status": reason}, status=503)


def create_app(
    router: Router,
    *,
    api_keys: Sequence[str] = (),
    registry: prometheus_client.CollectorRegistry | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    policy_path: str | None = None,
) -> web.Application:
    """The gateway application in front of ``router``.

    ``api_keys``: client bearer keys (none: open). ``registry``: the Prometheus
    registry the router's metrics hook writes to (``None``: the default one).
    ``max_body_bytes``: larger bodies get 413; ``body_timeout``: seconds a client may
    take to send its body (then 408). Every request is logged once
    (:mod:`.access`). Serve it with
    ``handler_cancellation=True`` (as :func:`llm_router.gateway.server.serve` and
    aiohttp's test server do) so a client disconnect cancels the upstream at once.
    """
    app = web.Application(
        client_max_size=max_body_bytes,
        middlewares=[access_log, _connection, _not_found, _auth],
    )
    app[STATE] = GatewayState(
        router,
        api_keys=api_keys,
        registry=registry,
        policy_path=policy_path,
        max_body_bytes=max_body_bytes,
        body_timeout=body_timeout,
    )
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_post("/chat/completions", _chat)  # clients that leave out /v1
    app.router.add_post(MESSAGES_PATH, _messages)
    app.router.add_post(COUNT_TOKENS_PATH, _count_tokens)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/models", _models)
    app.router.add_get("/v1/models/{model:.+}", _one_model)
    app.router.add_get("/models/{model:.+}", _one_model)
    app.router.add_get("/v1/router/status", _status)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    return app
