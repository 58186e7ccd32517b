"""GeminiProvider against a real loopback upstream: wire samples, faults, request shape."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llm_router import errors
from llm_router.accumulate import Accumulator, complete
from llm_router.config import Timeouts
from llm_router.providers._gemini_decode import GeminiDecoder
from llm_router.providers._gemini_request import build_body
from llm_router.providers.gemini import GeminiProvider
from llm_router.types import ChatRequest, Completion
from llm_router.wire.sse import SSEParser
from tests.providers.conftest import RESET, Hold, Reply, Upstream, split_every, sse

KEY = "AIza-test-0123456789secret"
SAMPLES = Path(__file__).parents[1] / "data" / "wire-samples" / "gemini"
SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.sse"))
REQUEST = ChatRequest(messages=[{"role": "user", "content": "Hello"}])
USAGE = {"promptTokenCount": 8, "candidatesTokenCount": 4, "totalTokenCount": 12}


def payload(*parts: dict[str, Any], finish: str | None = None, usage: Any = None) -> bytes:
    """One Gemini SSE event with a candidate made of ``parts``."""
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-live"}
    if usage:
        data["usageMetadata"] = usage
    return sse(data)


def text(piece: str, **kw: Any) -> bytes:
    """An event with one text part."""
    return payload({"text": piece}, **kw)


def make(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> GeminiProvider:
    """A provider pointed at the loopback upstream."""
    return GeminiProvider(
        base_url=upstream.url + "/v1beta",
        api_key=KEY,
        model="gemini-test",
        session=session,
        **kw,
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
    decoder = GeminiDecoder("gemini", "m")
    acc = Accumulator()
    for event in SSEParser().feed(body):
        for chunk in decoder.decode(event.event, json.loads(event.data)):
            assert chunk.text or chunk.thinking or chunk.tool_calls
            acc.add(chunk)
    assert decoder.finished and not decoder.wants_trailer
    acc.add(decoder.final_chunk())
    check(acc.build(), expected)


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


async def test_request_shape_and_key_header(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """POST models/{model}:streamGenerateContent?alt=sse, key in a header, body translated."""
    upstream.script(Reply(body=[text("ok", finish="STOP", usage=USAGE)]))
    tool = {
        "type": "function",
        "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
    }
    request = ChatRequest(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Again"},
        ],
        max_tokens=64,
        temperature=0.2,
        top_p=0.9,
        stop=["END"],
        tools=[tool],
        tool_choice="auto",
    )
    await complete(make(upstream, session, extra_headers={"x-trace": "t1"}), request)
    seen = upstream.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v1beta/models/gemini-test:streamGenerateContent")
    assert seen.query == {"alt": "sse"}
    assert seen.headers["x-goog-api-key"] == KEY
    assert seen.headers["x-trace"] == "t1"
    assert seen.json == {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello!"}]},
            {"role": "user", "parts": [{"text": "Again"}]},
        ],
        "generationConfig": {
            "maxOutputTokens": 64,
            "temperature": 0.2,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "f", "description": "d", "parametersJsonSchema": {"type": "object"}}
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    }


def test_body_translates_images_tool_calls_and_results() -> None:
    """Data-URL images become inlineData; tool calls functionCall; tool results functionResponse."""
    request = ChatRequest(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q": 1}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"answer": 42}'},
            {"role": "tool", "tool_call_id": "c9", "name": "other", "content": "plain"},
        ],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
        extra={"generationConfig": {"topK": 3}, "safetySettings": []},
    )
    body = build_body(request, provider="gemini")
    user, model, results = body["contents"]
    assert user["parts"][1] == {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/"}}
    assert model == {
        "role": "model",
        "parts": [{"functionCall": {"name": "lookup", "args": {"q": 1}}}],
    }
    assert results == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "lookup", "response": {"answer": 42}}},
            {"functionResponse": {"name": "other", "response": {"result": "plain"}}},
        ],
    }
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["lookup"]}
    }
    assert body["generationConfig"] == {"topK": 3}
    assert body["safetySettings"] == []
    assert "systemInstruction" not in body


async def test_function_call_stream_and_trailing_usage(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Whole function calls become tool calls with ids; usage on a later event is kept."""
    call = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
    upstream.script(
        Reply(
            body=[
                text("Checking."),
                payload(call, {"functionCall": {"name": "noop", "id": "given"}}, finish="STOP"),
                sse({"usageMetadata": USAGE}),
            ]
        )
    )
    result = await complete(make(upstream, session), REQUEST)
    assert result.text == "Checking."
    assert [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls] == [
        ("call_0", "get_weather", {"city": "Paris"}),
        ("given", "noop", {}),
    ]
    assert (result.finish_reason, result.raw_finish_reason) == ("tool_calls", "STOP")
    assert result.usage is not None and (result.usage.input_tokens, result.usage.output_tokens) == (
        8,
        4,
    )
    assert (result.model, result.upstream_model) == ("gemini-test", "gemini-live")


@pytest.mark.parametrize(
    ("raw", "finish"),
    [
        pytest.param("MAX_TOKENS", "length", id="max-tokens"),
        pytest.param("SAFETY", "content_filter", id="safety"),
        pytest.param("RECITATION", "content_filter", id="recitation"),
        pytest.param("OTHER", "stop", id="unknown"),
    ],
)
async def test_finish_reasons_are_normalised(
    upstream: Upstream, session: aiohttp.ClientSession, raw: str, finish: str
) -> None:
    """finishReason values map to the normalised set; the raw value is kept."""
    upstream.script(Reply(body=[text("a"), payload(finish=raw, usage=USAGE)]))
    result = await complete(make(upstream, session), REQUEST)
    assert (result.text, result.finish_reason, result.raw_finish_reason) == ("a", finish, raw)


def test_thought_parts_and_thought_tokens() -> None:
    """Thought parts go to thinking; thoughtsTokenCount counts as output; empty parts vanish."""
    decoder = GeminiDecoder("gemini", "m")
    data = {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": "hmm", "thought": True}, {"text": ""}, {"text": "Yes"}]
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {**USAGE, "thoughtsTokenCount": 6},
    }
    chunks = decoder.decode("message", data)
    assert [(c.text, c.thinking) for c in chunks] == [("", "hmm"), ("Yes", "")]
    assert not decoder.wants_trailer
    usage = decoder.final_chunk().usage
    assert usage is not None and usage.output_tokens == 10


async def test_blocked_prompt_is_content_filtered(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """promptFeedback.blockReason without candidates raises ContentFiltered before commit."""
    upstream.script(
        Reply(
            body=[
                sse(
                    {
                        "promptFeedback": {"blockReason": "SAFETY"},
                        "usageMetadata": {"promptTokenCount": 3},
                    }
                )
            ]
        )
    )
    with pytest.raises(errors.ContentFiltered, match="SAFETY"):
        await complete(make(upstream, session), REQUEST)


def _google_error(code: int, status: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message, **extra}}


RETRY_INFO = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "24s"}]
KEY_INVALID = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]


@pytest.mark.parametrize(
    ("status", "body", "headers", "cls", "retry_after"),
    [
        pytest.param(
            429,
            _google_error(429, "RESOURCE_EXHAUSTED", "quota", details=RETRY_INFO),
            {},
            errors.RateLimited,
            24.0,
            id="429-retry-info",
        ),
        pytest.param(
            429,
            _google_error(429, "RESOURCE_EXHAUSTED", "quota"),
            {"retry-after": "3"},
            errors.RateLimited,
            3.0,
            id="429-retry-after",
        ),
        pytest.param(
            503,
            _google_error(503, "UNAVAILABLE", "overloaded"),
            {},
            errors.ServerError,
            None,
            id="503",
        ),
        pytest.param(
            500,
            [_google_error(500, "INTERNAL", "boom")],
            {},
            errors.ServerError,
            None,
            id="500-list-wrapped",
        ),
        pytest.param(
            401,
            _google_error(401, "UNAUTHENTICATED", "no creds"),
            {},
            errors.AuthError,
            None,
            id="401",
        ),
        pytest.param(
            403,
            _google_error(403, "PERMISSION_DENIED", "denied"),
            {},
            errors.AuthError,
            None,
            id="403",
        ),
        pytest.param(
            400,
            _google_error(400, "INVALID_ARGUMENT", "API key not valid.", details=KEY_INVALID),
            {},
            errors.AuthError,
            None,
            id="400-key-invalid",
        ),
        pytest.param(
            400,
            _google_error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1200000) exceeds the maximum number of tokens allowed "
                "(1048576).",
            ),
            {},
            errors.ContextWindowExceeded,
            None,
            id="prompt-too-long",
        ),
        pytest.param(
            400,
            _google_error(400, "INVALID_ARGUMENT", "bad field"),
            {},
            errors.BadRequest,
            None,
            id="400",
        ),
    ],
)
async def test_http_errors_map_to_typed_errors(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    status: int,
    body: Any,
    headers: dict[str, str],
    cls: type[errors.ProviderError],
    retry_after: float | None,
) -> None:
    """Google error bodies map to §1.3 errors by RPC status, with the upstream message."""
    upstream.script(Reply.json(status, body, headers))
    with pytest.raises(cls) as info:
        await complete(make(upstream, session), REQUEST)
    err = info.value
    assert type(err) is cls
    assert (err.status, err.retry_after, err.provider) == (status, retry_after, "gemini")
    message = (body[0] if isinstance(body, list) else body)["error"]["message"]
    assert message in str(err)
    assert KEY not in str(err) and KEY not in repr(err)


async def test_connection_refused_is_connect_error(
    closed_port_url: str, session: aiohttp.ClientSession
) -> None:
    """A refused connection is a retryable ConnectError that does not mention the key."""
    provider = GeminiProvider(base_url=closed_port_url, api_key=KEY, model="m", session=session)
    with pytest.raises(errors.ConnectError) as info:
        await complete(provider, REQUEST)
    assert info.value.retryable and KEY not in str(info.value)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(before=[RESET]), id="before-status"),
        pytest.param(Reply(body=[RESET]), id="after-headers"),
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
    upstream.script(Reply(body=[text("Hel"), text("lo"), RESET]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQUEST)
    assert info.value.partial.text == "Hello"


async def test_idle_stall_after_commit_is_interrupted_idle_timeout(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Silence longer than the idle timeout after text ends in StreamInterrupted(IdleTimeout)."""
    upstream.script(Reply(body=[text("Hi"), Hold(upstream.hold())]))
    provider = make(upstream, session, timeouts=Timeouts(first_token=5, idle=0.03))
    with pytest.raises(errors.StreamInterrupted) as info:
        await asyncio.wait_for(complete(provider, REQUEST), 1.0)
    assert isinstance(info.value.cause, errors.IdleTimeout)
    assert info.value.partial.text == "Hi"


@pytest.mark.parametrize("where", ["headers", "body"])
async def test_first_token_timeout(
    upstream: Upstream, session: aiohttp.ClientSession, where: str
) -> None:
    """No content within first_token (no headers, or an empty part only) is FirstTokenTimeout."""
    hold = Hold(upstream.hold())
    reply = Reply(before=[hold]) if where == "headers" else Reply(body=[text(""), hold])
    upstream.script(reply)
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(make(upstream, session, timeouts=Timeouts(first_token=0.05)), REQUEST)


async def test_eof_without_finish_reason_is_truncated(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """EOF before any finishReason is a ProtocolError ('truncated'), never a success."""
    upstream.script(Reply(body=[text("Hi", usage={"promptTokenCount": 2})]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQUEST)
    assert isinstance(info.value.cause, errors.ProtocolError)
    assert "truncated" in str(info.value.cause)


async def test_finish_without_final_usage_ends_after_grace(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A finishReason whose usage never follows still ends normally after the trailer grace."""
    upstream.script(Reply(body=[text("Hi", finish="STOP"), Hold(upstream.hold())]))
    result = await complete(make(upstream, session, trailer_grace=0.02), REQUEST)
    assert (result.text, result.finish_reason, result.usage) == ("Hi", "stop", None)


@pytest.mark.parametrize("committed", [False, True])
async def test_error_event_mid_stream(
    upstream: Upstream, session: aiohttp.ClientSession, committed: bool
) -> None:
    """An error payload is the typed error before commit and StreamInterrupted after it."""
    error = sse(_google_error(429, "RESOURCE_EXHAUSTED", "quota hit"))
    upstream.script(Reply(body=[text("Part"), error] if committed else [error]))
    with pytest.raises((errors.RateLimited, errors.StreamInterrupted)) as info:
        await complete(make(upstream, session), REQUEST)
    err = info.value
    if committed:
        assert isinstance(err, errors.StreamInterrupted) and err.partial.text == "Part"
        err = err.cause
    assert isinstance(err, errors.RateLimited) and "quota hit" in str(err)


async def test_unknown_error_status_in_stream_is_server_error(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """An error payload with an unfamiliar status is a ServerError."""
    upstream.script(Reply(body=[sse(_google_error(599, "WEIRD", "odd"))]))
    with pytest.raises(errors.ServerError, match="odd"):
        await complete(make(upstream, session), REQUEST)


@pytest.mark.parametrize("how", ["aclose", "cancel"])
async def test_consumer_cancellation_closes_upstream(
    upstream: Upstream, session: aiohttp.ClientSession, how: str
) -> None:
    """Stopping the consumer early drops the upstream connection at once."""
    upstream.script(Reply(body=[text("Hi"), Hold(upstream.hold())]))
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
    """No key and no GEMINI_API_KEY fails at construction naming provider and variable."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(errors.ConfigurationError, match="GEMINI_API_KEY") as info:
        GeminiProvider(model="m")
    assert "gemini" in str(info.value)


async def test_key_from_environment_is_sent_and_never_shown(
    upstream: Upstream, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The env key travels only in x-goog-api-key: not in the URL, repr or errors."""
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    provider = GeminiProvider(base_url=upstream.url, model="m", session=session)
    assert KEY not in repr(provider)
    upstream.script(Reply.json(403, _google_error(403, "PERMISSION_DENIED", "denied")))
    with pytest.raises(errors.AuthError) as info:
        await complete(provider, REQUEST)
    seen = upstream.requests[0]
    assert seen.headers["x-goog-api-key"] == KEY
    assert KEY not in seen.path and KEY not in json.dumps(seen.query)
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_gemini_3_gets_the_documented_skip_signature_on_each_turns_first_call() -> None:
    """Gemini 3 refuses a history of function calls without their thoughtSignature (400
    "Function call is missing a thought_signature"). Calls from another provider or an
    OpenAI-shaped client have none, so each turn's first call (where Gemini puts a step's
    signature, parallel calls included) carries the value Google documents for unsigned
    calls, for Gemini 3 and later only (as Vercel's AI SDK does); older models and names
    not recognised get the history as before."""

    def call(i: int) -> dict[str, Any]:
        function = {"name": f"f{i}", "arguments": "{}"}
        return {"id": f"c{i}", "type": "function", "function": function}

    def result(i: int) -> dict[str, Any]:
        return {"role": "tool", "tool_call_id": f"c{i}", "content": "ok"}

    request = ChatRequest(
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": "Two at once.", "tool_calls": [call(1), call(2)]},
            result(1),
            result(2),
            {"role": "assistant", "content": None, "tool_calls": [call(3)]},
            result(3),
        ]
    )

    def signatures(model: str) -> list[list[str | None]]:
        contents = build_body(request, provider="gemini", model=model)["contents"]
        turns = [c for c in contents if c["role"] == "model"]
        return [[p.get("thoughtSignature") for p in t["parts"]] for t in turns]

    skip = "skip_thought_signature_validator"
    for model in ("gemini-3-flash-preview", "gemini-3.1-pro", "models/gemini-4-x"):
        assert signatures(model) == [[None, skip, None], [skip]]
    for model in ("gemini-2.5-flash", "gemini-1.5-pro", "my-tuned-model"):  # as before
        assert signatures(model) == [[None, None, None], [None]]


async def test_the_provider_signs_unsigned_calls_for_the_gemini_3_it_calls(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """The deployment's model decides (the URL's model is the one that validates)."""
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    request = ChatRequest(
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ]
    )
    for model, signed in (("gemini-3-flash-preview", True), ("gemini-2.5-flash", False)):
        upstream.script(Reply(body=[text("ok", finish="STOP", usage=USAGE)]))
        provider = GeminiProvider(base_url=upstream.url, api_key=KEY, model=model, session=session)
        await complete(provider, request)
        part = upstream.requests[-1].json["contents"][1]["parts"][0]
        assert ("thoughtSignature" in part) is signed
        assert upstream.requests[-1].path.endswith(f"/models/{model}:streamGenerateContent")
