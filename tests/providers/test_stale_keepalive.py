"""Stale keep-alive connections: a request that fails on a reused pooled connection
before any byte of the answer never reached the server; it is resent at once on a fresh
connection, unseen by Retry and the breaker (providers/session.py).

The upstream is a raw asyncio server that behaves like llama.cpp's ``llama-server``:
it answers with ``Connection: keep-alive`` and closes the connection after every
streamed response anyway. Other modes drop a request without answering, on a reused
connection (the keep-alive race) or a fresh one, or hold it (a slow server).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

import aiohttp
import pytest

from llm_router import ChatRequest, Completion, complete, errors
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RetryConfig, Timeouts
from llm_router.layers.breaker import CircuitBreaker
from llm_router.observe import Event, Retried
from llm_router.providers import OpenAIProvider, ScriptedProvider
from llm_router.providers.session import PoolConnector

REQ = ChatRequest(messages=[{"role": "user", "content": "hi"}])
STREAMS = 200
"""Streams per concurrent run (1,000 were run once for the issue's report: 0 failures)."""
CLIENTS = 8

Mode = Literal["close_after_each", "drop_second", "drop_first", "hold_second"]


def _sse(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


BODY = (
    _sse({"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]})
    + _sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    + b"data: [DONE]\n\n"
)
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\n"
    b"Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n"
)
RESPONSE = HEAD + b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)


class KeepAliveLiar:
    """A loopback HTTP/1.1 server that advertises keep-alive and then, per ``mode``:

    - ``close_after_each``: closes after every response (llama-server);
    - ``drop_second``: answers the first request of a connection, reads the second and
      closes without answering (an idle connection closed as a request arrives);
    - ``drop_first``: reads the first request and closes without answering;
    - ``hold_second``: answers the first request, holds the second until teardown.
    """

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.requests = 0
        self.answered = 0
        self.connections = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._release = asyncio.Event()
        self.together = 1
        """First requests answered only once this many have arrived (so that that many
        connections are open at once, whatever the client's timing)."""
        self._firsts = 0
        self._all_in = asyncio.Event()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"

    async def close(self) -> None:
        """Stop listening and end every connection handler."""
        self._release.set()
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        try:
            for n in (1, 2):
                if not await self._read_request(reader):
                    return
                if self._drops(n):
                    return
                if self.mode == "hold_second" and n == 2:
                    await self._release.wait()
                    return
                if n == 1:
                    self._firsts += 1
                    if self._firsts >= self.together:
                        self._all_in.set()
                    await self._all_in.wait()
                writer.write(RESPONSE)
                await writer.drain()
                self.answered += 1
                if self.mode == "close_after_each":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
            self._handlers.discard(task)

    def _drops(self, n: int) -> bool:
        return (self.mode, n) in (("drop_second", 2), ("drop_first", 1))

    async def _read_request(self, reader: asyncio.StreamReader) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        self.requests += 1
        return True


@pytest.fixture
async def liar(request: pytest.FixtureRequest) -> AsyncIterator[KeepAliveLiar]:
    """A started :class:`KeepAliveLiar` in the mode the test's parameter names."""
    server = KeepAliveLiar(request.param)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def provider(
    url: str, session: aiohttp.ClientSession | None = None, timeouts: Timeouts = Timeouts()
) -> OpenAIProvider:
    """A keyless OpenAI-compatible provider (the shared session unless ``session``)."""
    return OpenAIProvider(
        base_url=url, model="m", require_api_key=False, session=session, timeouts=timeouts
    )


async def run_concurrently(
    call: Callable[[], Awaitable[Completion]], streams: int = STREAMS, clients: int = CLIENTS
) -> list[Exception]:
    """Run ``streams`` calls of ``call`` from ``clients`` concurrent workers; the failures."""
    failures: list[Exception] = []
    left = [streams]

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            try:
                assert (await call()).text == "hi"
            except Exception as exc:  # collected; the test asserts on them
                failures.append(exc)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return failures


@pytest.mark.parametrize("liar", ["close_after_each"], indirect=True)
async def test_server_closing_after_every_response_loses_no_stream(liar: KeepAliveLiar) -> None:
    """200 streams from 8 concurrent clients to a server that closes after each response
    (advertising keep-alive): none fails, each reached the server exactly once."""
    oa = provider(liar.url)
    failures = await run_concurrently(lambda: complete(oa, REQ))
    assert failures == []
    assert liar.requests == liar.answered == STREAMS


@pytest.mark.parametrize("liar", ["close_after_each"], indirect=True)
async def test_without_the_pool_connector_stale_connections_fail(liar: KeepAliveLiar) -> None:
    """The control: a plain aiohttp session reuses the dead connections and fails (so the
    test above exercises stale connections), and resends nothing."""
    async with aiohttp.ClientSession() as session:
        oa = provider(liar.url, session=session)
        failures = await run_concurrently(lambda: complete(oa, REQ), streams=50, clients=1)
    assert failures and all(isinstance(f, errors.ConnectError) for f in failures)
    assert liar.requests == 50 - len(failures)


@pytest.mark.parametrize("liar", ["close_after_each"], indirect=True)
async def test_own_session_with_pool_connector_gets_the_resend(liar: KeepAliveLiar) -> None:
    """A caller's session whose connector is a PoolConnector resends like the shared one."""
    async with aiohttp.ClientSession(connector=PoolConnector()) as session:
        oa = provider(liar.url, session=session)
        assert await run_concurrently(lambda: complete(oa, REQ), streams=50, clients=1) == []


@pytest.mark.parametrize("liar", ["drop_second"], indirect=True)
async def test_request_dropped_on_a_reused_connection_is_resent_once(
    liar: KeepAliveLiar,
) -> None:
    """A reused connection closed without an answer (EOF before any byte): the request
    is sent again on a fresh connection, so the caller sees one success."""
    oa = provider(liar.url)
    for _ in range(5):
        assert (await complete(oa, REQ)).text == "hi"
    assert liar.answered == 5
    assert liar.requests == 9  # streams 2-5 were each dropped once on a reused connection
    assert liar.connections == 5


@pytest.mark.parametrize("liar", ["drop_second"], indirect=True)
async def test_the_resend_never_takes_another_pooled_connection(liar: KeepAliveLiar) -> None:
    """Two idle pooled connections, both about to drop their next request: the one
    request that fails on the first is resent on a fresh connection, not on the second
    (which would fail too); the idle one is closed instead."""
    oa = provider(liar.url)
    liar.together = 2  # both first requests in before either is answered: two connections
    await asyncio.gather(complete(oa, REQ), complete(oa, REQ))
    assert (liar.requests, liar.connections) == (2, 2)
    assert (await complete(oa, REQ)).text == "hi"
    assert (liar.requests, liar.answered, liar.connections) == (4, 3, 3)


@pytest.mark.parametrize("liar", ["drop_first"], indirect=True)
async def test_failure_on_a_fresh_connection_is_not_resent(liar: KeepAliveLiar) -> None:
    """A fresh connection closed without an answer is the server failing: no resend."""
    with pytest.raises(errors.ConnectError):
        await complete(provider(liar.url), REQ)
    assert liar.requests == liar.connections == 1


@pytest.mark.parametrize("liar", ["hold_second"], indirect=True)
async def test_timeout_on_a_reused_connection_is_not_resent(liar: KeepAliveLiar) -> None:
    """A reused connection that goes silent may be working on the request: a timeout is
    raised, never resent."""
    oa = provider(liar.url, timeouts=Timeouts(first_token=0.05))
    assert (await complete(oa, REQ)).text == "hi"
    with pytest.raises(errors.FirstTokenTimeout):
        await complete(oa, REQ)
    assert liar.requests == 2 and liar.connections == 1


@pytest.mark.parametrize("liar", ["close_after_each"], indirect=True)
async def test_router_with_one_attempt_never_fails_over_nor_trips(liar: KeepAliveLiar) -> None:
    """Through a Router with RetryConfig(attempts=1) (as policies for local servers set):
    200 streams, 8 clients, no failure, no retry, no fallback; the breaker stays closed."""
    events: list[Event] = []
    fallback = ScriptedProvider(name="fallback")
    router = build_router(
        {"default": [provider(liar.url), fallback]},
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(fail_max=3),
        hook=events.append,
    )
    async with router:
        failures = await run_concurrently(lambda: complete(router, REQ))
        primary = router.routes["default"].candidates[0].breaker
        assert isinstance(primary, CircuitBreaker) and primary.state == "closed"
    assert failures == []
    assert fallback.calls == []
    assert not [e for e in events if isinstance(e, Retried)]
    assert liar.requests == liar.answered == STREAMS
