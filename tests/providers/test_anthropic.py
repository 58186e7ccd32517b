"""AnthropicProvider against a real loopback upstream: wire samples, faults, request shape."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llm_router import errors
from llm_router.accumulate import Accumulator, complete
from llm_router.config import Timeouts
from llm_router.providers._anthropic_decode import AnthropicDecoder
from llm_router.providers._anthropic_request import build_body
from llm_router.providers.anthropic import AnthropicProvider, ratelimit_reset_after
from llm_router.types import ChatRequest, Completion
from llm_router.wire.sse import SSEParser
from tests.providers.conftest import RESET, Hold, Reply, Upstream, split_every, sse

KEY = "sk-ant-test-0123456789secret"
SAMPLES = Path(__file__).parents[1] / "data" / "wire-samples" / "anthropic"
SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.sse"))
REQUEST = ChatRequest(messages=[{"role": "user", "content": "Hello"}])


def ev(kind: str, **fields: Any) -> bytes:
    """One Anthropic event, named like its type."""
    return sse({"type": kind, **fields}, event=kind)


START = ev(
    "message_start",
    message={"model": "claude-live", "usage": {"input_tokens": 10, "output_tokens": 1}},
)
BLOCK = ev("content_block_start", index=0, content_block={"type": "text", "text": ""})
PING = ev("ping")
DONE = ev("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 3})
STOP = ev("message_stop")


def text(piece: str) -> bytes:
    """A text delta event."""
    return ev("content_block_delta", index=0, delta={"type": "text_delta", "text": piece})


def error_event(kind: str) -> bytes:
    """An in-stream ``event: error``."""
    return ev("error", error={"type": kind, "message": f"{kind} happened"})


def make(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> AnthropicProvider:
    """A provider pointed at the loopback upstream."""
    return AnthropicProvider(
        base_url=upstream.url, api_key=KEY, model="claude-test", session=session, **kw
    )


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    """A wire sample's body and its expectations."""
    body = (SAMPLES / f"{name}.sse").read_bytes()
    return body, json.loads((SAMPLES / f"{name}.expected.json").read_text())


def check(result: Completion, expected: dict[str, Any]) -> None:
    """``result`` matches a sample's expectations (tool arguments as parsed JSON)."""
    assert result.text == expected["expected_text"]
    calls = [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls]
    want = [
        (c["id"], c["name"], json.loads(c["arguments"])) for c in expected["expected_tool_calls"]
    ]
    assert calls == want
    assert result.raw_finish_reason == expected["expected_finish_reason"]
    usage = result.usage and {
        "input_tokens": result.usage.input_tokens,
        "output_tokens": result.usage.output_tokens,
    }
    assert usage == expected["expected_usage"]
    assert result.thinking == expected.get("expected_thinking", "")


def splits(body: bytes, expected: dict[str, Any], strategy: str) -> list[list[bytes]]:
    """The read patterns of a sample's ``chunking`` strategies."""
    if strategy == "whole":
        return [[body]]
    if strategy == "bytes":
        return [split_every(body, 1)]
    if strategy == "critical":
        return [[body[:o], body[o:]] for o in expected["chunking"]["critical_offsets"]]
    patterns = []
    for seed in range(50):
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(body)), rng.randint(1, min(64, len(body) - 1))))
        patterns.append([body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)])
    return patterns


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_decoder_reproduces_sample(name: str) -> None:
    """The decoder alone, fed a sample's parsed events, reproduces its expectations."""
    body, expected = load(name)
    decoder = AnthropicDecoder("anthropic", "m")
    chunks = []
    for event in SSEParser().feed(body):
        chunks += decoder.decode(event.event, json.loads(event.data))
    assert all(c.text or c.thinking or c.tool_calls or c.signature for c in chunks)
    assert decoder.finished and not decoder.wants_trailer
    acc = Accumulator()
    for chunk in [*chunks, decoder.final_chunk()]:
        acc.add(chunk)
    signatures = re.findall(rb'"signature_delta", "signature": "([^"]+)"', body)
    thinking = expected.get("expected_thinking", "")
    # each signed thinking block, whole with its signature, to send back verbatim
    assert acc.build().reasoning == tuple(
        {"type": "thinking", "thinking": thinking, "signature": s.decode()} for s in signatures
    )
    check(acc.build(), expected)


def test_tool_call_indexes_are_ordinals_among_tool_calls() -> None:
    """Tool-call deltas are numbered among tool calls (not content blocks); a call that
    streams no argument pieces gets its start input (``{}``) as arguments."""
    decoder = AnthropicDecoder("anthropic", "m")
    events = [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "a", "name": "now", "input": {}},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "b", "name": "add", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"x": 1}'},
        },
        {"type": "content_block_stop", "index": 2},
        {
            "type": "content_block_start",
            "index": 3,
            "content_block": {"type": "server_tool_use", "id": "s", "name": "web_search"},
        },
        {
            "type": "content_block_delta",
            "index": 3,
            "delta": {"type": "input_json_delta", "partial_json": "{}"},
        },
    ]
    deltas = [d for e in events for c in decoder.decode(e["type"], e) for d in c.tool_calls]
    assert [(d.index, d.id, d.name, d.arguments_delta) for d in deltas] == [
        (0, "a", "now", ""),
        (0, None, None, "{}"),
        (1, "b", "add", ""),
        (1, None, None, '{"x": 1}'),
    ]


@pytest.mark.parametrize(
    ("raw", "finish"),
    [
        pytest.param("max_tokens", "length", id="max-tokens"),
        pytest.param("stop_sequence", "stop", id="stop-sequence"),
        pytest.param("refusal", "content_filter", id="refusal"),
        pytest.param("tool_use", "tool_calls", id="tool-use"),
        pytest.param("brand_new", "stop", id="unknown"),
    ],
)
def test_stop_reasons_are_normalised(raw: str, finish: str) -> None:
    """stop_reason values map to the normalised set; the raw value is kept."""
    decoder = AnthropicDecoder("anthropic", "m")
    decoder.decode("message_delta", {"type": "message_delta", "delta": {"stop_reason": raw}})
    assert decoder.finished and decoder.wants_trailer
    decoder.decode("message_stop", {"type": "message_stop"})
    assert not decoder.wants_trailer
    last = decoder.final_chunk()
    assert (last.finish_reason, last.raw_finish_reason, last.usage) == (finish, raw, None)


def test_cache_tokens_count_as_input() -> None:
    """Cache creation and cache read tokens are added to input_tokens."""
    decoder = AnthropicDecoder("anthropic", "m")
    usage = {
        "input_tokens": 5,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 1000,
        "output_tokens": 1,
    }
    decoder.decode("message_start", {"type": "message_start", "message": {"usage": usage}})
    decoder.decode(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 9},
        },
    )
    last = decoder.final_chunk()
    assert last.usage is not None and (last.usage.input_tokens, last.usage.output_tokens) == (
        1105,
        9,
    )


@pytest.mark.parametrize("strategy", ["whole", "bytes", "random", "critical"])
@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_sample_through_provider_any_split(
    upstream: Upstream, session: aiohttp.ClientSession, name: str, strategy: str
) -> None:
    """Each sample served in every split pattern gives the expected completion."""
    body, expected = load(name)
    provider = make(upstream, session)
    for pieces in splits(body, expected, strategy):
        upstream.script(Reply(body=pieces))
        check(await complete(provider, REQUEST), expected)


async def test_normal_stream_chunks_and_usage(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Text chunks come first, the last chunk carries finish, raw reason, usage and model."""
    upstream.script(Reply(body=[START, BLOCK, PING, text("Hi"), text(" there"), DONE, STOP]))
    chunks = [c async for c in make(upstream, session).stream_complete(REQUEST)]
    assert [c.text for c in chunks] == ["Hi", " there", ""]
    last = chunks[-1]
    assert (last.finish_reason, last.raw_finish_reason) == ("stop", "end_turn")
    assert last.usage is not None and (last.usage.input_tokens, last.usage.output_tokens) == (10, 3)
    assert {c.model for c in chunks} == {"claude-test"}  # the deployment's model
    assert last.upstream_model == "claude-live"  # message_start's


async def test_request_shape(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """POST /v1/messages with key and version headers, system lifted, tools translated."""
    upstream.script(Reply(body=[START, text("ok"), DONE, STOP]))
    tool = {
        "type": "function",
        "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
    }
    request = ChatRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        tools=[tool],
        tool_choice="required",
        stop="END",
        temperature=0.5,
    )
    provider = make(upstream, session, extra_headers={"x-trace": "t1"})
    await complete(provider, request)
    seen = upstream.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v1/messages")
    assert seen.headers["x-api-key"] == KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert seen.headers["x-trace"] == "t1"
    assert "authorization" not in seen.headers
    assert seen.json == {
        "model": "claude-test",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 4096,
        "stream": True,
        "temperature": 0.5,
        "stop_sequences": ["END"],
        "tools": [{"name": "f", "description": "d", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any"},
    }


def test_body_translates_images_tool_calls_and_results() -> None:
    """Data-URL images become base64 blocks; tool calls tool_use; tool messages tool_result."""
    request = ChatRequest(
        messages=[
            {"role": "developer", "content": "Dev rules."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                    {"type": "image_url", "image_url": {"url": "https://x.test/a.jpg"}},
                ],
            },
            {
                "role": "assistant",
                "content": "Let me look.",
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q": 1}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "42"},
            {"role": "user", "content": "Thanks"},
        ],
        max_tokens=50,
        tool_choice={"type": "function", "function": {"name": "lookup"}},
        extra={"metadata": {"user_id": "u"}, "top_k": 5},
    )
    body = build_body(request, "m", provider="anthropic", max_tokens_default=9)
    assert body["system"] == "Dev rules."
    assert body["max_tokens"] == 50
    assert body["tool_choice"] == {"type": "tool", "name": "lookup"}
    assert (body["top_k"], body["metadata"]) == (5, {"user_id": "u"})
    user, assistant, results = body["messages"]
    assert user["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
    }
    assert user["content"][2]["source"] == {"type": "url", "url": "https://x.test/a.jpg"}
    assert assistant["content"] == [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": 1}},
    ]
    assert results == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "42"},
            {"type": "text", "text": "Thanks"},
        ],
    }


@pytest.mark.parametrize(
    ("choice", "want"),
    [
        pytest.param("auto", {"type": "auto"}, id="auto"),
        pytest.param("required", {"type": "any"}, id="required"),
        pytest.param("none", {"type": "none"}, id="none"),
    ],
)
def test_tool_choice_strings(choice: str, want: dict[str, str]) -> None:
    """OpenAI tool_choice strings map to Anthropic's tool_choice types."""
    request = ChatRequest(messages=[{"role": "user", "content": "x"}], tool_choice=choice)
    assert build_body(request, "m", provider="a", max_tokens_default=1)["tool_choice"] == want


def test_invalid_tool_call_arguments_are_a_bad_request() -> None:
    """Assistant tool calls whose arguments are not JSON are rejected before sending."""
    call = {"id": "t", "function": {"name": "f", "arguments": "{nope"}}
    request = ChatRequest(messages=[{"role": "assistant", "tool_calls": [call]}])
    with pytest.raises(errors.BadRequest):
        build_body(request, "m", provider="a", max_tokens_default=1)


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


@pytest.mark.parametrize(
    ("status", "kind", "message", "headers", "cls", "retry_after"),
    [
        pytest.param(
            429,
            "rate_limit_error",
            "slow down",
            {"retry-after": "7"},
            errors.RateLimited,
            7.0,
            id="429-retry-after",
        ),
        pytest.param(
            529, "overloaded_error", "Overloaded", {}, errors.RateLimited, None, id="529-overloaded"
        ),
        pytest.param(
            503,
            "overloaded_error",
            "Overloaded",
            {"retry-after": "2"},
            errors.RateLimited,
            2.0,
            id="overloaded-body-any-status",
        ),
        pytest.param(
            401, "authentication_error", "invalid x-api-key", {}, errors.AuthError, None, id="401"
        ),
        pytest.param(403, "permission_error", "no access", {}, errors.AuthError, None, id="403"),
        pytest.param(
            400,
            "invalid_request_error",
            "messages: field required",
            {},
            errors.BadRequest,
            None,
            id="400",
        ),
        pytest.param(
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000",
            {},
            errors.ContextWindowExceeded,
            None,
            id="prompt-too-long",
        ),
        pytest.param(
            500, "api_error", "Internal server error", {}, errors.ServerError, None, id="500"
        ),
    ],
)
async def test_http_errors_map_to_typed_errors(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    status: int,
    kind: str,
    message: str,
    headers: dict[str, str],
    cls: type[errors.ProviderError],
    retry_after: float | None,
) -> None:
    """Error statuses and Anthropic error bodies map to §1.3 errors with the message."""
    upstream.script(Reply.json(status, _error_body(kind, message), headers))
    with pytest.raises(cls) as info:
        await complete(make(upstream, session), REQUEST)
    err = info.value
    assert type(err) is cls
    assert (err.status, err.retry_after, err.provider) == (status, retry_after, "anthropic")
    assert message in str(err)
    assert KEY not in str(err) and KEY not in repr(err)


async def test_rate_limit_reset_header_sets_retry_after(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A 429 without Retry-After waits until the exhausted anthropic-ratelimit reset."""
    reset = datetime.fromtimestamp(time.time() + 30, UTC).isoformat().replace("+00:00", "Z")
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-tokens-remaining": "5000",
        "anthropic-ratelimit-tokens-reset": "2000-01-01T00:00:00Z",
    }
    upstream.script(Reply.json(429, _error_body("rate_limit_error", "limit"), headers))
    with pytest.raises(errors.RateLimited) as info:
        await complete(make(upstream, session), REQUEST)
    assert info.value.retry_after is not None and 25 < info.value.retry_after <= 30


def test_ratelimit_reset_after_falls_back_to_latest_and_ignores_garbage() -> None:
    """With no exhausted limit the latest reset counts; unparseable values are ignored."""
    headers = {
        "anthropic-ratelimit-tokens-reset": "2030-01-01T00:00:10Z",
        "anthropic-ratelimit-requests-reset": "not a date",
        "anthropic-ratelimit-input-tokens-reset": "2030-01-01T00:00:04+00:00",
    }
    now = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    assert ratelimit_reset_after(headers, now=now) == 10.0
    assert ratelimit_reset_after({}, now=now) is None


async def test_connection_refused_is_connect_error(
    closed_port_url: str, session: aiohttp.ClientSession
) -> None:
    """A refused connection is a retryable ConnectError that does not mention the key."""
    provider = AnthropicProvider(base_url=closed_port_url, api_key=KEY, model="m", session=session)
    with pytest.raises(errors.ConnectError) as info:
        await complete(provider, REQUEST)
    assert info.value.retryable and KEY not in str(info.value)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(before=[RESET]), id="before-status"),
        pytest.param(Reply(body=[START, PING, RESET]), id="after-preamble"),
    ],
)
async def test_reset_before_first_chunk_is_connect_error(
    upstream: Upstream, session: aiohttp.ClientSession, reply: Reply
) -> None:
    """A reset before any content is a ConnectError (retryable, may fail over)."""
    upstream.script(reply)
    with pytest.raises(errors.ConnectError):
        await complete(make(upstream, session), REQUEST)


async def test_reset_after_chunks_is_stream_interrupted_with_partial(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A reset after text surfaces as StreamInterrupted carrying the text so far."""
    upstream.script(Reply(body=[START, text("Hel"), text("lo"), RESET]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQUEST)
    assert info.value.partial.text == "Hello"
    assert info.value.provider == "anthropic"


async def test_idle_stall_after_commit_is_interrupted_idle_timeout(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Silence longer than the idle timeout after text ends in StreamInterrupted(IdleTimeout)."""
    upstream.script(Reply(body=[START, text("Hi"), Hold(upstream.hold())]))
    provider = make(upstream, session, timeouts=Timeouts(first_token=5, idle=0.03))
    with pytest.raises(errors.StreamInterrupted) as info:
        await asyncio.wait_for(complete(provider, REQUEST), 1.0)
    assert isinstance(info.value.cause, errors.IdleTimeout)
    assert info.value.partial.text == "Hi"


@pytest.mark.parametrize("where", ["headers", "preamble"])
async def test_first_token_timeout(
    upstream: Upstream, session: aiohttp.ClientSession, where: str
) -> None:
    """No content within first_token (no headers, or only pings) is FirstTokenTimeout."""
    hold = Hold(upstream.hold())
    reply = Reply(before=[hold]) if where == "headers" else Reply(body=[START, PING, hold])
    upstream.script(reply)
    provider = make(upstream, session, timeouts=Timeouts(first_token=0.05))
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(provider, REQUEST)


@pytest.mark.parametrize(
    ("body", "interrupted"),
    [
        pytest.param([START, PING], False, id="no-content"),
        pytest.param([START, text("Hi")], True, id="after-text"),
    ],
)
async def test_eof_without_finish_is_truncated(
    upstream: Upstream, session: aiohttp.ClientSession, body: list[bytes], interrupted: bool
) -> None:
    """EOF without a stop_reason is a ProtocolError ('truncated'), never a success."""
    upstream.script(Reply(body=body))
    with pytest.raises((errors.ProtocolError, errors.StreamInterrupted)) as info:
        await complete(make(upstream, session), REQUEST)
    err = info.value
    if interrupted:
        assert isinstance(err, errors.StreamInterrupted)
        err = err.cause
    assert isinstance(err, errors.ProtocolError) and "truncated" in str(err)


@pytest.mark.parametrize("tail", ["eof", "held-open"])
async def test_stop_reason_without_message_stop_completes(
    upstream: Upstream, session: aiohttp.ClientSession, tail: str
) -> None:
    """message_delta with a stop_reason finishes the stream even if message_stop never comes."""
    body = [START, text("Hi"), DONE] + ([Hold(upstream.hold())] if tail == "held-open" else [])
    upstream.script(Reply(body=body))
    result = await complete(make(upstream, session, trailer_grace=0.02), REQUEST)
    assert (result.text, result.finish_reason, result.raw_finish_reason) == (
        "Hi",
        "stop",
        "end_turn",
    )


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        pytest.param("overloaded_error", errors.RateLimited, id="overloaded"),
        pytest.param("api_error", errors.ServerError, id="api-error"),
        pytest.param("invalid_request_error", errors.BadRequest, id="invalid"),
        pytest.param("something_new", errors.ServerError, id="unknown"),
    ],
)
async def test_error_event_before_commit_is_typed(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    kind: str,
    cls: type[errors.ProviderError],
) -> None:
    """An ``event: error`` before any content raises the typed error itself."""
    upstream.script(Reply(body=[START, PING, error_event(kind)]))
    with pytest.raises(cls) as info:
        await complete(make(upstream, session), REQUEST)
    assert type(info.value) is cls and f"{kind} happened" in str(info.value)


async def test_error_event_after_commit_is_stream_interrupted(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """An overloaded error mid-stream surfaces as StreamInterrupted(RateLimited) with the text."""
    upstream.script(Reply(body=[START, text("Partial"), error_event("overloaded_error")]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQUEST)
    assert isinstance(info.value.cause, errors.RateLimited)
    assert info.value.partial.text == "Partial"


@pytest.mark.parametrize("how", ["aclose", "cancel"])
async def test_consumer_cancellation_closes_upstream(
    upstream: Upstream, session: aiohttp.ClientSession, how: str
) -> None:
    """Stopping the consumer early drops the upstream connection at once."""
    upstream.script(Reply(body=[START, text("Hi"), Hold(upstream.hold())]))
    stream = make(upstream, session).stream_complete(REQUEST)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            first.set()

    if how == "aclose":
        assert (await anext(stream)).text == "Hi"
        await stream.aclose()  # type: ignore[attr-defined]
    else:
        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await asyncio.wait_for(upstream.disconnected.wait(), 1.0)


def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no ANTHROPIC_API_KEY fails at construction naming the variable."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(errors.ConfigurationError, match="ANTHROPIC_API_KEY") as info:
        AnthropicProvider(model="m")
    assert "anthropic" in str(info.value)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "")
    with pytest.raises(errors.ConfigurationError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider(model="m")


async def test_key_from_environment_is_sent_and_never_shown(
    upstream: Upstream, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The env key is sent as x-api-key and appears in neither repr nor errors."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    provider = AnthropicProvider(base_url=upstream.url, model="m", session=session)
    assert KEY not in repr(provider)
    upstream.script(Reply.json(401, _error_body("authentication_error", "invalid x-api-key")))
    with pytest.raises(errors.AuthError) as info:
        await complete(provider, REQUEST)
    assert upstream.requests[0].headers["x-api-key"] == KEY
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_bad_max_tokens_default_is_configuration_error() -> None:
    """max_tokens_default below 1 is rejected at construction."""
    with pytest.raises(errors.ConfigurationError):
        AnthropicProvider(api_key=KEY, model="m", max_tokens_default=0)
