"""Gateway fixtures: the app on a router of scripted providers, behind a real loopback server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from llm_router.gateway.app import create_app
from llm_router.layers.router import Candidate, Route, Router
from llm_router.obs.metrics import Metrics
from llm_router.observe import Observer
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


def make_router(
    routes: Mapping[str, Sequence[Provider]], *, observer: Observer | None = None
) -> Router:
    """A router whose routes list providers (deployment = provider name)."""
    built = {
        name: Route(name, tuple(Candidate(p, p.name) for p in providers))
        for name, providers in routes.items()
    }
    kwargs: dict[str, Any] = {} if observer is None else {"observer": observer}
    return Router(built, detector=detector, **kwargs)


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
        observer = Metrics(registry) if metrics else None
        router = routes if isinstance(routes, Router) else make_router(routes, observer=observer)
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
