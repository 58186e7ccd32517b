"""Gemini usage, the end of a stream, and function declarations, against a loopback
upstream with recorded wire bytes.

Sources:
- vercel/ai packages/google/src/__fixtures__/google-stream-gemini-3.7-flash-2026-09-16.chunks.txt
  (a recorded ``alt=sse`` stream, verbatim): usageMetadata on every event, cumulative;
  the event with ``finishReason`` carries the final usage; ``thoughtsTokenCount`` apart.
- vercel/ai packages/google/src/__fixtures__/issue-19822-google-search-live.chunks.txt
  (recorded payloads, SSE framing added): ``totalTokenCount`` 695 = prompt 17 +
  candidates 37 + toolUsePrompt 308 + thoughts 333.
- googleapis/python-genai GenerateContentResponseUsageMetadata: promptTokenCount includes
  cached content; total = prompt + candidates + tool-use prompt + thoughts.
- A thinking model that spends its budget thinking ends with MAX_TOKENS and no
  ``candidatesTokenCount`` (proto3 JSON leaves zeros out): the shape below is the one
  reported in third-party logs (``"candidatesTokenCount"`` absent, ``thoughtsTokenCount``
  set; cf. googleapis/python-genai issue #811, empty MAX_TOKENS answers).
- Gemini API FunctionDeclaration: ``parametersJsonSchema`` takes JSON Schema
  (``additionalProperties`` included) and is mutually exclusive with ``parameters``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

from llm_router.accumulate import complete
from llm_router.providers._gemini_decode import GeminiDecoder
from llm_router.providers.gemini import GeminiProvider
from llm_router.types import ChatRequest, StreamChunk
from llm_router.wire.sse import SSEParser
from tests.providers.conftest import Hold, Reply, Upstream

REQUEST = ChatRequest(messages=[{"role": "user", "content": "Say 'fixture ok'"}])

GEMINI_37_FLASH = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "fixture ok"}],"role": "model"},'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 7,"candidatesTokenCount": 2,'
    b'"totalTokenCount": 103,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 7}],'
    b'"thoughtsTokenCount": 94,"serviceTier": "standard"},"modelVersion": "gemini-3.7-flash",'
    b'"responseId": "WQuqavG5KbfUjMcPuP_n6QI"}\n\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": '
    b'"EqkECqYEARFNMg+gQi3aPkE2hRW/Bg4AK2pNYqUDRt9IxseM7XQNgIzd3hjUAbUwrygYp1LFbcmhaVApsn"}],'
    b'"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": '
    b'{"promptTokenCount": 7,"candidatesTokenCount": 2,"totalTokenCount": 103,'
    b'"promptTokensDetails": [{"modality": "TEXT","tokenCount": 7}],"thoughtsTokenCount": 94,'
    b'"serviceTier": "standard"},"modelVersion": "gemini-3.7-flash",'
    b'"responseId": "WQuqavG5KbfUjMcPuP_n6QI"}\n\n'
)

GOOGLE_SEARCH = (
    b'data: {"candidates":[{"content":{"parts":[{"text":"The current date is Wednesday, '
    b'August 26, 2026."}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":17,'
    b'"candidatesTokenCount":20,"totalTokenCount":678,"promptTokensDetails":[{"modality":'
    b'"TEXT","tokenCount":17}],"toolUsePromptTokenCount":308,"toolUsePromptTokensDetails":'
    b'[{"modality":"TEXT","tokenCount":308}],"thoughtsTokenCount":333,"serviceTier":'
    b'"standard"},"modelVersion":"gemini-2.5-flash","responseId":"sanitized-issue-19822-stream"}'
    b"\n\n"
    b'data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":'
    b'"STOP","index":0}],"usageMetadata":{"promptTokenCount":17,"candidatesTokenCount":37,'
    b'"totalTokenCount":695,"promptTokensDetails":[{"modality":"TEXT","tokenCount":17}],'
    b'"toolUsePromptTokenCount":308,"toolUsePromptTokensDetails":[{"modality":"TEXT",'
    b'"tokenCount":308}],"thoughtsTokenCount":333,"serviceTier":"standard"},"modelVersion":'
    b'"gemini-2.5-flash","responseId":"sanitized-issue-19822-stream"}\n\n'
)

THOUGHTS_ONLY_MAX_TOKENS = (
    b'data: {"candidates":[{"content":{},"finishReason":"MAX_TOKENS","index":0}],'
    b'"usageMetadata":{"promptTokenCount":1,"totalTokenCount":14,"thoughtsTokenCount":13},'
    b'"modelVersion":"gemini-3.7-flash"}\n\n'
)


def _make(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> GeminiProvider:
    url = upstream.url + "/v1beta"
    return GeminiProvider(
        base_url=url, api_key="AIza-test", model="gemini-x", session=session, **kw
    )


async def _closing_chunk_while_held(provider: GeminiProvider) -> StreamChunk:
    """The closing chunk, read while the upstream still holds the connection open: it
    only arrives before the (long) trailer grace if nothing more is awaited."""
    chunks: list[StreamChunk] = []

    async def read() -> None:
        async with contextlib.aclosing(provider.stream_complete(REQUEST)) as stream:
            async for chunk in stream:
                chunks.append(chunk)
                if chunk.finish_reason is not None:
                    return

    await asyncio.wait_for(read(), 5)
    return chunks[-1]


def _decode(body: bytes) -> GeminiDecoder:
    decoder = GeminiDecoder("gemini", "m")
    for event in SSEParser().feed(body):
        decoder.decode(event.event, json.loads(event.data))
    return decoder


async def test_recorded_stream_ends_on_the_finish_event(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Usage rides on every event; the finish event's is final, so the stream closes at
    once (no trailer awaited); thinking tokens count as output (2 + 94)."""
    upstream.script(Reply(body=[GEMINI_37_FLASH, Hold(upstream.hold())]))
    last = await _closing_chunk_while_held(_make(upstream, session, trailer_grace=60))
    assert (last.finish_reason, last.raw_finish_reason) == ("stop", "STOP")
    assert last.usage is not None and (last.usage.input_tokens, last.usage.output_tokens) == (7, 96)
    assert (last.model, last.upstream_model) == ("gemini-x", "gemini-3.7-flash")
    decoder = _decode(GEMINI_37_FLASH)
    assert decoder.finished and not decoder.wants_trailer


async def test_recorded_stream_text_and_usage(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The signature-only part adds nothing; the text is the answer."""
    upstream.script(Reply(body=[GEMINI_37_FLASH]))
    result = await complete(_make(upstream, session), REQUEST)
    assert (result.text, result.thinking, result.finish_reason) == ("fixture ok", "", "stop")


async def test_tool_use_prompt_tokens_are_input(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Input is prompt + tool-use prompt (17 + 308), output candidates + thoughts
    (37 + 333): together Gemini's totalTokenCount, 695."""
    upstream.script(Reply(body=[GOOGLE_SEARCH]))
    result = await complete(_make(upstream, session), REQUEST)
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (325, 370)
    assert result.usage.input_tokens + result.usage.output_tokens == 695
    assert result.text == "The current date is Wednesday, August 26, 2026."


async def test_thoughts_only_max_tokens_ends_at_once_with_thought_usage(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """MAX_TOKENS with no candidatesTokenCount: the usage is final all the same (absent
    means 0), so no trailer is awaited, and the 13 thinking tokens are the output."""
    upstream.script(Reply(body=[THOUGHTS_ONLY_MAX_TOKENS, Hold(upstream.hold())]))
    last = await _closing_chunk_while_held(_make(upstream, session, trailer_grace=60))
    assert (last.finish_reason, last.raw_finish_reason) == ("length", "MAX_TOKENS")
    assert last.usage is not None and (last.usage.input_tokens, last.usage.output_tokens) == (1, 13)


async def test_json_schema_parameters_go_to_parameters_json_schema(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """An OpenAI tool's JSON Schema (additionalProperties, anyOf, lower-case types) is sent
    unchanged as parametersJsonSchema, never as the OpenAPI-subset ``parameters``."""
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"anyOf": [{"type": "string", "enum": ["c", "f"]}, {"type": "null"}]},
        },
        "required": ["city"],
        "additionalProperties": False,
    }
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": schema}}
    upstream.script(Reply(body=[GEMINI_37_FLASH]))
    request = ChatRequest(messages=REQUEST.messages, tools=[tool])
    await complete(_make(upstream, session), request)
    (declaration,) = upstream.requests[0].json["tools"][0]["functionDeclarations"]
    assert declaration == {"name": "get_weather", "parametersJsonSchema": schema}
