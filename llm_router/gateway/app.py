"""The aiohttp application: routes, client auth, and the small JSON endpoints.

=========================  =====================================================
``POST /v1/chat/completions``  OpenAI-compatible, streaming and not (:mod:`.chat`)
``GET /v1/models``          routes, ``auto``, task names and provider names, usable as ``model``
``GET /v1/router/status``   breaker states and in-flight streams per provider
``GET /metrics``            Prometheus exposition (open, like the probes)
``GET /healthz``            200 while the process serves HTTP
``GET /readyz``             200 once the policy is loaded and while not draining, else 503
=========================  =====================================================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import prometheus_client
from aiohttp import web

from llm_router.gateway.auth import OPEN_PATHS, check_bearer
from llm_router.gateway.chat import chat_completions, json_response
from llm_router.gateway.errors import ErrorInfo
from llm_router.gateway.state import GatewayState
from llm_router.layers.router import Router
from llm_router.obs.metrics import exposition
from llm_router.types import TASK_NAMES

STATE: web.AppKey[GatewayState] = web.AppKey("llm_router_state", GatewayState)
"""Where the application keeps its :class:`GatewayState` (``app[STATE]``)."""

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""Request body limit when the policy sets none (413 above it)."""

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _auth(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if request.path not in OPEN_PATHS:
        problem = check_bearer(request.headers.get("Authorization"), request.app[STATE].api_keys)
        if problem is not None:
            return json_response(problem)
    return await handler(request)


@web.middleware
async def _not_found(request: web.Request, handler: _Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        info = ErrorInfo(404, f"no such endpoint: {request.path}", "invalid_request_error")
        return json_response(info)
    except web.HTTPMethodNotAllowed:
        info = ErrorInfo(405, f"method not allowed: {request.method}", "invalid_request_error")
        return json_response(info)


async def _chat(request: web.Request) -> web.StreamResponse:
    return await chat_completions(request, request.app[STATE])


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


async def _models(request: web.Request) -> web.Response:
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": f"llm-router:{kind}"}
        for name, kind in model_ids(request.app[STATE].router)
    ]
    return web.json_response({"object": "list", "data": data})


async def _status(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body: dict[str, Any] = dict(state.router.status())
    body["gateway"] = {
        "ready": state.ready and not state.draining,
        "draining": state.draining,
        "inflight_requests": state.inflight,
        "reloads": state.reloads,
        "policy": state.policy_path,
    }
    return web.json_response(body)


async def _metrics(request: web.Request) -> web.Response:
    body, content_type = exposition(request.app[STATE].registry)
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
    policy_path: str | None = None,
) -> web.Application:
    """The gateway application in front of ``router``.

    ``api_keys``: client bearer keys (none: open). ``registry``: the Prometheus
    registry the router's metrics observer writes to (``None``: the default one).
    ``max_body_bytes``: larger bodies get 413. Serve it with
    ``handler_cancellation=True`` (as :func:`llm_router.gateway.server.serve` and
    aiohttp's test server do) so a client disconnect cancels the upstream at once.
    """
    app = web.Application(client_max_size=max_body_bytes, middlewares=[_not_found, _auth])
    app[STATE] = GatewayState(router, api_keys=api_keys, registry=registry, policy_path=policy_path)
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/v1/router/status", _status)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    return app
