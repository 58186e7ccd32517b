"""Gateway fixtures: the app on a router of scripted providers, behind a real loopback server."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from llm_router.gateway.app import create_app
from llm_router.layers.routing import Candidate, Route, Router
from llm_router.observe import Hook
from llm_router.observe.logs import configure_logging
from llm_router.observe.metrics import Metrics
from llm_router.types import ChatRequest, Provider


@dataclass(frozen=True)
class Detected:
    """A fixed detection: the request's own task hint, else ``chat``."""

    task: str
    score: float = 1.0
    signals: tuple[str, ...] = ()


def detector(request: ChatRequest) -> Detected:
    """Deterministic stand-in for the task detector."""
    return Detected(request.task or str(request.metadata.get("task") or "chat"))


def make_router(routes: Mapping[str, Sequence[Provider]], *, hook: Hook | None = None) -> Router:
    """A router whose routes list providers (deployment = provider name)."""
    built = {
        name: Route(name, tuple(Candidate(p, p.name) for p in providers))
        for name, providers in routes.items()
    }
    return Router(built, detector=detector, hook=hook)


Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Start the gateway app on a router (loopback, handler cancellation on)."""
    clients: list[Client] = []

    async def make(
        routes: Mapping[str, Sequence[Provider]] | Router,
        *,
        api_keys: Sequence[str] = (),
        max_body_bytes: int = 1 << 20,
        metrics: bool = False,
    ) -> Client:
        registry = CollectorRegistry()
        hook = Metrics(registry) if metrics else None
        router = routes if isinstance(routes, Router) else make_router(routes, hook=hook)
        app = create_app(
            router, api_keys=api_keys, registry=registry, max_body_bytes=max_body_bytes
        )
        client: Client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def sse_events(body: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, in order."""
    return [line[len("data: ") :] for line in body.split("\n") if line.startswith("data: ")]


def sse_json(body: str) -> list[dict[str, Any]]:
    """The JSON payloads of an SSE body (``[DONE]`` left out)."""
    return [json.loads(e) for e in sse_events(body) if e != "[DONE]"]


def chat_body(text: str = "hello", **fields: Any) -> dict[str, Any]:
    """A minimal chat completion body."""
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **fields}


@dataclass(frozen=True)
class RawResponse:
    """An HTTP response read off a raw socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, Any]:
        """The OpenAI error object of the body (asserting its exact shape)."""
        assert self.headers.get("content-type", "").startswith("application/json"), self
        data = json.loads(self.body)
        assert set(data) == {"error"}
        assert set(data["error"]) == {"message", "type", "param", "code"}
        error: dict[str, Any] = data["error"]
        return error


def parse_raw(data: bytes) -> RawResponse:
    """Split a raw HTTP/1.1 response (``Content-Length`` framed) into its parts."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    return RawResponse(int(lines[0].split()[1]), headers, body[:length])


async def raw_exchange(port: int, data: bytes, *, within: float = 5.0) -> RawResponse:
    """Send ``data`` as is on a new loopback connection; the response, read until the
    server closes the connection (send ``Connection: close`` for a well-formed request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        return parse_raw(await asyncio.wait_for(reader.read(), within))
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """configure_logging(json=True) into a buffer; structlog and logging restored after."""
    buf = io.StringIO()
    configure_logging(json=True, stream=buf)
    yield buf
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "llm_router"]:
        root.removeHandler(handler)
