"""``POST /v1/chat/completions``: streaming (SSE) and non-streaming answers.

The request's lifecycle (the commit point, a client that goes away, the drain, the
one ``request.finished`` outcome) is the one both front doors share
(:mod:`._lifecycle`); this module says what is OpenAI's: the body
(:func:`~.openai_request.parse_chat_request`), errors in OpenAI's shape,
``chat.completion.chunk`` events ending with the usage event (when asked for) and
``[DONE]``, and the ``chat.completion`` object. After the commit point, a failure
ends the SSE stream with an error event and no ``[DONE]``.
"""

from __future__ import annotations

import json
import time
import uuid

from aiohttp import web

from llm_router.accumulate import Accumulator
from llm_router.gateway._lifecycle import PROVIDER_HEADER, TASK_HEADER, answer
from llm_router.gateway.access import REQUEST_ID_HEADER, Outcome, error_response
from llm_router.gateway.errors import ErrorInfo
from llm_router.gateway.openai_format import ChunkEncoder, completion_body
from llm_router.gateway.openai_request import ParsedRequest, parse_chat_request
from llm_router.gateway.state import GatewayState


def _ids() -> tuple[str, int]:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())


class _OpenAIDoor:
    """The Chat Completions API's side of :func:`~._lifecycle.answer`."""

    __slots__ = ()

    def refused(self, request: web.Request) -> ErrorInfo | None:
        """Nothing in the headers is refused before the body is read."""
        return None

    def parse(self, body: bytes, *, task: str | None, request_id: str) -> ParsedRequest:
        """A validated Chat Completions body."""
        return parse_chat_request(body, task=task, request_id=request_id)

    def error(
        self, request: web.Request, info: ErrorInfo, outcome: Outcome = "rejected"
    ) -> web.Response:
        """``info`` in OpenAI's error shape."""
        return error_response(request, info, outcome)

    def error_event(self, info: ErrorInfo) -> bytes:
        """``info`` as an SSE ``data:`` event."""
        return info.sse_event()

    def headers(self, request_id: str, task: str) -> dict[str, str]:
        """The task and the request id."""
        return {TASK_HEADER: task, REQUEST_ID_HEADER: request_id}

    def events(self, parsed: ParsedRequest) -> ChunkEncoder:
        """A ``chat.completion.chunk`` encoder with a new id."""
        return ChunkEncoder(*_ids(), include_usage=parsed.include_usage)

    def body(
        self, request: web.Request, acc: Accumulator, duration_s: float, headers: dict[str, str]
    ) -> web.Response:
        """The ``chat.completion`` object."""
        completion = acc.build(duration_s=duration_s)
        return web.Response(
            text=json.dumps(completion_body(completion, *_ids())),
            content_type="application/json",
            headers={**headers, PROVIDER_HEADER: completion.provider},
        )


_DOOR = _OpenAIDoor()


async def chat_completions(request: web.Request, state: GatewayState) -> web.StreamResponse:
    """Answer one chat completion request."""
    return await answer(request, state, _DOOR)
