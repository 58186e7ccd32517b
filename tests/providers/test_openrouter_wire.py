"""OpenRouter's keep-alive comments and in-stream errors against a loopback upstream.

Source: OpenRouter docs, API reference "Streaming" (openrouter.ai/docs/api/reference/
streaming): ``: OPENROUTER PROCESSING`` comments keep the connection alive; "Handling
errors during streaming": once tokens were sent the status stays 200 and an error
arrives as a ``data:`` event with a top-level ``error`` object and
``finish_reason: "error"`` (the event below is the docs' example).
"""

from __future__ import annotations

import aiohttp
import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.providers import OpenAIProvider
from tests.providers.conftest import Reply, Upstream, sse

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])

OPENROUTER_ERROR = sse(
    '{"id":"cmpl-abc123","object":"chat.completion.chunk","created":1234567890,'
    '"model":"openai/gpt-4o","provider":"openai","error":{"code":"server_error",'
    '"message":"Provider disconnected unexpectedly"},"choices":[{"index":0,'
    '"delta":{"content":""},"finish_reason":"error"}]}'
)
KEEPALIVE = b": OPENROUTER PROCESSING\n\n"


def openrouter(upstream: Upstream, session: aiohttp.ClientSession) -> OpenAIProvider:
    url = upstream.url + "/api/v1"
    return OpenAIProvider(base_url=url, api_key="sk-or-key", model="openai/gpt-4o", session=session)


async def test_openrouter_error_event_after_text_interrupts(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Keep-alive comments are skipped; the docs' error event after text (HTTP 200) is
    StreamInterrupted with the provider's message, the partial text kept."""
    upstream.script(
        Reply(
            body=[
                KEEPALIVE,
                sse({"choices": [{"index": 0, "delta": {"content": "Half an"}}]}),
                KEEPALIVE,
                OPENROUTER_ERROR,
            ]
        )
    )
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(openrouter(upstream, session), REQ)
    assert info.value.partial.text == "Half an"
    cause = info.value.cause
    assert isinstance(cause, errors.ServerError)
    assert cause.message == "Provider disconnected unexpectedly"


async def test_openrouter_error_event_before_text_is_retryable(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The same event before any text is a retryable ServerError (nothing committed)."""
    upstream.script(Reply(body=[KEEPALIVE, KEEPALIVE, OPENROUTER_ERROR]))
    with pytest.raises(errors.ServerError, match="Provider disconnected") as info:
        await complete(openrouter(upstream, session), REQ)
    assert info.value.retryable


async def test_finish_reason_error_alone_is_never_success(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """finish_reason "error" without an error object still fails the stream."""
    error_finish = sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "error"}]})
    text = sse({"choices": [{"index": 0, "delta": {"content": "Half"}}]})
    upstream.script(Reply(body=[text, error_finish, b"data: [DONE]\n\n"]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(openrouter(upstream, session), REQ)
    assert isinstance(info.value.cause, errors.ServerError)
    assert info.value.partial.text == "Half"
