"""OpenAIProvider (and Azure style) against a real loopback upstream."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llm_router import ChatRequest, complete, errors
from llm_router.config import Timeouts
from llm_router.providers import OpenAIProvider
from tests.providers.conftest import RESET, Hold, Reply, Upstream, split_every, sse

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "wire-samples" / "openai"
REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
DONE = b"data: [DONE]\n\n"


def chunk(
    content: str | None = None,
    finish: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    role: str | None = None,
) -> bytes:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return sse({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def usage(prompt: int, completion: int) -> bytes:
    return sse({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})


def text_stream(*pieces: str, finish: str = "stop") -> list[bytes]:
    return [
        chunk(role="assistant", content=""),
        *(chunk(p) for p in pieces),
        chunk(finish=finish),
        usage(3, len(pieces)),
        DONE,
    ]


def make(upstream: Upstream, session: aiohttp.ClientSession, **kw: Any) -> OpenAIProvider:
    kw.setdefault("api_key", "sk-test-secret")
    kw.setdefault("model", "gpt-test")
    return OpenAIProvider(base_url=upstream.url + "/v1", session=session, **kw)


async def test_text_stream_with_usage(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """A text stream accumulates text, finish reason stop and the trailing usage."""
    upstream.script(Reply(body=text_stream("Hel", "lo", " world")))
    result = await complete(make(upstream, session), REQ)
    assert result.text == "Hello world"
    assert result.finish_reason == "stop"
    assert result.usage is not None and (result.usage.input_tokens, result.usage.output_tokens) == (
        3,
        3,
    )
    assert result.provider == "openai" and result.model == "gpt-test"


async def test_no_empty_chunks_and_final_chunk_closes(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Role-only deltas are consumed; only the final chunk is empty and it carries finish."""
    upstream.script(Reply(body=text_stream("a", "b")))
    chunks = [c async for c in make(upstream, session).stream_complete(REQ)]
    assert [c.text for c in chunks] == ["a", "b", ""]
    assert chunks[-1].finish_reason == "stop" and chunks[-1].raw_finish_reason == "stop"
    assert all(c.finish_reason is None for c in chunks[:-1])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            p.read_bytes(), json.loads(p.with_suffix(".expected.json").read_text()), id=p.stem
        )
        for p in sorted(SAMPLES.glob("*.sse"))
    ],
)
@pytest.mark.parametrize("piece", [pytest.param(n, id=f"split{n}") for n in (1_000_000, 1, 7, 301)])
async def test_wire_samples_reproduce_expected(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    body: bytes,
    expected: dict[str, Any],
    piece: int,
) -> None:
    """Each real OpenAI capture, served in several split patterns, gives its expected result."""
    upstream.script(Reply(body=split_every(body, piece)))
    result = await complete(make(upstream, session), REQ)
    assert result.text == expected["expected_text"]
    assert result.raw_finish_reason == expected["expected_finish_reason"]
    calls = [
        {"id": c.id, "name": c.name, "arguments": json.loads(c.arguments)}
        for c in result.tool_calls
    ]
    assert calls == [
        {**c, "arguments": json.loads(c["arguments"])} for c in expected["expected_tool_calls"]
    ]
    usage_ = expected["expected_usage"]
    assert result.usage is not None and usage_ is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (
        usage_["input_tokens"],
        usage_["output_tokens"],
    )


async def test_parallel_tool_calls(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """Two interleaved tool calls accumulate by index with finish reason tool_calls."""
    fn = lambda i, **f: {"index": i, "function": f}  # noqa: E731
    upstream.script(
        Reply(
            body=[
                chunk(
                    tool_calls=[{**fn(0, name="a", arguments=""), "id": "c0", "type": "function"}]
                ),
                chunk(tool_calls=[{**fn(1, name="b", arguments='{"y"'), "id": "c1"}]),
                chunk(tool_calls=[fn(0, arguments='{"x": 1}')]),
                chunk(tool_calls=[fn(1, arguments=": 2}")]),
                chunk(finish="tool_calls"),
                DONE,
            ]
        )
    )
    result = await complete(make(upstream, session, include_usage=False), REQ)
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("c0", "a", '{"x": 1}'),
        ("c1", "b", '{"y": 2}'),
    ]
    assert result.finish_reason == "tool_calls" and result.usage is None


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        pytest.param("length", "length", id="length"),
        pytest.param("content_filter", "content_filter", id="content_filter"),
        pytest.param("function_call", "tool_calls", id="function_call"),
        pytest.param("eos", "stop", id="unknown-compatible-server-value"),
    ],
)
async def test_finish_reasons_normalised(
    upstream: Upstream, session: aiohttp.ClientSession, raw: str, normalised: str
) -> None:
    """finish_reason is normalised; the raw value is kept."""
    upstream.script(Reply(body=[chunk("x"), chunk(finish=raw), DONE]))
    result = await complete(make(upstream, session), REQ)
    assert (result.finish_reason, result.raw_finish_reason) == (normalised, raw)


async def test_request_shape(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """URL, auth header, and body: messages, options, tools, stream_options, extra."""
    upstream.script(Reply(body=text_stream("x")))
    req = ChatRequest(
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        max_tokens=5,
        temperature=0.5,
        top_p=0.9,
        stop="END",
        tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        tool_choice="auto",
        extra={"seed": 7},
    )
    provider = make(upstream, session, extra_headers={"X-Trace": "t1"})
    await complete(provider, req)
    (rec,) = upstream.requests
    assert rec.method == "POST" and rec.path == "/v1/chat/completions"
    assert rec.headers["Authorization"] == "Bearer sk-test-secret"
    assert rec.headers["X-Trace"] == "t1"
    body = rec.json
    assert body["model"] == "gpt-test" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
    ]
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (5, 0.5, 0.9)
    assert body["stop"] == ["END"] and body["tool_choice"] == "auto" and body["seed"] == 7
    assert body["tools"][0]["function"]["name"] == "f"


async def test_azure_request_shape_and_prompt_filter_chunk(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Azure: deployment URL, api-version, api-key header; the empty-choices chunk is consumed."""
    filt = sse({"choices": [], "prompt_filter_results": [{"prompt_index": 0}]})
    upstream.script(
        Reply(body=[filt, chunk("ok"), chunk(finish="content_filter"), usage(1, 1), DONE])
    )
    provider = OpenAIProvider(
        base_url=upstream.url,
        api_key="az-secret",
        model="my-deploy",
        api_style="azure",
        api_version="2024-10-21",
        session=session,
    )
    result = await complete(provider, REQ)
    assert result.text == "ok" and result.finish_reason == "content_filter"
    (rec,) = upstream.requests
    assert rec.path == "/openai/deployments/my-deploy/chat/completions"
    assert rec.query == {"api-version": "2024-10-21"}
    assert rec.headers["api-key"] == "az-secret" and "Authorization" not in rec.headers
    assert "model" not in rec.json


async def test_openrouter_comments_are_ignored(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """OpenRouter keep-alive comments between events change nothing."""
    upstream.script(Reply(body=[b": OPENROUTER PROCESSING\n\n", *text_stream("a", "b")]))
    assert (await complete(make(upstream, session), REQ)).text == "ab"


async def test_eof_after_finish_without_done_is_success(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A stream with finish and usage but no [DONE] ends normally at EOF."""
    upstream.script(Reply(body=text_stream("a")[:-1]))
    result = await complete(make(upstream, session), REQ)
    assert result.text == "a" and result.usage is not None


async def test_missing_usage_trailer_waits_only_the_grace(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """After finish, a missing usage chunk is awaited only for trailer_grace, then success."""
    gate = upstream.hold()
    upstream.script(Reply(body=[chunk("a"), chunk(finish="stop"), Hold(gate)]))
    result = await complete(make(upstream, session, trailer_grace=0.02), REQ)
    assert result.text == "a" and result.usage is None
    await asyncio.wait_for(upstream.disconnected.wait(), 1)


async def test_done_without_finish_is_truncated(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """[DONE] before any finish_reason after text is an interrupted, truncated stream."""
    upstream.script(Reply(body=[chunk("a"), DONE]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQ)
    assert isinstance(info.value.cause, errors.ProtocolError)
    assert "truncated" in info.value.cause.message and info.value.partial.text == "a"


async def test_eof_without_finish_before_text_is_protocol_error(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """EOF with no content and no finish is a (retryable) ProtocolError, not success."""
    upstream.script(Reply(body=[chunk(role="assistant", content="")]))
    with pytest.raises(errors.ProtocolError, match="truncated"):
        await complete(make(upstream, session), REQ)


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        pytest.param({"message": "boom", "type": "server_error"}, errors.ServerError, id="server"),
        pytest.param(
            {"message": "slow", "type": "rate_limit_exceeded"}, errors.RateLimited, id="rate"
        ),
    ],
)
async def test_error_event_mid_stream(
    upstream: Upstream, session: aiohttp.ClientSession, error: dict[str, str], cls: type
) -> None:
    """An {"error": …} event after text interrupts the stream with the typed cause."""
    upstream.script(Reply(body=[chunk("part"), sse({"error": error})]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQ)
    assert isinstance(info.value.cause, cls) and info.value.cause.message == error["message"]
    assert info.value.partial.text == "part"


async def test_error_event_before_text_is_server_error(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """An error event before any text raises the provider error itself (pre-commit)."""
    upstream.script(Reply(body=[sse({"error": {"message": "overloaded"}})]))
    with pytest.raises(errors.ServerError, match="overloaded"):
        await complete(make(upstream, session), REQ)


def err(message: str, **fields: str) -> dict[str, Any]:
    return {"error": {"message": message, **fields}}


HTTP_DATE = "<an HTTP-date 30 s from now>"


@pytest.mark.parametrize(
    ("reply", "cls", "retry_after"),
    [
        pytest.param(
            Reply.json(429, err("slow"), {"Retry-After": "7"}),
            errors.RateLimited,
            7.0,
            id="429-seconds",
        ),
        pytest.param(
            Reply.json(429, err("slow"), {"Retry-After": HTTP_DATE}),
            errors.RateLimited,
            30.0,
            id="429-date",
        ),
        pytest.param(
            Reply.json(
                429,
                err("slow"),
                {
                    "x-ratelimit-remaining-requests": "0",
                    "x-ratelimit-reset-requests": "1m2.5s",
                    "x-ratelimit-reset-tokens": "10ms",
                },
            ),
            errors.RateLimited,
            62.5,
            id="429-x-ratelimit",
        ),
        pytest.param(Reply.json(401, err("Incorrect API key")), errors.AuthError, None, id="401"),
        pytest.param(Reply.json(403, err("no access")), errors.AuthError, None, id="403"),
        pytest.param(
            Reply.json(400, err("bad param", code="invalid_value")),
            errors.BadRequest,
            None,
            id="400",
        ),
        pytest.param(
            Reply.json(
                400,
                err(
                    "This model's maximum context length is 8192 tokens.",
                    code="context_length_exceeded",
                ),
            ),
            errors.ContextWindowExceeded,
            None,
            id="400-context",
        ),
        pytest.param(
            Reply.json(
                400,
                err(
                    "The response was filtered due to the prompt triggering Azure OpenAI's"
                    " content management policy.",
                    code="content_filter",
                ),
            ),
            errors.ContentFiltered,
            None,
            id="400-content-filter",
        ),
        pytest.param(Reply.json(404, err("model not found")), errors.BadRequest, None, id="404"),
        pytest.param(Reply.json(500, err("internal")), errors.ServerError, None, id="500"),
        pytest.param(
            Reply(
                status=502,
                headers={"Content-Type": "text/html"},
                body=[b"<html>bad gateway</html>"],
            ),
            errors.ServerError,
            None,
            id="502-html",
        ),
    ],
)
async def test_http_errors_are_typed(
    upstream: Upstream,
    session: aiohttp.ClientSession,
    reply: Reply,
    cls: type[errors.ProviderError],
    retry_after: float | None,
) -> None:
    """Status and body map to the §1.3 error with status, retry_after and upstream message."""
    if reply.headers.get("Retry-After") == HTTP_DATE:
        date = email.utils.formatdate(time.time() + 30, usegmt=True)
        reply = Reply.json(reply.status, err("slow"), {"Retry-After": date})
    upstream.script(reply)
    with pytest.raises(errors.ProviderError) as info:
        await complete(make(upstream, session), REQ)
    exc = info.value
    assert type(exc) is cls and exc.status == reply.status and exc.provider == "openai"
    if retry_after is None:
        assert exc.retry_after is None
    else:
        assert exc.retry_after == pytest.approx(retry_after, abs=2)
    assert "sk-test-secret" not in str(exc) and "<html>" not in exc.message


async def test_connection_refused_is_connect_error(
    closed_port_url: str, session: aiohttp.ClientSession
) -> None:
    """A refused connection is a retryable ConnectError."""
    provider = OpenAIProvider(base_url=closed_port_url, api_key="k", model="m", session=session)
    with pytest.raises(errors.ConnectError) as info:
        await complete(provider, REQ)
    assert info.value.retryable


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(before=[RESET]), id="before-status"),
        pytest.param(Reply(body=[chunk(role="assistant", content=""), RESET]), id="after-headers"),
    ],
)
async def test_reset_before_first_chunk_is_connect_error(
    upstream: Upstream, session: aiohttp.ClientSession, reply: Reply
) -> None:
    """A reset before any content chunk is a ConnectError (retryable, fails over)."""
    upstream.script(reply)
    with pytest.raises(errors.ConnectError):
        await complete(make(upstream, session), REQ)


async def test_reset_after_chunks_is_stream_interrupted(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A reset after text surfaces as StreamInterrupted with the partial text."""
    upstream.script(Reply(body=[chunk("Hel"), chunk("lo"), RESET]))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(make(upstream, session), REQ)
    assert info.value.partial.text == "Hello"
    assert isinstance(info.value.cause, errors.ProtocolError)


async def test_idle_stall_is_interrupted_with_idle_timeout(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """A gap longer than idle after text ends the stream: StreamInterrupted(IdleTimeout)."""
    gate = upstream.hold()
    upstream.script(Reply(body=[chunk("a"), Hold(gate), *text_stream("b")]))
    provider = make(upstream, session, timeouts=Timeouts(idle=0.05))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(provider, REQ)
    assert isinstance(info.value.cause, errors.IdleTimeout) and info.value.partial.text == "a"
    await asyncio.wait_for(upstream.disconnected.wait(), 1)


async def test_slow_consumer_is_not_an_idle_upstream(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Time the consumer spends between pulls does not count against idle."""
    upstream.script(Reply(body=text_stream("a", "b", "c")))
    provider = make(upstream, session, timeouts=Timeouts(idle=0.02))
    texts = []
    async for c in provider.stream_complete(REQ):
        texts.append(c.text)
        await asyncio.sleep(0.03)
    assert "".join(texts) == "abc"


@pytest.mark.parametrize(
    "before", [pytest.param(True, id="before-headers"), pytest.param(False, id="after-headers")]
)
async def test_no_first_token_is_first_token_timeout(
    upstream: Upstream, session: aiohttp.ClientSession, before: bool
) -> None:
    """No content within first_token (headers held or body held) is FirstTokenTimeout."""
    gate = upstream.hold()
    preamble = chunk(role="assistant", content="")
    reply = Reply(before=[Hold(gate)]) if before else Reply(body=[preamble, Hold(gate)])
    upstream.script(reply)
    provider = make(upstream, session, timeouts=Timeouts(first_token=0.05))
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(provider, REQ)
    await asyncio.wait_for(upstream.disconnected.wait(), 1)


async def test_total_timeout(upstream: Upstream, session: aiohttp.ClientSession) -> None:
    """A stream that outlives total is cut with TotalTimeout as the cause."""
    gate = upstream.hold()
    upstream.script(Reply(body=[chunk("a"), Hold(gate)]))
    provider = make(upstream, session, timeouts=Timeouts(total=0.05))
    with pytest.raises(errors.StreamInterrupted) as info:
        await complete(provider, REQ)
    assert isinstance(info.value.cause, errors.TotalTimeout)


@pytest.mark.parametrize("how", ["break", "aclose", "cancel"])
async def test_consumer_stop_closes_upstream(
    upstream: Upstream, session: aiohttp.ClientSession, how: str
) -> None:
    """break, aclose() and task cancellation close the upstream connection at once."""
    gate = upstream.hold()
    upstream.script(Reply(body=[chunk("a"), Hold(gate), *text_stream("b")]))
    provider = make(upstream, session)
    got = asyncio.Event()

    async def consume() -> None:
        stream = provider.stream_complete(REQ)
        async for _ in stream:
            got.set()
            if how == "break":
                break
            if how == "aclose":
                await stream.aclose()  # type: ignore[attr-defined]
                return
            await asyncio.Event().wait()  # held until the test cancels this task

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got.wait(), 1)
    if how == "cancel":
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        await task
    await asyncio.wait_for(upstream.disconnected.wait(), 1)


async def test_cancel_while_waiting_for_headers_closes_upstream(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Cancelling during the request phase propagates CancelledError and drops the connection."""
    gate = upstream.hold()
    upstream.script(Reply(before=[Hold(gate)]))
    task = asyncio.create_task(complete(make(upstream, session), REQ))
    await asyncio.wait_for(upstream.received.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(upstream.disconnected.wait(), 1)


async def test_connection_is_reused_after_a_complete_stream(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    """Two streams in a row reuse one keep-alive connection."""
    upstream.script(Reply(body=text_stream("a")))
    provider = make(upstream, session)
    await complete(provider, REQ)
    await complete(provider, REQ)
    connector = session.connector
    assert connector is not None
    assert sum(len(v) for v in connector._conns.values()) == 1


def test_missing_api_key_names_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no env var: ConfigurationError naming provider and variable."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    with pytest.raises(errors.ConfigurationError, match=r"openai.*OPENAI_API_KEY"):
        OpenAIProvider(model="m")
    with pytest.raises(errors.ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIProvider(model="m", api_key="")
    with pytest.raises(errors.ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        OpenAIProvider(model="m", base_url="https://x.openai.azure.com", api_style="azure")
    with pytest.raises(errors.ConfigurationError, match="OPENROUTER_API_KEY"):
        OpenAIProvider(model="m", base_url="https://openrouter.ai/api/v1")


def test_api_key_from_env_and_keyless_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """api_key=None reads the env var; require_api_key=False allows keyless servers."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert OpenAIProvider(model="m")._api_key == "sk-env"
    monkeypatch.delenv("OPENAI_API_KEY")
    OpenAIProvider(model="m", base_url="http://localhost:8000/v1", require_api_key=False)


@pytest.mark.parametrize("url", ["ftp://x", "localhost:8000", "http://", "", "not a url"])
def test_bad_base_url(url: str) -> None:
    """A base_url that is not http(s) with a host is a ConfigurationError."""
    with pytest.raises(errors.ConfigurationError, match="base_url"):
        OpenAIProvider(model="m", api_key="k", base_url=url)


def test_repr_has_no_key() -> None:
    """The key never appears in repr."""
    provider = OpenAIProvider(model="m", api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(provider) and "OpenAIProvider" in repr(provider)


@pytest.mark.parametrize(
    ("prefill", "last", "flagged"),
    [(True, "assistant", True), (True, "user", False), (False, "assistant", False)],
)
def test_a_prefill_tells_the_server_to_continue_the_final_message(
    prefill: bool, last: str, flagged: bool
) -> None:
    """vLLM and SGLang open a new turn after a final assistant message unless told to
    continue it (``continue_final_message``, without ``add_generation_prompt``);
    llama.cpp's server takes the same fields. Only a deployment declared to accept a
    prefill gets them (OpenAI's own API refuses unknown fields)."""
    provider = OpenAIProvider(base_url="http://x/v1", api_key="k", model="m", prefill=prefill)
    messages: Any = [{"role": "user", "content": "Tell me"}, {"role": last, "content": "The"}]
    _, _, body = provider.build_request(ChatRequest(messages=messages), "m")
    flags = {k: body[k] for k in ("continue_final_message", "add_generation_prompt") if k in body}
    assert flags == (
        {"continue_final_message": True, "add_generation_prompt": False} if flagged else {}
    )
