"""The connection edge, on the server's own listener and raw sockets: read deadlines
for slow clients, JSON answers to malformed HTTP, one JSON log line per event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import structlog

from llm_router.gateway.server import GatewayServer
from llm_router.policy import load_policy
from tests.gateway.conftest import parse_raw, raw_exchange

POLICY = """
version: 1
providers:
  fast:
    type: scripted
    model: fast-1
    text: "Fast answer."
  stalling:
    type: scripted
    model: stall-1
    scripts:
      - text: "one two three"
        fault: {{kind: stall, after_chunks: 1}}
routes:
  default: [fast]
  stalling: [stalling]
server:
  shutdown_grace: 1
  header_timeout: {header}
  body_timeout: {body}
"""

CHAT = b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}]}'


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[GatewayServer]:
    """The gateway with 50 ms header and body deadlines, on a free port."""
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(header=0.05, body=0.05))
    gateway = GatewayServer(load_policy(path), port=0)
    await gateway.start()
    yield gateway
    await gateway.shutdown(grace=0.1)


def post(body: bytes, *, length: int | None = None, extra: bytes = b"") -> bytes:
    """A chat completion request, ``Connection: close``."""
    size = len(body) if length is None else length
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\n"
        + extra
        + b"Content-Length: "
        + str(size).encode()
        + b"\r\n\r\n"
        + body
    )


async def test_well_formed_request_passes(server: GatewayServer) -> None:
    """The custom listener serves ordinary requests."""
    response = await raw_exchange(server.port, post(CHAT))
    assert response.status == 200
    assert b"Fast answer." in response.body


@pytest.mark.parametrize(
    "partial",
    [
        pytest.param(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n", id="headers"),
        pytest.param(b"GET /heal", id="request-line"),
    ],
)
async def test_slow_headers_get_408(server: GatewayServer, partial: bytes) -> None:
    """Headers not complete 50 ms after their first byte: 408 in JSON, connection closed."""
    response = await raw_exchange(server.port, partial, within=2.0)
    assert response.status == 408
    assert response.error()["code"] == "request_timeout"
    assert response.headers["connection"] == "close"


async def test_silent_connection_is_closed(server: GatewayServer) -> None:
    """A connection that never sends a byte is closed after the header deadline."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        assert await asyncio.wait_for(reader.read(), 2.0) == b""
    finally:
        writer.close()
        await writer.wait_closed()


async def test_slow_body_gets_408(server: GatewayServer) -> None:
    """A body still incomplete after the body deadline: 408 in JSON, connection closed."""
    response = await raw_exchange(server.port, post(CHAT[:10], length=len(CHAT)), within=2.0)
    assert response.status == 408
    assert response.error()["code"] == "request_timeout"


async def test_deadlines_leave_long_answers_alone(server: GatewayServer) -> None:
    """A stream that outlasts the header deadline keeps going (the deadline is for reading
    requests, not for answering them)."""
    body = CHAT.replace(b'"auto"', b'"stalling"').replace(b"}]}", b'}], "stream": true}')
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(post(body))
        head = await asyncio.wait_for(reader.readuntil(b"one"), 2.0)
        assert head.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.readuntil(b"\n\n\r\n"), 2.0)  # the end of the chunk
        with pytest.raises(TimeoutError):  # held on purpose, well past the 50 ms deadlines
            await asyncio.wait_for(reader.read(1), 0.15)
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
            400,
            "line_too_long",
            id="oversized-header",
        ),
        pytest.param(
            b"GET /" + b"u" * 9000 + b" HTTP/1.1\r\nHost: gw\r\n\r\n",
            400,
            "line_too_long",
            id="oversized-url",
        ),
        pytest.param(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            400,
            "malformed_http",
            id="content-length-and-chunked",
        ),
        pytest.param(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n5\r\nhello\r\nZZ\r\n",
            400,
            "malformed_http",
            id="bad-chunk-size",
        ),
        pytest.param(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Encoding: br\r\n"
            b"Content-Length: 2\r\n\r\n{}",
            400,
            "malformed_http",
            id="undecodable-content-encoding",
        ),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: gw\r\nBad Header: x\r\n\r\n",
            400,
            "malformed_http",
            id="invalid-header-name",
        ),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Key: sk-should-not-echo\x01\r\n\r\n",
            400,
            "malformed_http",
            id="control-character-in-a-header",
        ),
    ],
)
async def test_malformed_http_gets_json(
    server: GatewayServer,
    caplog: pytest.LogCaptureFixture,
    request_bytes: bytes,
    status: int,
    code: str,
) -> None:
    """What aiohttp's parser refuses is answered in OpenAI's JSON shape, quoting none of
    the request, and logged as one request.finished event without a traceback."""
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        response = await raw_exchange(server.port, request_bytes)
    assert response.status == status
    error = response.error()
    assert error["code"] == code
    assert b"sk-should" not in response.body and b"aaaa" not in response.body
    assert [e["event"] for e in logs] == ["request.finished"]
    assert logs[0]["outcome"] == "rejected" and "exc_info" not in logs[0]
    assert not [r for r in caplog.records if r.exc_info]  # no stdlib traceback either


async def test_bad_chunk_after_the_handler_started_reading(server: GatewayServer) -> None:
    """A body whose chunking turns bad mid-way ends within the body deadline, in JSON."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
            b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        )
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)).startswith(
            b"HTTP/1.1 100"
        )
        writer.write(b"5\r\nhello\r\nZZ\r\n")
        response = parse_raw(await asyncio.wait_for(reader.read(), 2.0))
    finally:
        writer.close()
        await writer.wait_closed()
    assert response.status in (400, 408)
    assert response.error()["code"] in ("malformed_http", "request_timeout")


async def test_unread_body_is_not_a_new_request(server: GatewayServer) -> None:
    """The rest of a body the gateway answered without reading (405 here) does not start
    a header deadline: no stray 408 follows the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"POST /healthz HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n0123456789")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)
        assert head.startswith(b"HTTP/1.1 405")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await asyncio.wait_for(reader.readexactly(length), 2.0)
        writer.write(b"0123456789")  # more of the same body
        with pytest.raises(TimeoutError):  # three header deadlines pass: nothing is sent
            await asyncio.wait_for(reader.read(1), 0.15)
    finally:
        writer.close()
        await writer.wait_closed()
