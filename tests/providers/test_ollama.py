"""OllamaProvider (native /api/chat NDJSON) against a real loopback upstream."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.config import Timeouts
from llm_router.providers import OllamaProvider
from tests.providers.conftest import (
    NDJSON_HEADERS,
    RESET,
    Hold,
    Reply,
    Upstream,
    ndjson,
    split_every,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "wire-samples" / "ollama"
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])


def line(content: str = "", **extra: Any) -> bytes:
    return ndjson(
        {
            "model": "llama3",
            "message": {"role": "assistant", "content": content},
            "done": False,
            **extra,
        }
    )


def done(reason: str = "stop", prompt: int = 4, output: int = 2) -> bytes:
    return ndjson(
        {
            "model": "llama3",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": reason,
            "prompt_eval_count": prompt,
            "eval_count": output,
        }
    )


def reply(*body: Any) -> Reply:
    return Reply(headers=dict(NDJSON_HEADERS), body=list(body))


def make(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> OllamaProvider:
    return OllamaProvider(base_url=upstream.url, model="llama3", session=session, **kw)


async def test_text_stream_with_usage(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """message.content deltas, done_reason and eval counts accumulate."""
    upstream.script(reply(line("Hel"), line("lo"), done()))
    result = await complete(make(upstream, session), REQ)
    assert result.text == "Hello" and result.finish_reason == "stop"
    assert result.usage is not None and (result.usage.input_tokens, result.usage.output_tokens) == (
        4,
        2,
    )


async def test_done_reason_length(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """done_reason length normalises to length."""
    upstream.script(reply(line("a"), done("length")))
    result = await complete(make(upstream, session), REQ)
    assert (result.finish_reason, result.raw_finish_reason) == ("length", "length")


async def test_final_line_without_newline(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A done line with no trailing newline still finishes the stream."""
    upstream.script(reply(line("a"), done().rstrip(b"\n")))
    assert (await complete(make(upstream, session), REQ)).text == "a"


async def test_tool_calls(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """Whole tool calls (object arguments) become calls with JSON string arguments."""
    calls = [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]
    upstream.script(
        reply(
            line("", **{"message": {"role": "assistant", "content": "", "tool_calls": calls}}),
            done(),
        )
    )
    result = await complete(make(upstream, session), REQ)
    (call,) = result.tool_calls
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    assert call.id and result.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            p.read_bytes(), json.loads(p.with_suffix(".expected.json").read_text()), id=p.stem
        )
        for p in sorted(SAMPLES.glob("*.ndjson"))
    ],
)
@pytest.mark.parametrize("piece", [pytest.param(n, id=f"split{n}") for n in (1_000_000, 1, 5, 33)])
async def test_wire_samples_reproduce_expected(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    body: bytes,
    expected: dict[str, Any],
    piece: int,
) -> None:
    """The documented mid-stream error sample gives its text, then the error, in every split."""
    upstream.script(reply(*split_every(body, piece)))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQ)
    assert info.value.partial.text == expected["expected_text"]
    assert isinstance(info.value.cause, errors.ServerError)
    assert info.value.cause.message == expected["expected_error"]["message"]


async def test_request_shape(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """POST /api/chat with messages, stream true, options, tools, and extra merged."""
    upstream.script(reply(line("a"), done()))
    req = ChatRequest(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"a": 1}'},
                    }
                ],
            },
            {"role": "tool", "content": "42", "tool_call_id": "c", "name": "f"},
        ],
        max_tokens=9,
        temperature=0.1,
        top_p=0.5,
        stop=["x"],
        tools=[{"type": "function", "function": {"name": "f"}}],
        extra={"keep_alive": "5m", "options": {"num_ctx": 8192}},
    )
    await complete(make(upstream, session, api_key="ol-secret"), req)
    (rec,) = upstream.requests
    assert rec.path == "/api/chat" and rec.headers["Authorization"] == "Bearer ol-secret"
    body = rec.json
    assert body["model"] == "llama3" and body["stream"] is True and body["keep_alive"] == "5m"
    assert body["options"] == {
        "temperature": 0.1,
        "top_p": 0.5,
        "stop": ["x"],
        "num_predict": 9,
        "num_ctx": 8192,
    }
    assert body["messages"][0] == {"role": "user", "content": "look", "images": ["QUJD"]}
    assert body["messages"][1]["tool_calls"] == [{"function": {"name": "f", "arguments": {"a": 1}}}]
    assert body["messages"][2] == {"role": "tool", "content": "42", "tool_name": "f"}
    assert body["tools"] == [{"type": "function", "function": {"name": "f"}}]


async def test_no_key_needed(
    upstream: Upstream, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a key no Authorization header is sent."""
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    upstream.script(reply(line("a"), done()))
    await complete(make(upstream, session), REQ)
    assert "Authorization" not in upstream.requests[0].headers


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        pytest.param(404, {"error": "model 'x' not found"}, errors.BadRequest, id="404"),
        pytest.param(429, {"error": "too many"}, errors.RateLimited, id="429"),
        pytest.param(500, {"error": "llama runner crashed"}, errors.ServerError, id="500"),
        pytest.param(
            400,
            {"error": "input length exceeds the context length"},
            errors.ContextWindowExceeded,
            id="400-context",
        ),
    ],
)
async def test_http_errors(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    status: int,
    payload: dict[str, str],
    cls: type,
) -> None:
    """Ollama's {"error": "..."} bodies map to typed errors carrying the message."""
    upstream.script(Reply.json(status, payload, {"Retry-After": "2"}))
    with pytest.raises(errors.ProviderError) as info:
        await complete(make(upstream, session), REQ)
    assert type(info.value) is cls and info.value.message == payload["error"]


async def test_missing_done_is_truncated(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """EOF without done: true after text is StreamInterrupted(ProtocolError truncated)."""
    upstream.script(reply(line("a"), line("b")))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQ)
    assert info.value.partial.text == "ab" and "truncated" in info.value.cause.message


async def test_reset_after_text(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """A reset mid-stream interrupts with the partial text."""
    upstream.script(reply(line("a"), RESET))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQ)
    assert info.value.partial.text == "a"


async def test_idle_and_first_token_timeouts(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A stall before text is FirstTokenTimeout; after text, StreamInterrupted(IdleTimeout)."""
    gate = upstream.hold()
    upstream.script(reply(Hold(gate), line("a"), done()))
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(make(upstream, session, timeouts=Timeouts(first_token=0.05)), REQ)
    upstream.script(reply(line("a"), Hold(gate), done()))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session, timeouts=Timeouts(idle=0.05)), REQ)
    assert isinstance(info.value.cause, errors.IdleTimeout)


async def test_cancellation_closes_upstream(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Cancelling the consumer mid-stream drops the upstream connection."""
    gate = upstream.hold()
    upstream.script(reply(line("a"), Hold(gate), done()))
    got = asyncio.Event()

    async def consume() -> None:
        async for _ in make(upstream, session).stream_complete(REQ):
            got.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(upstream.disconnected.wait(), 1)


def test_repr_and_bad_url() -> None:
    """repr hides the key; a bad base_url is a ConfigurationError."""
    assert "ol-secret" not in repr(OllamaProvider(model="m", api_key="ol-secret"))
    with pytest.raises(errors.ConfigurationError):
        OllamaProvider(model="m", base_url="localhost:11434")
