"""Ollama's documented NDJSON lines against a loopback upstream.

Sources (GitHub ollama/ollama):
- docs/api/streaming.mdx: a stream whose last line carries text *and* ``"done":true,
  "done_reason": "stop"`` (verbatim).
- docs/api.md, "Chat request (with tools)": the response object, compacted onto one
  NDJSON line: whole tool calls with object ``arguments`` and no ``id``.
- api/types.go (current): ``ToolCall{ID string `json:"id,omitempty"`; Function
  ToolCallFunction{Index int `json:"index"`; Name; Arguments}}`` — recent servers send ids.
- docs/capabilities/tool-calling.mdx, "Tool calling with streaming": each chunk's
  ``message.tool_calls`` holds new whole calls (clients ``extend`` their list).
- docs/api/errors.mdx, "Errors that occur while streaming": an ``{"error": …}`` line with
  status 200 (the wire sample ``ollama_generate_midstream_error.ndjson`` replays it).
"""

from __future__ import annotations

import json

import aiohttp

from llm_router import ChatRequest, complete
from llm_router.providers import OllamaProvider
from tests.providers.conftest import NDJSON_HEADERS, Reply, Upstream

REQ = ChatRequest(messages=[{"role": "user", "content": "What is the weather today in Paris?"}])

STREAMING_DOC = b"""{"model":"gemma3","created_at":"2025-10-26T17:15:24.097767Z","response":"That","done":false}
{"model":"gemma3","created_at":"2025-10-26T17:15:24.109172Z","response":"'","done":false}
{"model":"gemma3","created_at":"2025-10-26T17:15:24.121485Z","response":"s","done":false}
{"model":"gemma3","created_at":"2025-10-26T17:15:24.132802Z","response":" a","done":false}
{"model":"gemma3","created_at":"2025-10-26T17:15:24.143931Z","response":" fantastic","done":false}
{"model":"gemma3","created_at":"2025-10-26T17:15:24.155176Z","response":" question","done":false}
{"model":"gemma3","created_at":"2025-10-26T17:15:24.166576Z","response":"!","done":true, "done_reason": "stop"}
"""  # noqa: E501 (the docs' lines, verbatim)

TOOLS_DOC = (
    b'{"model":"llama3.2","created_at":"2024-07-22T20:33:28.123648Z","message":{"role":'
    b'"assistant","content":"","tool_calls":[{"function":{"name":"get_current_weather",'
    b'"arguments":{"format":"celsius","location":"Paris, FR"}}}]},"done_reason":"stop",'
    b'"done":true,"total_duration":885095291,"load_duration":3753500,"prompt_eval_count":122,'
    b'"prompt_eval_duration":328493000,"eval_count":33,"eval_duration":552222000}\n'
)


def _reply(*body: bytes) -> Reply:
    return Reply(headers=dict(NDJSON_HEADERS), body=list(body))


def _make(upstream: Upstream, session: aiohttp.ClientSession) -> OllamaProvider:
    return OllamaProvider(base_url=upstream.url, model="llama3.2", session=session)


async def test_last_line_with_text_and_done(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The text of the done line is kept; done_reason is the finish; no counts → no usage."""
    upstream.script(_reply(STREAMING_DOC))
    result = await complete(_make(upstream, session), REQ)
    assert result.text == "That's a fantastic question!"
    assert (result.finish_reason, result.raw_finish_reason, result.usage) == ("stop", "stop", None)


async def test_documented_tool_call_without_id(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A whole call with object arguments and no id gets a made-up id; done_reason stop
    with calls is tool_calls; prompt_eval_count / eval_count are the usage."""
    upstream.script(_reply(TOOLS_DOC))
    result = await complete(_make(upstream, session), REQ)
    (call,) = result.tool_calls
    assert (call.id, call.name) == ("call_0", "get_current_weather")
    assert json.loads(call.arguments) == {"format": "celsius", "location": "Paris, FR"}
    assert (result.finish_reason, result.raw_finish_reason) == ("tool_calls", "stop")
    assert result.usage is not None and (result.usage.input_tokens, result.usage.output_tokens) == (
        122,
        33,
    )


async def test_streamed_tool_calls_with_ids_and_index(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Recent servers' ids are kept; calls spread over chunks are new calls, in order."""
    lines = [
        {
            "id": "call_x1y2",
            "function": {"index": 0, "name": "get_temperature", "arguments": {"city": "New York"}},
        },
        {
            "id": "call_z3w4",
            "function": {"index": 1, "name": "get_temperature", "arguments": {"city": "London"}},
        },
    ]
    body = [
        json.dumps(
            {
                "model": "qwen3",
                "message": {"role": "assistant", "content": "", "tool_calls": [call]},
                "done": False,
            }
        ).encode()
        + b"\n"
        for call in lines
    ]
    body.append(
        b'{"model":"qwen3","message":{"role":"assistant","content":""},"done":true,'
        b'"done_reason":"stop","prompt_eval_count":30,"eval_count":40}\n'
    )
    upstream.script(_reply(*body))
    result = await complete(_make(upstream, session), REQ)
    got = [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls]
    assert got == [
        ("call_x1y2", "get_temperature", {"city": "New York"}),
        ("call_z3w4", "get_temperature", {"city": "London"}),
    ]
    assert result.finish_reason == "tool_calls"
