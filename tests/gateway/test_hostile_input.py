"""No input gets a 500: every bad request is a 4xx with an OpenAI-shaped body, and
nothing the client sent is echoed back unbounded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_router.providers.scripted import Script, ScriptedProvider
from tests.gateway.conftest import MakeClient, chat_body, raw_exchange

KEY = "client-key-1234"


def fast() -> ScriptedProvider:
    """A healthy scripted provider."""
    return ScriptedProvider(name="fast", model="fast-1", scripts=(Script(text="Hi."),))


def message(**fields: Any) -> bytes:
    """A valid body with ``fields`` added, as JSON bytes."""
    return json.dumps(chat_body(**fields)).encode()


def nested(depth: int) -> Any:
    """A JSON value with arrays nested ``depth`` levels deep."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def shaped(error: dict[str, Any]) -> dict[str, Any]:
    """``error``, checked to have exactly OpenAI's fields."""
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    return error


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"Bearer \xff\xfe\x80", id="latin-1-bytes"),
        pytest.param(b"Bearer \xc3\x28", id="invalid-utf-8"),
        pytest.param(b"\xff", id="no-scheme"),
    ],
)
async def test_non_utf8_authorization_is_401(make_client: MakeClient, value: bytes) -> None:
    """An Authorization header that is not UTF-8 is refused with 401, not a 500."""
    client = await make_client({"default": [fast()]}, api_keys=[KEY])
    body = message()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nAuthorization: " + value + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    assert client.port is not None
    response = await raw_exchange(client.port, request)
    assert response.status == 401
    assert response.error()["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "temperature": ' + b"1" * 400 + b"}",
            "temperature",
            id="temperature-400-digits",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "top_p": -' + b"9" * 400 + b"}",
            "top_p",
            id="top-p-400-digits",
        ),
        pytest.param(b"[" * 1000 + b"]" * 1000, None, id="nested-1000-arrays"),
        pytest.param(b'{"a":' * 1000 + b"1" + b"}" * 1000, None, id="nested-1000-objects"),
        pytest.param(message(metadata={"deep": nested(80)}), None, id="nested-80-in-metadata"),
        pytest.param(message(max_tokens=10**30), "max_tokens", id="max-tokens-huge-int"),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1e30}',
            "max_tokens",
            id="max-tokens-1e30",
        ),
        pytest.param(
            message(max_completion_tokens=5, max_tokens=10**30),
            "max_tokens",
            id="max-tokens-beside-max-completion-tokens",
        ),
        pytest.param(message(tool_choice="auto"), "tool_choice", id="tool-choice-without-tools"),
        pytest.param(
            message(tools=[], tool_choice={"type": "function", "function": {"name": "f"}}),
            "tool_choice",
            id="tool-choice-with-empty-tools",
        ),
        pytest.param(
            message(parallel_tool_calls=True), "parallel_tool_calls", id="parallel-without-tools"
        ),
    ],
)
async def test_hostile_bodies_are_400(
    make_client: MakeClient, raw: bytes, param: str | None
) -> None:
    """Huge numbers, deep nesting and tool options without tools are 400s naming the field."""
    client = await make_client({"default": [fast()]})
    resp = await client.post(
        "/v1/chat/completions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400, await resp.text()
    assert shaped((await resp.json())["error"])["param"] == param


async def test_nesting_within_the_limit_is_accepted(make_client: MakeClient) -> None:
    """Metadata nested 60 levels deep (under the 64-level limit) is fine."""
    client = await make_client({"default": [fast()]})
    resp = await client.post("/v1/chat/completions", json=chat_body(metadata={"d": nested(60)}))
    assert resp.status == 200


async def test_unknown_model_echo_is_bounded(make_client: MakeClient) -> None:
    """A 100 KB model name gets a short 404 with at most three suggestions."""
    providers = [ScriptedProvider(name=f"provider-{i}", model="m") for i in range(30)]
    client = await make_client(
        {"default": [fast()], **{f"route-{i}": [p] for i, p in enumerate(providers)}}
    )
    resp = await client.post("/v1/chat/completions", json=chat_body(model="x" * 100_000))
    assert resp.status == 404
    body = await resp.read()
    assert len(body) < 600
    error = shaped(json.loads(body)["error"])
    assert error["code"] == "model_not_found"
    assert "route-" not in error["message"] and "provider-" not in error["message"]
    resp = await client.post("/v1/chat/completions", json=chat_body(model="route-7x"))
    message = shaped((await resp.json())["error"])["message"]
    suggestions = message.partition("did you mean")[2]
    assert "'route-7'" in suggestions and suggestions.count("'") <= 6  # three names


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(message(**{"x" * 100_000: 1}), id="unknown-argument"),
        pytest.param(
            json.dumps({"messages": [{"role": "user", "content": "x", "y" * 100_000: 1}]}).encode(),
            id="unknown-message-field",
        ),
    ],
)
async def test_unknown_field_names_are_clipped(make_client: MakeClient, raw: bytes) -> None:
    """A 100 KB unknown field name is quoted clipped, not whole."""
    client = await make_client({"default": [fast()]})
    resp = await client.post(
        "/v1/chat/completions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert len(await resp.read()) < 600


async def test_unknown_path_echo_is_bounded(make_client: MakeClient) -> None:
    """A 404 for a long unknown path quotes a clipped path."""
    client = await make_client({"default": [fast()]})
    resp = await client.get("/v1/" + "p" * 6000)
    assert resp.status == 404
    assert len(await resp.read()) < 600
    assert shaped((await resp.json())["error"])["code"] == "not_found"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"messages": [{"role": "user", "content": "x"}], "seed": NaN}', id="nan"),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "logit_bias": {"1": -Infinity}}',
            id="infinity",
        ),
        pytest.param(
            b'{"messages": [{"role": "user", "content": "x"}], "presence_penalty": 1e400}',
            id="1e400",
        ),
    ],
)
async def test_non_finite_numbers_are_400(make_client: MakeClient, raw: bytes) -> None:
    """NaN, Infinity and overflowing numbers (which would reach the upstream as invalid
    JSON) are refused as invalid JSON."""
    client = await make_client({"default": [fast()]})
    resp = await client.post(
        "/v1/chat/completions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert "not valid JSON" in shaped((await resp.json())["error"])["message"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_body_that_does_not_decode_is_400(make_client: MakeClient, encoding: str) -> None:
    """A body whose Content-Encoding is a lie is a 400, not a 500."""
    client = await make_client({"default": [fast()]})
    resp = await client.post(
        "/v1/chat/completions",
        data=message(),
        headers={"Content-Type": "application/json", "Content-Encoding": encoding},
    )
    assert resp.status == 400
    assert shaped((await resp.json())["error"])["code"] == "malformed_http"
