"""``POST /v1/messages``: the Anthropic-compatible front door, through the same router.

The official ``anthropic`` SDKs and Anthropic-speaking tools work by pointing their
base URL at the gateway. The client's key may come as ``x-api-key`` (Anthropic's way)
or ``Authorization: Bearer``; errors on this path, the auth middleware's included,
have Anthropic's shape (:func:`shaped_error`). ``anthropic-version`` is accepted (any
``YYYY-MM-DD`` date; a malformed one is a 400).

The request's lifecycle is the one both front doors share (:mod:`._lifecycle`): the
first chunk is pulled before the response is prepared, so a failure before it is a
proper HTTP status (after the router's retries and failover), and after it the SSE
stream ends with an ``event: error``. ``stream: false`` reads the whole answer as setup
(``router.stream_buffered``): a stream that breaks on the way is started afresh on
another candidate instead of failing the request.
"""

from __future__ import annotations

import re

from aiohttp import web

from llm_router.accumulate import Accumulator
from llm_router.gateway._lifecycle import EMPTY, PROVIDER_HEADER, TASK_HEADER, answer
from llm_router.gateway.access import EXCHANGE, REQUEST_ID_HEADER, Outcome, error_response
from llm_router.gateway.anthropic_format import (
    MessageEncoder,
    error_body,
    error_event,
    message_body,
    message_id,
)
from llm_router.gateway.anthropic_request import ParsedMessages, parse_messages_request
from llm_router.gateway.body import RequestInvalid
from llm_router.gateway.count_tokens import answer_count
from llm_router.gateway.errors import ErrorInfo, error_info
from llm_router.gateway.state import GatewayState

MESSAGES_PATH = "/v1/messages"
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")


COUNT_TOKENS_PATH = MESSAGES_PATH + "/count_tokens"


def is_anthropic(request: web.Request) -> bool:
    """Whether ``request`` is for the Anthropic front door (its errors take that shape,
    its key may come as ``x-api-key``): ``/v1/messages`` and what lies under it."""
    path = request.path
    return path == MESSAGES_PATH or path.startswith(MESSAGES_PATH + "/")


async def count_tokens(request: web.Request, state: GatewayState) -> web.Response:
    """``POST /v1/messages/count_tokens`` (:mod:`.count_tokens`), in Anthropic's shape."""
    return await answer_count(request, state, shaped_error)


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


class _AnthropicDoor:
    """The Messages API's side of :func:`~._lifecycle.answer`."""

    __slots__ = ()

    def refused(self, request: web.Request) -> ErrorInfo | None:
        """A malformed ``anthropic-version`` header (400)."""
        version = request.headers.get("anthropic-version")
        if version is not None and not _VERSION.match(version):
            return error_info(RequestInvalid("anthropic-version: expected a date like 2023-06-01"))
        return None

    def parse(self, body: bytes, *, task: str | None, request_id: str) -> ParsedMessages:
        """A validated Messages body, translated."""
        return parse_messages_request(body, task=task, request_id=request_id)

    def error(
        self, request: web.Request, info: ErrorInfo, outcome: Outcome = "rejected"
    ) -> web.Response:
        """``info`` in Anthropic's error shape (:func:`shaped_error`)."""
        return shaped_error(request, info, outcome)

    def error_event(self, info: ErrorInfo) -> bytes:
        """``info`` as an ``event: error``."""
        return error_event(info)

    def headers(self, request_id: str, task: str) -> dict[str, str]:
        """The task and the request id (also as Anthropic's ``request-id``)."""
        return {TASK_HEADER: task, REQUEST_ID_HEADER: request_id, "request-id": request_id}

    def events(self, parsed: ParsedMessages) -> MessageEncoder:
        """A Messages event encoder with a new id."""
        return MessageEncoder(message_id())

    def body(
        self, request: web.Request, acc: Accumulator, duration_s: float, headers: dict[str, str]
    ) -> web.Response:
        """The ``message`` object (an empty answer is a 502)."""
        completion = acc.build()
        if not acc.chunks:
            return shaped_error(request, EMPTY, "failed")
        return web.json_response(
            message_body(completion, message_id()),
            headers={**headers, PROVIDER_HEADER: completion.provider},
        )


_DOOR = _AnthropicDoor()


async def messages(request: web.Request, state: GatewayState) -> web.StreamResponse:
    """Answer one Messages request."""
    return await answer(request, state, _DOOR)
