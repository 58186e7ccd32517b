"""The gateway moves a request on in the loop turn its bytes arrive (``_inline``).

A request complete at the gateway leaves for its upstream in the same turn, and the
first token from the upstream leaves for the client in the turn it arrived: no loop
turn, each long under load, passes in between. The real server (``GatewayServer``,
its connection protocol) and a policy-built provider (the shared session's pool) are
run against a loopback upstream, whose connection a first stream has opened (a new
connection takes turns of its own); a callback that re-queues itself counts the turns.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ClientRequest

from llm_router.gateway._protocol import GatewayProtocol
from llm_router.gateway._writer import EventWriter
from llm_router.gateway.server import GatewayServer
from llm_router.policy import load_policy
from llm_router.providers.session import InlineResponseHandler
from tests.gateway.conftest import chat_body
from tests.gateway.test_server import policy_file
from tests.gateway.upstream import Upstream, running


class Turns:
    """Counts event-loop turns: a callback re-queued each time it runs runs once a turn."""

    def __init__(self) -> None:
        self.now = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.now += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def test_a_request_and_its_first_token_each_move_on_in_the_turn_they_arrive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = Turns()
    marks: dict[str, int] = {}
    received, body_out = GatewayProtocol.data_received, ClientRequest.write_bytes
    upstream_in, first_out = InlineResponseHandler.data_received, EventWriter.write

    def request_in(self: GatewayProtocol, data: bytes) -> None:
        if data.startswith(b"POST "):
            marks.setdefault("request in", turns.now)
        received(self, data)

    async def request_out(self: ClientRequest, *args: Any) -> None:
        if str(self.url).startswith(upstream.url):  # the gateway's, not the test client's
            marks.setdefault("request out", turns.now)
        await body_out(self, *args)

    def token_in(self: InlineResponseHandler, data: bytes) -> None:
        if b'"content": "Hello' in data:
            marks.setdefault("token in", turns.now)
        upstream_in(self, data)

    async def token_out(self: EventWriter, data: bytes) -> None:
        marks.setdefault("token out", turns.now)
        await first_out(self, data)

    monkeypatch.setattr(GatewayProtocol, "data_received", request_in)
    monkeypatch.setattr(ClientRequest, "write_bytes", request_out)
    monkeypatch.setattr(InlineResponseHandler, "data_received", token_in)
    monkeypatch.setattr(EventWriter, "write", token_out)
    upstream = Upstream(hold_after=0)
    try:
        async with running(upstream):
            server = GatewayServer(load_policy(policy_file(tmp_path, upstream.url)), port=0)
            await server.start()
            try:
                async with aiohttp.ClientSession() as session:
                    url = f"{server.url}/chat/completions"
                    upstream.release.set()  # a first stream, which opens the pooled connection
                    async with session.post(url, json=chat_body(stream=True)) as warm:
                        assert b"[DONE]" in await warm.read()
                    upstream.release.clear()
                    upstream.holding.clear()
                    marks.clear()
                    call = session.post(url, json=chat_body(stream=True))
                    task = asyncio.create_task(call)
                    await asyncio.wait_for(upstream.holding.wait(), 5)
                    upstream.release.set()  # the first token goes out alone
                    async with asyncio.timeout(5):
                        resp = await task
                        body = await resp.read()
            finally:
                await server.shutdown(grace=0.1)
    finally:
        turns.stop()
    assert b"Hello " in body and body.rstrip().endswith(b"data: [DONE]")
    assert set(marks) == {"request in", "request out", "token in", "token out"}
    assert marks["request out"] == marks["request in"]
    assert marks["token out"] == marks["token in"]
    assert marks["token in"] > marks["request out"]  # the turns were counted
    assert len(upstream.requests) == 2
