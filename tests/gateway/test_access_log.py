"""One ``request.finished`` line per request, with its outcome; JSON lines only."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest
import structlog
from aiohttp import web

from llm_router.providers.scripted import Fault, Script, ScriptedProvider
from llm_router.types import ChatRequest, StreamChunk
from tests.gateway.conftest import MakeClient, chat_body

KEY = "client-key-1234"


def fast() -> ScriptedProvider:
    """A healthy scripted provider."""
    return ScriptedProvider(name="fast", model="fast-1", scripts=(Script(text="Hi there."),))


def finished(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    """The gateway's request.finished events."""
    return [e for e in logs if e["event"] == "request.finished"]


GOOD = {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "outcome", "code"),
    [
        pytest.param("/v1/chat/completions", chat_body(), GOOD, 200, "completed", None, id="ok"),
        pytest.param(
            "/v1/chat/completions",
            chat_body(stream=True),
            GOOD,
            200,
            "completed",
            None,
            id="ok-stream",
        ),
        pytest.param(
            "/v1/chat/completions",
            chat_body(model="nope"),
            GOOD,
            404,
            "rejected",
            "model_not_found",
            id="unknown-model",
        ),
        pytest.param(
            "/v1/chat/completions", {"messages": []}, GOOD, 400, "rejected", None, id="bad-body"
        ),
        pytest.param(
            "/v1/chat/completions", chat_body(), {}, 401, "rejected", "invalid_api_key", id="401"
        ),
        pytest.param("/v1/nothing", chat_body(), GOOD, 404, "rejected", "not_found", id="no-path"),
        pytest.param(
            "/v1/chat/completions",
            chat_body(model="down"),
            GOOD,
            502,
            "failed",
            "server_error",
            id="upstream-failed",
        ),
    ],
)
async def test_one_line_per_request(
    make_client: MakeClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    status: int,
    outcome: str,
    code: str | None,
) -> None:
    """Completed, rejected and failed requests each leave exactly one request.finished
    line with their status, outcome, code and request id."""
    down = ScriptedProvider(name="down", scripts=(Script(fault=Fault("server_error")),))
    client = await make_client({"default": [fast()], "down": [down]}, api_keys=[KEY])
    with structlog.testing.capture_logs() as logs:
        resp = await client.post(path, json=body, headers=headers)
        await resp.read()
    assert resp.status == status
    (line,) = finished(logs)
    assert (line["status"], line["outcome"], line["code"]) == (status, outcome, code)
    assert line["request_id"] == resp.headers["x-request-id"]
    assert line["path"] == path and line["method"] == "POST"
    assert not [e for e in logs if e["event"].startswith("request.") and e is not line]


async def test_close_right_after_done_is_a_completed_request(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client closing right after [DONE] (the SDKs do) makes the final write fail;
    the request is still logged once, as completed, not as client_gone."""
    original = web.StreamResponse.write_eof

    async def closed_after_done(self: web.StreamResponse, data: bytes = b"") -> None:
        if self.content_type == "text/event-stream":
            raise ConnectionResetError("Cannot write to closing transport")
        await original(self, data)

    monkeypatch.setattr(web.StreamResponse, "write_eof", closed_after_done)
    client = await make_client({"default": [fast()]})
    with structlog.testing.capture_logs() as logs:
        resp = await client.post("/v1/chat/completions", json=chat_body(stream=True))
        assert b"data: [DONE]" in await resp.content.readuntil(b"[DONE]")
        resp.close()
        await client.get("/healthz")  # the chat request has been logged by now
    (line,) = [e for e in finished(logs) if e["path"] == "/v1/chat/completions"]
    assert (line["outcome"], line["status"]) == ("completed", 200)
    assert not [e for e in logs if e["event"] == "request.client_gone"]


class Buggy:
    """A provider with a bug: its stream raises a KeyError (not an llm_router error)."""

    name = "buggy"

    async def _stream(self) -> AsyncIterator[StreamChunk]:
        raise KeyError("bug")
        yield  # pragma: no cover  (an async generator)

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Fail with a bug on the first chunk."""
        return self._stream()


@pytest.mark.parametrize("stream", [True, False])
async def test_a_bug_is_one_json_line_with_its_traceback(
    make_client: MakeClient, json_logs: io.StringIO, stream: bool
) -> None:
    """A bug answers 500 internal_error and logs one JSON line carrying the traceback;
    aiohttp's and asyncio's own (standard logging) records are JSON lines too."""
    client = await make_client({"default": [Buggy()]})
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=stream))
    assert resp.status == 500
    assert (await resp.json())["error"]["code"] == "internal_error"
    logging.getLogger("aiohttp.server").error("Error handling request", exc_info=KeyError("x"))
    events = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    (line,) = [e for e in events if e["event"] == "request.finished"]
    assert line["outcome"] == "internal_error" and line["status"] == 500
    assert "KeyError" in json.dumps(line["exception"])
    (aiohttp_line,) = [e for e in events if e.get("logger") == "aiohttp.server"]
    assert aiohttp_line["level"] == "error" and "exception" in aiohttp_line
