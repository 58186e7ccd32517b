"""``POST /v1/messages/count_tokens``: Anthropic's count, where an Anthropic deployment
can give it.

Claude Code asks it every turn to decide when to compact its context. The body is a
Messages body without the output options; it is validated like one. The request's
route is resolved as for ``/v1/messages``, and its first candidate that is an
Anthropic deployment (its stack followed down to the provider) with a closed breaker
counts the tokens; the count is not retried, and not charged to the breaker. A route
with none, or whose Anthropic deployments all fail to answer, gets Anthropic's 404:
the client then counts locally. A made-up count would be trusted, and a low one
would hold off its compaction.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from llm_router.errors import LLMRouterError
from llm_router.gateway.anthropic_request import parse_messages_body
from llm_router.gateway.body import BodyUnread, RequestInvalid, body_refused, json_object, read_body
from llm_router.gateway.errors import ErrorInfo, error_info
from llm_router.gateway.state import GatewayState
from llm_router.layers.routing import stack_of
from llm_router.providers.anthropic import AnthropicProvider

NO_COUNT = ErrorInfo(
    404,
    "no Anthropic deployment on this route can count tokens: count locally",
    "invalid_request_error",
    "not_found",
)


async def answer_count(
    request: web.Request,
    state: GatewayState,
    shaped_error: Callable[[web.Request, ErrorInfo], web.Response],
) -> web.Response:
    """Answer one count (see the module doc), errors through ``shaped_error``."""
    try:
        body = json_object(
            await read_body(request, limit=state.max_body_bytes, within=state.body_timeout)
        )
        body.setdefault("max_tokens", 1)  # a count takes none; the Messages parser needs one
        parsed = parse_messages_body(body)
        route = state.router.resolve(parsed.request).route
    except BodyUnread as exc:
        return await body_refused(request, shaped_error(request, error_info(exc)))
    except (RequestInvalid, LLMRouterError) as exc:
        return shaped_error(request, error_info(exc))
    for cand in route.candidates:
        provider = stack_of(cand.provider)[-1]
        if not isinstance(provider, AnthropicProvider):
            continue
        if cand.breaker is not None and cand.breaker.state != "closed":
            continue  # a deployment its breaker keeps (or tests) is not asked for a count
        try:
            count = await provider.count_tokens(parsed.request, cand.model or provider.model)
        except LLMRouterError:
            continue  # the next one, or the 404: the client counts locally
        return web.json_response({"input_tokens": count})
    return shaped_error(request, NO_COUNT)
