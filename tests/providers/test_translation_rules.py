"""The translation table's rules one at a time: refusals before any call, dropped fields
logged, value-dependent translations, and the table itself against the gateway and the
README (docs/DESIGN.md §2.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from llm_router import ChatRequest, complete, errors
from llm_router.gateway.openai_request import _MODELLED, _PASS_THROUGH
from llm_router.providers import AnthropicProvider, GeminiProvider, OllamaProvider, OpenAIProvider
from llm_router.providers._anthropic_request import build_body as anthropic_body
from llm_router.providers._fields import GATEWAY, OPENAI, TABLES, render
from llm_router.providers._gemini_request import build_body as gemini_body
from llm_router.providers._ollama_request import build_body as ollama_body
from tests.providers.conftest import Upstream
from tests.providers.replies import anthropic_reply, openai_reply

USER = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
JSON_OBJECT = {"type": "json_object"}
README = Path(__file__).resolve().parents[2] / "README.md"


def req(**fields: Any) -> ChatRequest:
    """A one-turn request with ``fields`` (``extra`` options as keywords ``x_<name>``)."""
    extra = {k[2:]: fields.pop(k) for k in list(fields) if k.startswith("x_")}
    return ChatRequest(messages=USER, extra=extra, **fields)


def anthropic(request: ChatRequest) -> dict[str, Any]:
    return anthropic_body(request, "claude-x", provider="claude", max_tokens_default=4096)


def gemini(request: ChatRequest) -> dict[str, Any]:
    return gemini_body(request, provider="gemini")


def ollama(request: ChatRequest) -> dict[str, Any]:
    return ollama_body(request, "llama-x", provider="ollama")


BUILDERS = {"anthropic": anthropic, "gemini": gemini, "ollama": ollama}


def test_every_gateway_field_has_a_row_in_every_table() -> None:
    """The table covers exactly what the gateway accepts, for every provider."""
    assert set(GATEWAY) | set(OPENAI) == _MODELLED | _PASS_THROUGH
    assert not set(GATEWAY) & set(OPENAI)
    assert all(list(table) == list(OPENAI) for table in TABLES.values())


def test_readme_shows_the_table_of_the_code() -> None:
    """The README's translation table is :func:`render`'s output, verbatim."""
    assert render() in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("logit_bias", {"50256": -100}),
        ("modalities", ["text", "audio"]),
        ("response_format", {"type": "grammar"}),
    ],
)
def test_refused_options_raise_before_building(name: str, option: str, value: Any) -> None:
    """What a provider cannot honour is :class:`Unsupported`, naming the field."""
    with pytest.raises(errors.Unsupported) as caught:
        BUILDERS[name](req(**{f"x_{option}": value}))
    assert (caught.value.capability, caught.value.param) == (option, option)
    assert caught.value.fails_over and caught.value.refused
    assert not caught.value.counts_against_breaker


async def test_refusal_sends_nothing_and_openai_sends_it(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A refused option never reaches the wire; OpenAI's own API takes it as is."""
    request = req(x_logit_bias={"50256": -100})
    claude = AnthropicProvider(base_url=upstream.url, api_key="k", model="c", session=session)
    assert isinstance(claude.unsupported(request), errors.Unsupported)
    with pytest.raises(errors.Unsupported):
        await complete(claude, request)
    assert upstream.requests == []
    upstream.script(openai_reply("ok"))
    gpt = OpenAIProvider(base_url=upstream.url, api_key="k", model="g", session=session)
    assert gpt.unsupported(request) is None
    assert (await complete(gpt, request)).text == "ok"
    assert upstream.requests[0].json["logit_bias"] == {"50256": -100}
    assert isinstance(gpt.unsupported(req(x_modalities=["audio"])), errors.Unsupported)


def test_dropped_fields_are_logged_without_their_values() -> None:
    """Each dropped field is one debug event naming it, never its value."""
    secret = "value-that-must-not-be-logged"
    with capture_logs() as logs:
        anthropic(req(x_seed=3, x_store=True, x_verbosity=secret, x_prediction=secret))
    dropped = [e for e in logs if e["event"] == "request.field_dropped"]
    assert [e["field"] for e in dropped] == ["seed", "store", "verbosity", "prediction"]
    assert all(e["log_level"] == "debug" and e["provider"] == "claude" for e in dropped)
    assert secret not in json.dumps(logs)


def test_provider_native_extras_pass_through() -> None:
    """``extra`` keys that are not OpenAI fields are the provider's own options."""
    assert anthropic(req(x_top_k=5))["top_k"] == 5
    body = gemini(req(temperature=0.5, x_generationConfig={"topK": 3}))
    assert body["generationConfig"] == {"temperature": 0.5, "topK": 3}
    body = ollama(req(x_keep_alive="5m", x_options={"num_ctx": 8192}, x_seed=1))
    assert body["keep_alive"] == "5m" and body["options"] == {"seed": 1, "num_ctx": 8192}


def test_openais_newer_identity_fields() -> None:
    """``safety_identifier`` (OpenAI's successor to ``user``) is Anthropic's
    ``metadata.user_id`` when ``user`` is not set; ``prompt_cache_key`` has no
    equivalent outside OpenAI's API and is dropped."""
    assert anthropic(req(x_safety_identifier="s"))["metadata"] == {"user_id": "s"}
    assert anthropic(req(x_user="u", x_safety_identifier="s"))["metadata"] == {"user_id": "u"}
    for build in (anthropic, gemini, ollama):
        body = build(req(x_prompt_cache_key="k", x_safety_identifier="s"))
        assert "prompt_cache_key" not in json.dumps(body) and "safety_identifier" not in body


def test_anthropic_thinking_budget_and_max_tokens() -> None:
    """reasoning_effort → thinking: added to the default max_tokens, or bounded by the
    caller's; off when max_tokens leaves no room; temperature and a low top_p go."""
    body = anthropic(req(temperature=0.2, top_p=0.5, x_reasoning_effort="high"))
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}
    assert body["max_tokens"] == 4096 + 24576
    assert "temperature" not in body and "top_p" not in body
    body = anthropic(req(max_tokens=5000, top_p=0.97, x_reasoning_effort="xhigh"))
    assert body["thinking"]["budget_tokens"] == 4999 and body["max_tokens"] == 5000
    assert body["top_p"] == 0.97
    assert "thinking" not in anthropic(req(max_tokens=800, x_reasoning_effort="low"))
    assert "thinking" not in anthropic(req(x_reasoning_effort="minimal"))
    assert "thinking" not in anthropic(req(x_reasoning_effort="turbo"))  # unknown: dropped


def test_anthropic_thinking_stays_off_after_an_unsigned_tool_call() -> None:
    """With thinking on, Anthropic refuses a tool-use turn that does not start with its
    signed thinking: an OpenAI-shaped client has none to send back, so that request goes
    without thinking; with the turn's signed thinking (``Message.reasoning``) it stays."""
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    signed = {"type": "thinking", "thinking": "hm", "signature": "sig"}
    result = {"role": "tool", "tool_call_id": "t1", "content": "ok"}

    def loop(**turn: Any) -> ChatRequest:
        assistant = {"role": "assistant", "content": None, "tool_calls": [call], **turn}
        messages = [{"role": "user", "content": "go"}, assistant, result]
        return req(tools=[TOOL], x_reasoning_effort="low").replace(messages=messages)

    assert "thinking" not in anthropic(loop())
    body = anthropic(loop(reasoning=[signed]))
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["messages"][1]["content"][0] == signed


def test_anthropic_response_tool_choices() -> None:
    """json_object alone → the tool forced by name; beside a forced caller tool the
    format is dropped; tool_choice none → the response tool forced, tools kept."""
    body = anthropic(req(x_response_format=JSON_OBJECT))
    assert body["tools"][0]["name"] == "json_object"
    assert body["tools"][0]["input_schema"] == {"type": "object"}
    assert body["tool_choice"] == {"type": "tool", "name": "json_object"}
    forced = anthropic(req(tools=[TOOL], tool_choice="required", x_response_format=JSON_OBJECT))
    assert [t["name"] for t in forced["tools"]] == ["f"]
    assert forced["tool_choice"] == {"type": "any"}
    none = anthropic(req(tools=[TOOL], tool_choice="none", x_response_format=JSON_OBJECT))
    assert [t["name"] for t in none["tools"]] == ["f", "json_object"]
    assert none["tool_choice"] == {"type": "tool", "name": "json_object"}
    assert anthropic(req(x_user="u", x_service_tier="flex"))["metadata"] == {"user_id": "u"}
    assert "service_tier" not in anthropic(req(x_service_tier="flex"))


def test_anthropic_refuses_a_response_tool_it_cannot_carry() -> None:
    """A schema whose root is not an object, or named like a caller's tool: refused."""
    array = {"type": "json_schema", "json_schema": {"name": "L", "schema": {"type": "array"}}}
    clash = {"type": "json_schema", "json_schema": {"name": "f", "schema": {"type": "object"}}}
    for fmt, request in ((array, req()), (clash, req(tools=[TOOL]))):
        with pytest.raises(errors.Unsupported):
            anthropic(request.replace(extra={"response_format": fmt}))
    broken = {"type": "json_schema", "json_schema": {"name": "x"}}
    with pytest.raises(errors.BadRequest) as caught:  # the caller's error, as at OpenAI
        anthropic(req(x_response_format=broken))
    assert not isinstance(caught.value, errors.Unsupported)


async def test_anthropic_response_tool_input_given_whole(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A proxy that sends the tool's input whole in content_block_start: still the text."""
    upstream.script(anthropic_reply("", tool="json_object", whole_input={"a": 1}))
    provider = AnthropicProvider(base_url=upstream.url, api_key="k", model="c", session=session)
    result = await complete(provider, req(x_response_format=JSON_OBJECT))
    assert json.loads(result.text) == {"a": 1} and result.finish_reason == "stop"


def test_gemini_json_object_and_thinking_off() -> None:
    """json_object sets only the MIME type; reasoning_effort none is a zero budget."""
    config = gemini(req(x_response_format=JSON_OBJECT, x_reasoning_effort="none"))
    assert config["generationConfig"] == {
        "responseMimeType": "application/json",
        "thinkingConfig": {"thinkingBudget": 0},
    }
    assert "generationConfig" not in gemini(req(x_response_format={"type": "text"}))


def test_ollama_tool_choice_format_and_think() -> None:
    """tool_choice none sends no tools, auto is Ollama's own behaviour, a forced call is
    refused; json_object is format "json"; reasoning_effort none is think false."""
    assert "tools" not in ollama(req(tools=[TOOL], tool_choice="none"))
    assert ollama(req(tools=[TOOL], tool_choice="auto"))["tools"] == [TOOL]
    for choice in ("required", {"type": "function", "function": {"name": "f"}}):
        with pytest.raises(errors.Unsupported) as caught:
            ollama(req(tools=[TOOL], tool_choice=choice))
        assert caught.value.param == "tool_choice"
    body = ollama(req(x_response_format=JSON_OBJECT, x_reasoning_effort="none"))
    assert (body["format"], body["think"]) == ("json", False)


async def test_gemini_and_ollama_screens(session: aiohttp.ClientSession) -> None:
    """The providers' ``unsupported`` is the check their request builders make."""
    request = req(x_logit_bias={"1": 1})
    gem = GeminiProvider(base_url="http://127.0.0.1:9", api_key="k", model="g", session=session)
    oll = OllamaProvider(base_url="http://127.0.0.1:9", model="o", session=session)
    assert gem.unsupported(request) is not None and oll.unsupported(request) is not None
    assert gem.unsupported(req()) is None and oll.unsupported(req()) is None
