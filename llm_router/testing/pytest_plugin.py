"""pytest fixtures for :mod:`llm_router.testing` (enable with
``pytest_plugins = ["llm_router.testing.pytest_plugin"]`` in a ``conftest.py``).

- ``llm_mock``: a started :class:`~llm_router.testing.MockUpstreams`, stopped after the
  test, the event loop's shared HTTP session closed;
- ``llm_upstream``: a factory of started :class:`~llm_router.testing.LoopbackUpstream`
  (``up = await llm_upstream("anthropic")``), all closed after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from llm_router.providers.session import close_shared_sessions
from llm_router.testing._loopback import LoopbackUpstream
from llm_router.testing._mock import MockUpstreams
from llm_router.testing._wire import Kind

UpstreamFactory = Callable[..., Awaitable[LoopbackUpstream]]


@pytest_asyncio.fixture
async def llm_mock() -> AsyncIterator[MockUpstreams]:
    """Every upstream mocked in-process for the test (see :class:`MockUpstreams`)."""
    with MockUpstreams() as mock:
        try:
            yield mock
        finally:
            await close_shared_sessions()


@pytest_asyncio.fixture
async def llm_upstream() -> AsyncIterator[UpstreamFactory]:
    """Start loopback upstreams: ``await llm_upstream("openai", model="m")``."""
    started: list[LoopbackUpstream] = []

    async def start(kind: Kind = "openai", *, model: str | None = None) -> LoopbackUpstream:
        upstream = await LoopbackUpstream(kind, model=model).start()
        started.append(upstream)
        return upstream

    try:
        yield start
    finally:
        await close_shared_sessions()
        for upstream in started:
            await upstream.close()
