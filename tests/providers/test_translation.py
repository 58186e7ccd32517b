"""One request with every OpenAI field the gateway accepts, sent to each provider's
loopback upstream: the body it receives is the provider's own documented request
(docs/DESIGN.md §2.1, the table in :mod:`llm_router.providers._fields`)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from llm_router import ChatRequest, complete
from llm_router.providers import AnthropicProvider, GeminiProvider, OllamaProvider, OpenAIProvider
from llm_router.types import Completion, Usage
from tests.providers.conftest import Upstream
from tests.providers.replies import (
    anthropic_reply,
    as_json,
    gemini_reply,
    ollama_reply,
    openai_reply,
)

IMAGE = "data:image/png;base64,iVBORw0KGgo="
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"total": {"type": "number"}, "currency": {"type": "string"}},
    "required": ["total", "currency"],
    "additionalProperties": False,
}
PARAMS = {"type": "object", "properties": {"id": {"type": "string"}}}
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "description": "Look an order up.", "parameters": PARAMS},
}
OPTIONS: dict[str, Any] = {
    "seed": 7,
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "Invoice", "schema": SCHEMA, "strict": True},
    },
    "parallel_tool_calls": False,
    "user": "user-42",
    "presence_penalty": 0.25,
    "frequency_penalty": 0.5,
    "reasoning_effort": "medium",
    "service_tier": "default",
    "store": False,
    "prediction": {"type": "content", "content": "draft"},
    "modalities": ["text"],
    "verbosity": "low",
}
"""Every pass-through option of the gateway, but ``logit_bias`` (refused, tested below)."""

PARTS = [
    {"type": "text", "text": "Total of this invoice?"},
    {"type": "image_url", "image_url": {"url": IMAGE}},
]
EVERY = ChatRequest(
    messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": PARTS}],
    max_tokens=3000,
    temperature=1.5,
    top_p=0.97,
    stop=["END"],
    tools=[TOOL],
    tool_choice="auto",
    extra=OPTIONS,
)
BASE64_SOURCE = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
ANSWER = as_json({"total": 12.5, "currency": "EUR"})


async def _sent(upstream: Upstream, provider: Any, request: ChatRequest = EVERY) -> Completion:
    result = await complete(provider, request)
    assert len(upstream.requests) == 1
    return result


async def test_openai_sends_every_field_as_is(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """OpenAI's own wire: every field goes as the caller wrote it."""
    upstream.script(openai_reply(ANSWER))
    provider = OpenAIProvider(
        base_url=upstream.url + "/v1", api_key="sk-test", model="gpt-x", session=session
    )
    result = await _sent(upstream, provider)
    assert upstream.requests[0].json == {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": PARTS},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 3000,
        "temperature": 1.5,
        "top_p": 0.97,
        "tool_choice": "auto",
        "stop": ["END"],
        "tools": [TOOL],
        **OPTIONS,
    }
    assert json.loads(result.text) == {"total": 12.5, "currency": "EUR"}


async def test_anthropic_body_and_response_tool(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Anthropic: system lifted, image block, clamped temperature, stop_sequences, the
    JSON schema as a tool the model must call (beside the caller's, so ``any``), no
    parallel calls, metadata.user_id, the tier; thinking is left out beside a forced
    tool. The response tool's streamed input is the answer's text, ending as stop."""
    upstream.script(anthropic_reply(ANSWER, tool="Invoice"))
    provider = AnthropicProvider(
        base_url=upstream.url, api_key="sk-ant-test", model="claude-x", session=session
    )
    result = await _sent(upstream, provider)
    assert upstream.requests[0].json == {
        "model": "claude-x",
        "system": "Be terse.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Total of this invoice?"},
                    {"type": "image", "source": BASE64_SOURCE},
                ],
            }
        ],
        "max_tokens": 3000,
        "stream": True,
        "temperature": 1.0,
        "top_p": 0.97,
        "stop_sequences": ["END"],
        "tools": [
            {
                "name": "lookup",
                "description": "Look an order up.",
                "input_schema": PARAMS,
            },
            {
                "name": "Invoice",
                "description": (
                    "Give your final answer by calling this tool: its input is the answer, "
                    "a JSON value that follows the schema."
                ),
                "input_schema": SCHEMA,
            },
        ],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "metadata": {"user_id": "user-42"},
        "service_tier": "standard_only",
    }
    assert result.text == ANSWER and result.tool_calls == ()
    assert (result.finish_reason, result.raw_finish_reason) == ("stop", "tool_use")
    assert (result.model, result.upstream_model) == ("claude-x", "claude-upstream-20250929")


async def test_gemini_body(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """Gemini: systemInstruction, inlineData, generationConfig with seed, penalties, the
    JSON schema as responseJsonSchema and the thinking budget; tools, toolConfig."""
    upstream.script(gemini_reply(ANSWER))
    provider = GeminiProvider(
        base_url=upstream.url + "/v1beta", api_key="AIza-test", model="gemini-x", session=session
    )
    result = await _sent(upstream, provider)
    assert upstream.requests[0].json == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "Total of this invoice?"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                ],
            }
        ],
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "generationConfig": {
            "maxOutputTokens": 3000,
            "temperature": 1.5,
            "topP": 0.97,
            "stopSequences": ["END"],
            "seed": 7,
            "presencePenalty": 0.25,
            "frequencyPenalty": 0.5,
            "responseMimeType": "application/json",
            "responseJsonSchema": SCHEMA,
            "thinkingConfig": {"thinkingBudget": 8192},
        },
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "lookup",
                        "description": "Look an order up.",
                        "parametersJsonSchema": PARAMS,
                    }
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    }
    assert json.loads(result.text) == {"total": 12.5, "currency": "EUR"}
    assert (result.model, result.upstream_model) == ("gemini-x", "gemini-upstream-001")


async def test_ollama_body(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """Ollama: options (sampling, num_predict, seed, penalties), base64 images, the
    schema as ``format``, ``think``, tools as sent."""
    upstream.script(ollama_reply(ANSWER))
    provider = OllamaProvider(base_url=upstream.url, model="llama-x", session=session)
    result = await _sent(upstream, provider)
    assert upstream.requests[0].json == {
        "model": "llama-x",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Total of this invoice?", "images": ["iVBORw0KGgo="]},
        ],
        "stream": True,
        "options": {
            "temperature": 1.5,
            "top_p": 0.97,
            "stop": ["END"],
            "num_predict": 3000,
            "seed": 7,
            "presence_penalty": 0.25,
            "frequency_penalty": 0.5,
        },
        "tools": [TOOL],
        "format": SCHEMA,
        "think": True,
    }
    assert json.loads(result.text) == {"total": 12.5, "currency": "EUR"}
    assert (result.model, result.upstream_model) == ("llama-x", "llama-upstream:8b")
    assert result.usage == Usage(9, 5)
