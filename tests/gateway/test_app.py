"""The gateway's HTTP API on scripted providers, through aiohttp's test client."""

from __future__ import annotations

import openai
import pytest

from llm_router.gateway.app import STATE
from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest, ToolCall, Usage
from tests.gateway.conftest import MakeClient, chat_body, sse_events, sse_json


def fast(name: str = "fast", text: str = "Hello there friend.") -> ScriptedProvider:
    """A healthy scripted provider."""
    return ScriptedProvider(name=name, model=f"{name}-1", scripts=(Script(text=text),))


def failing(name: str, kind: str, **fault: object) -> ScriptedProvider:
    """A scripted provider that always fails before its first token."""
    return ScriptedProvider(
        name=name,
        model=f"{name}-1",
        scripts=(Script(fault=Fault(kind, **fault)),),  # type: ignore[arg-type]
    )


async def test_streaming_answer_is_openai_shaped(make_client: MakeClient) -> None:
    """A streamed answer is chat.completion.chunk events ending with [DONE]."""
    client = await make_client({"default": [fast()]})
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert resp.headers["x-llm-router-provider"] == "fast"
    assert resp.headers["x-llm-router-task"] == "chat"
    body = await resp.text()
    assert sse_events(body)[-1] == "[DONE]"
    events = sse_json(body)
    assert {e["id"] for e in events} == {events[0]["id"]}
    assert events[0]["id"].startswith("chatcmpl-")
    assert all(e["object"] == "chat.completion.chunk" and e["model"] == "fast-1" for e in events)
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events)
    assert text == "Hello there friend."
    assert events[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(e["choices"][0]["logprobs"] is None for e in events)
    assert "usage" not in events[0]


async def test_include_usage_adds_a_usage_chunk(make_client: MakeClient) -> None:
    """stream_options.include_usage ends with a chunk of empty choices and the usage."""
    provider = ScriptedProvider(
        name="fast", scripts=(Script(text="Hi.", usage=Usage(input_tokens=7, output_tokens=2)),)
    )
    client = await make_client({"default": [provider]})
    body = chat_body(stream=True, stream_options={"include_usage": True})
    resp = await client.post("/v1/chat/completions", json=body)
    events = sse_json(await resp.text())
    assert all(e["usage"] is None for e in events[:-1])
    assert events[-1]["choices"] == []
    assert events[-1]["usage"] == {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}


async def test_streamed_tool_calls(make_client: MakeClient) -> None:
    """Tool-call deltas carry index, id, type and function name, then argument pieces."""
    call = ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')
    provider = ScriptedProvider(name="tools", scripts=(Script(text="", tool_calls=(call,)),))
    client = await make_client({"default": [provider]})
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
    events = sse_json(await resp.text())
    deltas = [e["choices"][0]["delta"] for e in events]
    first = deltas[0]["tool_calls"][0]
    assert first["id"] == "call_1" and first["type"] == "function"
    assert first["function"]["name"] == "get_weather"
    args = "".join(d["tool_calls"][0]["function"]["arguments"] for d in deltas if "tool_calls" in d)
    assert args == call.arguments
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_non_streaming_answer(make_client: MakeClient) -> None:
    """stream false answers one chat.completion object with message, usage and headers."""
    provider = ScriptedProvider(
        name="fast",
        model="fast-1",
        scripts=(Script(text="All good.", usage=Usage(input_tokens=3, output_tokens=2)),),
    )
    client = await make_client({"default": [provider]})
    resp = await client.post("/v1/chat/completions", json=chat_body(model="fast"))
    assert resp.status == 200
    assert resp.headers["x-llm-router-provider"] == "fast"
    data = await resp.json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"] == {
        "role": "assistant",
        "content": "All good.",
        "refusal": None,
    }
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


async def test_failover_before_commit_is_invisible(make_client: MakeClient) -> None:
    """A primary failing before its first token is replaced; the header names the fallback."""
    client = await make_client({"default": [failing("down", "connect"), fast()]})
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
    assert resp.status == 200
    assert resp.headers["x-llm-router-provider"] == "fast"
    assert sse_events(await resp.text())[-1] == "[DONE]"


async def test_task_header_forces_the_task(make_client: MakeClient) -> None:
    """x-llm-router-task picks the task's route and is echoed back."""
    client = await make_client({"default": [fast()], "code": [fast("coder")]})
    resp = await client.post(
        "/v1/chat/completions", json=chat_body(), headers={"x-llm-router-task": "code"}
    )
    assert resp.headers["x-llm-router-provider"] == "coder"
    assert resp.headers["x-llm-router-task"] == "code"


async def test_error_after_commit_ends_with_error_event(make_client: MakeClient) -> None:
    """A mid-stream failure ends the SSE stream with an error event and no [DONE]."""
    script = Script(text="one two three four", fault=Fault("server_error", after_chunks=2))
    provider = ScriptedProvider(name="cut", scripts=(script,))
    client = await make_client({"default": [provider, fast()]})
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
    assert resp.status == 200
    events = sse_events(await resp.text())
    assert "[DONE]" not in events
    error = sse_json("\n".join(f"data: {e}" for e in events))[-1]["error"]
    assert error["code"] == "stream_interrupted"
    assert error["type"] == "upstream_error"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        pytest.param("rate_limited", 429, "rate_limit_exceeded", id="429"),
        pytest.param("server_error", 502, "server_error", id="502"),
        pytest.param("auth", 502, "auth_error", id="upstream-401-is-502"),
        pytest.param("first_token_timeout", 504, "first_token_timeout", id="504"),
        pytest.param("context_window", 400, "context_length_exceeded", id="context"),
        pytest.param("content_filter", 400, "content_filter", id="filtered"),
    ],
)
async def test_failure_before_commit_maps_to_status(
    make_client: MakeClient, kind: str, status: int, code: str
) -> None:
    """Every candidate failing before commit answers the telling status, for both modes."""
    client = await make_client({"default": [failing("a", kind, retry_after=3.0)]})
    for stream in (True, False):
        resp = await client.post("/v1/chat/completions", json=chat_body(stream=stream))
        assert resp.status == status
        error = (await resp.json())["error"]
        assert error["code"] == code
        assert set(error) == {"message", "type", "param", "code"}
    if status == 429:
        assert resp.headers["Retry-After"] == "3"


async def test_mixed_failures_answer_503(make_client: MakeClient) -> None:
    """Candidates failing in different ways answer 503 all_providers_failed."""
    client = await make_client(
        {"default": [failing("a", "rate_limited"), failing("b", "server_error")]}
    )
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "all_providers_failed"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        pytest.param(b"{not json", None, id="malformed-json"),
        pytest.param(b"[1, 2]", None, id="not-an-object"),
        pytest.param(b'{"model": "auto"}', "messages", id="no-messages"),
        pytest.param(b'{"messages": []}', "messages", id="empty-messages"),
        pytest.param(b'{"messages": ["hi"]}', "messages[0]", id="message-not-object"),
        pytest.param(
            b'{"messages": [{"role": "boss", "content": "x"}]}', "messages[0].role", id="bad-role"
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": 5}]}',
            "messages[0].content",
            id="bad-content",
        ),
        pytest.param(b'{"messages": [{"role": "user"}]}', "messages[0].content", id="no-content"),
        pytest.param(
            b'{"messages": [{"role": "tool", "content": "x"}]}',
            "messages[0].tool_call_id",
            id="tool-no-id",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}',
            "temperature",
            id="temperature-type",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "temperature": 3}',
            "temperature",
            id="temperature-range",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5}',
            "max_tokens",
            id="max-tokens-type",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": true}',
            "max_tokens",
            id="max-tokens-bool",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            "stream",
            id="stream-type",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "stream_options": {}}',
            "stream_options",
            id="options-without-stream",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "model": 3}',
            "model",
            id="model-type",
        ),
        pytest.param(b'{"messages": [{"role": "user", "content": "x"}], "n": 2}', "n", id="n"),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "stop": [1]}', "stop", id="stop"
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "x"}]}',
            "tools[0]",
            id="tools",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "frobnicate": 1}',
            "frobnicate",
            id="unknown-arg",
        ),
    ],
)
async def test_invalid_bodies_answer_400(
    make_client: MakeClient, body: bytes, param: str | None
) -> None:
    """Malformed JSON and ill-typed fields answer 400 naming the field, never the prompt."""
    client = await make_client({"default": [fast()]})
    resp = await client.post(
        "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


async def test_bad_task_header_answers_400(make_client: MakeClient) -> None:
    """An unknown x-llm-router-task is a 400."""
    client = await make_client({"default": [fast()]})
    resp = await client.post(
        "/v1/chat/completions", json=chat_body(), headers={"x-llm-router-task": "poetry"}
    )
    assert resp.status == 400


async def test_unknown_model_answers_404(make_client: MakeClient) -> None:
    """A model that names no route, task or provider is a 404 model_not_found."""
    client = await make_client({"default": [fast()]})
    resp = await client.post("/v1/chat/completions", json=chat_body(model="gpt-9"))
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "model_not_found"


async def test_body_too_large_answers_413(make_client: MakeClient) -> None:
    """A body over max_body_bytes is a 413 in OpenAI's error shape."""
    client = await make_client({"default": [fast()]}, max_body_bytes=1000)
    resp = await client.post("/v1/chat/completions", json=chat_body("x" * 2000))
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "request_too_large"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        pytest.param(None, 401, id="no-key"),
        pytest.param("Bearer wrong", 401, id="wrong-key"),
        pytest.param("Basic c2VjcmV0", 401, id="not-bearer"),
        pytest.param("Bearer second-key", 200, id="right-key"),
    ],
)
async def test_client_auth(make_client: MakeClient, header: str | None, status: int) -> None:
    """With keys configured, only a listed bearer key gets through; probes stay open."""
    client = await make_client({"default": [fast()]}, api_keys=["first-key", "second-key"])
    headers = {} if header is None else {"Authorization": header}
    resp = await client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    assert resp.status == status
    if status == 401:
        error = (await resp.json())["error"]
        assert error["code"] == "invalid_api_key"
        assert "second-key" not in error["message"]
    models = await client.get("/v1/models", headers=headers)
    assert models.status == status
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(path)).status == 200


async def test_models_lists_routes_tasks_and_providers(make_client: MakeClient) -> None:
    """/v1/models lists every usable model value in OpenAI's list shape."""
    client = await make_client({"default": [fast()], "my-alias": [fast("other")]})
    data = await (await client.get("/v1/models")).json()
    assert data["object"] == "list"
    ids = [m["id"] for m in data["data"]]
    assert ids[:3] == ["default", "my-alias", "auto"]
    assert {"code", "chat", "fast", "other"} <= set(ids)
    assert all(m["object"] == "model" and "owned_by" in m for m in data["data"])


async def test_one_model_is_retrieved_as_the_openai_sdk_asks(make_client: MakeClient) -> None:
    """``client.models.retrieve`` (``GET /v1/models/{id}``): the model object, or a 404
    ``model_not_found`` the SDK raises as ``NotFoundError``; ids with a slash too."""
    client = await make_client({"default": [fast()], "team/alias": [fast("other")]})
    base = str(client.make_url("/v1"))
    async with openai.AsyncOpenAI(base_url=base, api_key="k", max_retries=0) as sdk:
        model = await sdk.models.retrieve("default")
        assert (model.id, model.owned_by) == ("default", "llm-router:route")
        assert (await sdk.models.retrieve("team/alias")).id == "team/alias"
        assert (await sdk.models.retrieve("fast")).owned_by == "llm-router:provider"
        with pytest.raises(openai.NotFoundError) as caught:
            await sdk.models.retrieve("nope")
    assert caught.value.code == "model_not_found"
    assert (await client.get("/models/auto")).status == 200


async def test_probes_metrics_and_status(make_client: MakeClient) -> None:
    """healthz, readyz, metrics (Prometheus content type) and router status answer."""
    client = await make_client({"default": [fast()]}, metrics=True)
    await client.post("/v1/chat/completions", json=chat_body())
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    assert await (await client.get("/readyz")).json() == {"status": "ready"}
    metrics = await client.get("/metrics")
    assert metrics.headers["Content-Type"].startswith("text/plain; version=")
    assert "llm_router_requests_total" in await metrics.text()
    status = await (await client.get("/v1/router/status")).json()
    assert "fast" in str(status)
    assert status["gateway"]["ready"] is True


async def test_unknown_path_is_openai_shaped_404(make_client: MakeClient) -> None:
    """An unknown endpoint answers 404 with an OpenAI error body."""
    client = await make_client({"default": [fast()]})
    resp = await client.get("/v1/nothing")
    assert resp.status == 404
    assert "error" in await resp.json()


async def test_non_streaming_interruption_is_an_error(make_client: MakeClient) -> None:
    """A non-streaming answer cut mid-way, every time, is an error status, never a short
    completion."""
    script = Script(text="one two three", fault=Fault("server_error", after_chunks=1))
    cut = ScriptedProvider(name="cut", scripts=(script,))
    client = await make_client({"default": [cut]})
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status == 502
    assert "one" not in (await resp.json())["error"]["message"]
    assert len(cut.calls) == 3  # the stream, then two fresh starts (docs/DESIGN.md §1.2)


async def test_non_streaming_cut_starts_afresh_and_answers_whole(make_client: MakeClient) -> None:
    """The client of ``stream: false`` has seen nothing: a cut stream is simply started
    again (here on the same, only deployment) and the answer is complete."""
    cut = Script(text="one two three", fault=Fault("server_error", after_chunks=1))
    flaky = ScriptedProvider(name="flaky", scripts=(cut, Script(text="one two three")))
    client = await make_client({"default": [flaky]})
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status == 200
    body = await resp.json()
    assert body["choices"][0]["message"]["content"] == "one two three"
    assert body["choices"][0]["finish_reason"] == "stop"


async def test_draining_gateway_is_not_ready(make_client: MakeClient) -> None:
    """While draining, readyz answers 503 and new chat requests get 503 shutting_down."""
    client = await make_client({"default": [fast()]})
    client.app[STATE].draining = True  # type: ignore[index]
    assert (await client.get("/readyz")).status == 503
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "shutting_down"


@pytest.mark.parametrize("stream", [True, False])
async def test_the_task_is_detected_once_per_request(make_client: MakeClient, stream: bool) -> None:
    """The task header and the routing share one detection (it is per-request cost)."""
    from llm_router.layers.routing import Candidate, Route, Router
    from tests.gateway.conftest import Detected, detector

    calls: list[str] = []

    def counting(request: ChatRequest) -> Detected:
        calls.append(request.request_id)
        return detector(request)

    provider = fast()
    router = Router(
        {"default": Route("default", (Candidate(provider, "fast"),))}, detector=counting
    )
    client = await make_client(router)
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=stream))
    assert resp.status == 200
    assert resp.headers["x-llm-router-task"] == "chat"
    await resp.read()
    assert len(calls) == 1
