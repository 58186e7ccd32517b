"""A reusable loopback upstream: a real aiohttp server that follows a script.

Each :class:`Reply` says what one request gets: a status, headers, and body pieces
sent one write at a time (``bytes``), with :class:`Hold` (wait on an ``asyncio.Event``)
and :data:`RESET` (abort the TCP connection) anywhere, before the status line
(``before=``) or between pieces. The server records every request and sets
``upstream.disconnected`` when the client goes away (the handler is cancelled or a
write fails), so tests can assert that a cancelled stream really closed the upstream.

Usage::

    upstream.script(Reply(body=[sse({"a": 1}), Hold(gate), sse({"b": 2})]))
    provider = OpenAIProvider(base_url=upstream.url + "/v1", api_key="k", session=session)
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from llm_router.providers.session import close_shared_sessions
from llm_router.testing._loopback import serve_loopback

SSE_HEADERS = {"Content-Type": "text/event-stream"}
NDJSON_HEADERS = {"Content-Type": "application/x-ndjson"}


@dataclass(frozen=True)
class Hold:
    """Wait until ``event`` is set (the client may disconnect meanwhile)."""

    event: asyncio.Event


class _Reset:
    def __repr__(self) -> str:
        return "RESET"


RESET = _Reset()
"""Abort the connection (TCP reset, no HTTP framing end)."""

Step = bytes | Hold | _Reset


@dataclass
class Reply:
    """What one request gets. ``before`` runs before the status line is sent."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: dict(SSE_HEADERS))
    body: Sequence[Step] = ()
    before: Sequence[Hold | _Reset] = ()

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer (an error body, typically)."""
        return cls(
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
            body=[json.dumps(payload).encode()],
        )


@dataclass
class Recorded:
    """One request the upstream received."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes

    @property
    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body)


def sse(payload: Any, event: str | None = None) -> bytes:
    """One SSE event carrying ``payload`` as JSON (or as is, if it is a string)."""
    data = payload if isinstance(payload, str) else json.dumps(payload)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()


def ndjson(payload: Any) -> bytes:
    """One NDJSON line carrying ``payload``."""
    return (json.dumps(payload) + "\n").encode()


def split_every(body: bytes, size: int) -> list[bytes]:
    """``body`` cut into pieces of ``size`` bytes (the last may be shorter)."""
    return [body[i : i + size] for i in range(0, len(body), size)] or [b""]


class Upstream:
    """The loopback server; see the module docstring."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply()]
        self.requests: list[Recorded] = []
        self.disconnected = asyncio.Event()
        self.finished = asyncio.Event()
        self.received = asyncio.Event()
        self._holds: list[asyncio.Event] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    def script(self, *replies: Reply) -> None:
        """The replies for the next requests, in order (the last one repeats)."""
        self.replies = list(replies)
        self.requests.clear()

    def hold(self) -> asyncio.Event:
        """A fresh event for :class:`Hold`; released at teardown so no handler hangs."""
        event = asyncio.Event()
        self._holds.append(event)
        return event

    async def start(self) -> None:
        """Start listening on a free loopback port."""
        self._runner, self.url = await serve_loopback(self._handle)

    async def close(self) -> None:
        """Release every hold and stop the server."""
        for event in self._holds:
            event.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.query),
                CIMultiDict(request.headers),
                body,
            )
        )
        self.received.set()
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        resp = web.StreamResponse(status=reply.status, headers=reply.headers)
        try:
            for step in reply.before:
                if not await self._step(step, request, None):
                    return resp
            await resp.prepare(request)
            for step in reply.body:
                if not await self._step(step, request, resp):
                    return resp
            await resp.write_eof()
        except (asyncio.CancelledError, ConnectionResetError, aiohttp.ClientConnectionResetError):
            self.disconnected.set()
            raise
        self.finished.set()
        return resp

    async def _step(
        self, step: Step, request: web.Request, resp: web.StreamResponse | None
    ) -> bool:
        if isinstance(step, Hold):
            await step.event.wait()
        elif isinstance(step, _Reset):
            assert request.transport is not None
            request.transport.abort()
            return False
        else:
            assert resp is not None
            await resp.write(step)
        return True


@asynccontextmanager
async def started() -> AsyncIterator[Upstream]:
    """A started loopback upstream, stopped on the way out (for fixtures of other names;
    other packages' tests import :func:`upstream` and :func:`session` themselves)."""
    up = Upstream()
    await up.start()
    try:
        yield up
    finally:
        await up.close()


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """A started loopback upstream, stopped after the test."""
    async with started() as up:
        yield up


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session owned by the test (closed after it)."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture(autouse=True)
async def _close_shared_sessions() -> AsyncIterator[None]:
    yield
    await close_shared_sessions()


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on a loopback port nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
