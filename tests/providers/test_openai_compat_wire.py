"""Azure OpenAI content filtering and rate limits against a loopback upstream, with the
documented wire bytes.

Sources:
- Microsoft Learn, Azure OpenAI "Use blocklists" (MicrosoftDocs azure-ai-docs): the 400
  body of a prompt the content filter blocks, verbatim.
- Microsoft Learn, Azure OpenAI "Content streaming": the Asynchronous Filter sample
  streams (passes / blocked by filters), verbatim lines incl. their trailing spaces; the
  ``...`` elisions and one event the page breaks across two lines are left out. In this
  mode annotation chunks follow ``finish_reason: "stop"``, and "the content filtering
  signal is delayed".
- openai/openai-python src/openai/_base_client.py ``_parse_retry_after_header``:
  ``retry-after-ms`` (milliseconds) first, then ``retry-after``; the SDK never derives a
  wait from ``x-ratelimit-reset-*``.
- Azure AI Foundry (non-OpenAI models) answering a blocked request with a 400 whose body
  is a completion with ``finish_reason: "content_filter"``: the body as logged in public
  third-party benchmark logs (a Kimi-K2.6 deployment).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.providers import OpenAIProvider
from tests.providers.conftest import Reply, Upstream

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])

AZURE_PROMPT_BLOCKED = """{
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI\u2019s content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        "type": null,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "custom_blocklists": [{"filtered": true, "id": "raiBlocklistName"}],
                "hate": {"filtered": false, "severity": "safe"},
                "self_harm": {"filtered": false, "severity": "safe"},
                "sexual": {"filtered": false, "severity": "safe"},
                "violence": {"filtered": false, "severity": "safe"}
            }
        }
    }
}""".encode()  # noqa: E501

_SAFE = (
    '{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":'
    '"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,'
    '"severity":"safe"}}'
)
_HEAD = '"object":"chat.completion.chunk","created":1699587397,"model":"gpt-35-turbo"'


def _data(line: str) -> bytes:
    return f"data: {line} \n\n".encode()  # the docs' lines end with a space


def _piece(content: str, chunk_id: str = "chatcmpl-8JCbt5d4luUIhYCI7YH4dQK7hnHx2") -> bytes:
    delta = '{"role":"assistant"}' if content == "" else f'{{"content":"{content}"}}'
    choice = f'{{"index":0,"finish_reason":null,"delta":{delta}}}'
    return _data(f'{{"id":"{chunk_id}",{_HEAD},"choices":[{choice}],"usage":null}}')


PROMPT_ANNOTATION = _data(
    '{"id":"","object":"","created":0,"model":"","prompt_filter_results":[{"prompt_index":0,'
    f'"content_filter_results":{_SAFE}}}],"choices":[],"usage":null}}'
)
ANNOTATION = _data(
    '{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":null,'
    f'"content_filter_results":{_SAFE},"content_filter_offsets":{{"check_offset":65,'
    '"start_offset":65,"end_offset":1056}}],"usage":null}'
)
VERDICT = _data(
    '{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":'
    '"content_filter","content_filter_results":{"protected_material_text":{"detected":true,'
    '"filtered":true}},"content_filter_offsets":{"check_offset":65,"start_offset":65,'
    '"end_offset":1056}}],"usage":null}'
)
STOP = _data(
    '{"id":"chatcmpl-7rCNsVeZy0PGnX3H6jK8STps5nZUY","object":"chat.completion.chunk",'
    '"created":1692913344,"model":"gpt-35-turbo","choices":[{"index":0,"finish_reason":"stop",'
    '"delta":{}}],"usage":null}'
)
DONE = b"data: [DONE] \n\n"


def azure(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> OpenAIProvider:
    return OpenAIProvider(
        base_url=upstream.url,
        api_key="az-key",
        model="gpt-35",
        api_style="azure",
        session=session,
        **kw,
    )


async def test_azure_prompt_blocked_is_content_filtered(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The docs' 400 (code content_filter, innererror ResponsibleAIPolicyViolation) is
    ContentFiltered: not retryable, Azure's own message passed back."""
    upstream.script(
        Reply(status=400, headers={"Content-Type": "application/json"}, body=[AZURE_PROMPT_BLOCKED])
    )
    with pytest.raises(errors.ContentFiltered) as info:
        await complete(azure(upstream, session), REQ)
    assert info.value.status == 400 and not info.value.retryable
    assert "content management policy" in info.value.message
    assert len(upstream.requests) == 1


async def test_azure_stream_blocked_mid_way_ends_content_filter(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The docs' "blocked by filters" stream: the text so far, then a finish_reason
    content_filter chunk with no delta (and an empty id) ends the answer as filtered."""
    body = [
        PROMPT_ANNOTATION,
        _piece(""),
        _piece("Hey"),
        _piece(" Jude"),
        _piece(","),
        ANNOTATION,
        VERDICT,
        DONE,
    ]
    upstream.script(Reply(body=body))
    result = await complete(azure(upstream, session), REQ)
    assert result.text == "Hey Jude,"
    assert (result.finish_reason, result.raw_finish_reason) == ("content_filter", "content_filter")


async def test_azure_annotation_after_stop_is_read_and_ignored(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The docs' "passes filters" shape: an annotation chunk after the stop chunk, then
    [DONE]; the answer ends as stop."""
    body = [PROMPT_ANNOTATION, _piece("Color"), _piece(" is"), STOP, ANNOTATION, DONE]
    upstream.script(Reply(body=body))
    result = await complete(azure(upstream, session, include_usage=False), REQ)
    assert (result.text, result.finish_reason) == ("Color is", "stop")


async def test_azure_filter_verdict_after_stop_wins(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """With the Asynchronous Filter the verdict may follow the stop chunk (the two docs
    samples' chunks in that order): it is read up to [DONE] and makes the answer
    content_filter, even without a usage chunk to wait for."""
    body = [_piece("Hey"), STOP, ANNOTATION, VERDICT, DONE]
    upstream.script(Reply(body=body))
    result = await complete(azure(upstream, session, include_usage=False), REQ)
    assert (result.text, result.finish_reason) == ("Hey", "content_filter")


async def test_azure_retry_after_ms_is_milliseconds(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A 429's retry-after-ms wins over Retry-After and is read as milliseconds."""
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create "
            "Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate "
            "limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.",
        }
    }
    upstream.script(Reply.json(429, body, {"retry-after-ms": "5821", "retry-after": "6"}))
    with pytest.raises(errors.RateLimited) as info:
        await complete(azure(upstream, session), REQ)
    assert info.value.retry_after == pytest.approx(5.821)


async def test_ratelimit_reset_of_a_limit_not_exhausted_is_no_wait_hint(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Without Retry-After, x-ratelimit-reset-* of limits with requests/tokens left is
    not a wait: retry_after stays None (backoff decides)."""
    headers = {
        "x-ratelimit-remaining-requests": "12",
        "x-ratelimit-reset-requests": "6m0s",
        "x-ratelimit-remaining-tokens": "9000",
        "x-ratelimit-reset-tokens": "1s",
    }
    upstream.script(Reply.json(429, {"error": {"message": "slow down"}}, headers))
    with pytest.raises(errors.RateLimited) as info:
        await complete(azure(upstream, session), REQ)
    assert info.value.retry_after is None


async def test_foundry_completion_shaped_400_is_content_filtered(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A 400 whose body is a completion stopped by the filter is ContentFiltered."""
    body = {
        "id": "b4b5518bee0345c385d847204dc3e258",
        "model": "Kimi-K2.6",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ""},
                "finish_reason": "content_filter",
                "content_filter_results": {
                    "error": {
                        "code": "content_filter",
                        "message": "ResponsibleAI result indicated block action.",
                    }
                },
            }
        ],
        "usage": {"prompt_tokens": 317, "completion_tokens": 779, "total_tokens": 1096},
        "created": 1780377244,
        "object": "chat.completion",
        "prompt_filter_results": None,
    }
    upstream.script(Reply.json(400, body))
    with pytest.raises(errors.ContentFiltered, match="content_filter"):
        await complete(azure(upstream, session), REQ)
