"""A loopback OpenAI-style upstream that follows a script and reports disconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Upstream:
    """Streams ``words`` as chat.completion.chunk events.

    ``hold_after``: after that many chunks (0: right after the headers), wait on
    ``release``. ``rate_limit_first``: answer the first request 429 with that
    Retry-After. ``arrived`` is set when a request comes in, ``holding`` when the
    handler waits on ``release``, ``closed`` when the client (the gateway's
    provider) drops the connection meanwhile.
    """

    words: tuple[str, ...] = ("Hello ", "from ", "upstream.")
    model: str = "up-model-1"
    hold_after: int | None = None
    rate_limit_first: float | None = None
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def _event(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {
            "id": "chatcmpl-up",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    async def _hold(self) -> None:
        self.holding.set()
        await self.release.wait()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The ``/v1/chat/completions`` handler."""
        self.requests.append(await request.json())
        self.arrived.set()
        if self.rate_limit_first is not None and len(self.requests) == 1:
            return web.json_response(
                {"error": {"message": "slow down", "type": "requests", "code": None}},
                status=429,
                headers={"Retry-After": str(self.rate_limit_first)},
            )
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        try:
            await resp.write(self._event({"role": "assistant", "content": ""}))
            for i, word in enumerate(self.words):
                if i == self.hold_after:
                    await self._hold()
                await resp.write(self._event({"content": word}))
            if self.hold_after == len(self.words):
                await self._hold()
            await resp.write(self._event({}, "stop"))
            await resp.write(b"data: [DONE]\n\n")
        except (asyncio.CancelledError, ConnectionResetError):
            self.closed.set()
            raise
        await resp.write_eof()
        return resp


@asynccontextmanager
async def running(upstream: Upstream) -> AsyncIterator[Upstream]:
    """Serve ``upstream`` on a loopback port (handler cancellation on)."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", upstream.handle)
    server = TestServer(app)
    await server.start_server()
    upstream.url = str(server.make_url("/v1"))
    try:
        yield upstream
    finally:
        upstream.release.set()
        await server.close()
