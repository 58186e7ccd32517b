"""Nothing the gateway holds leaves it: an upstream echoing credentials in its errors
reaches the client and the logs with every one of them scrubbed."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from llm_router.gateway.server import GatewayServer
from llm_router.policy import load_policy
from tests.gateway.conftest import chat_body, sse_json

VLLM_KEY = "plain-looking-token-1"  # not sk-…, read from a variable not named *_API_KEY
HEADER = "literal-header-value-77"
URL_PASSWORD = "url-password-42"
CLIENT_KEY = "client-key-value-8"
LITERAL_KEY = "written-in-the-file-3"
SECRETS = (VLLM_KEY, HEADER, URL_PASSWORD, CLIENT_KEY, LITERAL_KEY)

POLICY = """
version: 1
providers:
  bad:
    type: openai_compatible
    base_url: "{url}/bad/v1"
    model: m
    api_key: ${{VLLM_KEY}}
    headers: {{X-Org-Token: {header}}}
    retry: {{attempts: 1}}
  down:
    type: openai_compatible
    base_url: "{url}/down/v1"
    model: m
    api_key: {literal}
    retry: {{attempts: 1}}
  mid:
    type: openai_compatible
    base_url: "{url}/mid/v1"
    model: m
    api_key: ${{VLLM_KEY}}
  spare:
    type: openai_compatible
    base_url: "http://svc:{password}@127.0.0.1:1/v1"
    model: m
routes:
  default: [bad]
  down: [down]
  mid: [mid]
server:
  api_keys: [{client}]
"""


async def echo(request: web.Request) -> web.StreamResponse:
    """Fail, quoting the request's key and header and every other credential."""
    await request.read()
    quoted = (
        f"invalid key '{request.headers.get('Authorization')}' "
        f"(org {request.headers.get('X-Org-Token')}); also {URL_PASSWORD} {CLIENT_KEY}"
    )
    error = {"error": {"message": quoted, "type": "invalid_request_error", "code": None}}
    mode = request.match_info["mode"]
    if mode != "mid":
        return web.json_response(error, status=400 if mode == "bad" else 500)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Hello"}, "finish_reason": None}],
    }
    await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
    await resp.write(f"data: {json.dumps(error)}\n\n".encode())
    await resp.write_eof()
    return resp


@asynccontextmanager
async def upstream() -> AsyncIterator[str]:
    """The echoing upstream on loopback; yields its base URL."""
    app = web.Application()
    app.router.add_post("/{mode}/v1/chat/completions", echo)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("model", "stream", "status"),
    [
        pytest.param("auto", False, 400, id="400-body"),
        pytest.param("down", False, 502, id="502-body"),
        pytest.param("mid", True, 200, id="sse-error-event"),
    ],
)
async def test_echoed_credentials_are_scrubbed(
    tmp_path: Path, json_logs: io.StringIO, model: str, stream: bool, status: int
) -> None:
    """The upstream's error quotes the provider key (from ${VLLM_KEY}), a header value,
    a URL password, a client key and a key written in the file: none of them appears
    in the response or in any log line."""
    async with upstream() as url:
        path = tmp_path / "policy.yaml"
        path.write_text(
            POLICY.format(
                url=url,
                header=HEADER,
                literal=LITERAL_KEY,
                password=URL_PASSWORD,
                client=CLIENT_KEY,
            )
        )
        server = GatewayServer(load_policy(path, env={"VLLM_KEY": VLLM_KEY}), port=0)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                resp = await session.post(
                    f"{server.url}/chat/completions",
                    json=chat_body(model=model, stream=stream),
                    headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                )
                body = await resp.text()
        finally:
            await server.shutdown(grace=0.1)
    assert resp.status == status
    error = sse_json(body)[-1]["error"] if stream else json.loads(body)["error"]
    assert "[REDACTED]" in error["message"]  # the upstream's message, scrubbed
    logs = json_logs.getvalue()
    assert "stream.failed" in logs
    for secret in SECRETS:
        assert secret not in body
        assert secret not in logs
