"""Anthropic usage accounting against a loopback upstream, with the docs' wire bytes.

Sources:
- Anthropic streaming docs, "Streaming request with web search tool use"
  (docs.anthropic.com/en/docs/build-with-claude/streaming): its ``message_start`` and
  ``message_delta`` lines, verbatim. The ``...`` elisions and the web_search_tool_result
  block (elided in the docs, so not valid JSON) are left out.
- Anthropic rate-limits docs (platform.claude.com/docs/en/api/rate-limits): ``input_tokens``
  counts only the tokens after the last cache breakpoint, and
  ``total_input_tokens = cache_read_input_tokens + cache_creation_input_tokens + input_tokens``
  ("with a 200k token cached document and a 50 token user question, you'd see
  input_tokens: 50 even though the total input is 200,050 tokens").
- anthropics/anthropic-sdk-python, src/anthropic/types/message_delta_usage.py: every count
  in ``message_delta.usage`` is cumulative; lib/streaming/_messages.py replaces each count
  the delta carries and keeps the others.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from llm_router.accumulate import complete
from llm_router.providers._anthropic_decode import AnthropicDecoder
from llm_router.providers.anthropic import AnthropicProvider
from llm_router.types import ChatRequest
from tests.providers.conftest import Reply, Upstream

REQUEST = ChatRequest(messages=[{"role": "user", "content": "What's the weather in NYC?"}])

WEB_SEARCH_STREAM = b"""event: message_start
data: {"type":"message_start","message":{"id":"msg_01G...","type":"message","role":"assistant","model":"claude-3-7-sonnet-20250219","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2679,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"I'll check"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the current weather in New York City for you"}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srvtoolu_014hJH82Qum7Td6UV8gDXThB","name":"web_search","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"query"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \\"weather"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" NY"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"C to"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"day\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1 }

event: content_block_start
data: {"type":"content_block_start","index":3,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"Here's the current weather information for New York"}}

event: content_block_delta
data: {"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":" City:\\n\\n# Weather"}}

event: content_block_stop
data: {"type":"content_block_stop","index":3}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":10682,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":510,"server_tool_use":{"web_search_requests":1}}}

event: message_stop
data: {"type":"message_stop"}

"""  # noqa: E501 (the docs' event lines, verbatim)


def _event(kind: str, data: str) -> bytes:
    return f"event: {kind}\ndata: {data}\n\n".encode()


def _cached_stream(delta_usage: str) -> list[bytes]:
    """The docs' basic stream with the rate-limits docs' cache example in its usage."""
    start = (
        '{"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",'
        '"type":"message","role":"assistant","content":[],"model":"claude-opus-4-6",'
        '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":50,'
        '"cache_creation_input_tokens":0,"cache_read_input_tokens":200000,"output_tokens":1}}}'
    )
    return [
        _event("message_start", start),
        _event(
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        ),
        _event(
            "content_block_delta",
            '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}',
        ),
        _event("content_block_stop", '{"type":"content_block_stop","index":0}'),
        _event(
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
            f'"usage":{delta_usage}}}',
        ),
        _event("message_stop", '{"type":"message_stop"}'),
    ]


def _make(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> AnthropicProvider:
    return AnthropicProvider(
        base_url=upstream.url, api_key="sk-ant-test", model="claude-test", session=session, **kw
    )


async def test_message_delta_input_tokens_replace_message_start(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The docs' web-search stream: message_delta's cumulative input_tokens (10682, after
    the server tool ran) replace message_start's 2679; output is message_delta's 510;
    the server tool call is Anthropic's own, not a tool call for the caller."""
    upstream.script(Reply(body=[WEB_SEARCH_STREAM]))
    result = await complete(_make(upstream, session), REQUEST)
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (10682, 510)
    assert result.text == (
        "I'll check the current weather in New York City for you."
        "Here's the current weather information for New York City:\n\n# Weather"
    )
    assert result.tool_calls == () and result.raw_finish_reason == "end_turn"
    assert result.model == "claude-test"
    assert result.upstream_model == "claude-3-7-sonnet-20250219"


async def test_cached_prompt_counts_as_input(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """input_tokens (50, after the breakpoint) + cache reads (200000) = the whole prompt;
    a message_delta that carries only output_tokens leaves the input counts alone."""
    upstream.script(Reply(body=_cached_stream('{"output_tokens":15}')))
    result = await complete(_make(upstream, session), REQUEST)
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (200_050, 15)


async def test_delta_repeating_one_cache_count_keeps_the_other(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Each count in message_delta replaces its own value only: a delta restating
    cache_creation_input_tokens (0) keeps message_start's 200000 cache reads."""
    upstream.script(
        Reply(body=_cached_stream('{"cache_creation_input_tokens":0,"output_tokens":15}'))
    )
    result = await complete(_make(upstream, session), REQUEST)
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (200_050, 15)


def test_cache_creation_and_read_add_up() -> None:
    """All three disjoint counts add up; a later cumulative count replaces, never adds."""
    decoder = AnthropicDecoder("anthropic", "m")
    start = {"input_tokens": 3, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 7}
    decoder.decode("message_start", {"type": "message_start", "message": {"usage": start}})
    delta = {"cache_creation_input_tokens": 100, "output_tokens": 9}
    decoder.decode(
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": delta},
    )
    usage = decoder.final_chunk().usage
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (110, 9)
