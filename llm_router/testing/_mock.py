""":class:`MockUpstreams`: scripted upstreams at their real URLs, with no network, on
``aioresponses`` (which patches ``aiohttp.ClientSession``, so every HTTP provider of
llm_router is answered in-process)."""

from __future__ import annotations

import asyncio
import json
import re
from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from llm_router._aio import AsyncClosing
from llm_router.errors import ConfigurationError
from llm_router.testing._script import Received, ScriptedUpstream
from llm_router.testing._wire import Kind, Reset, Stall, content_type, error_body, render

PUBLIC_URLS: dict[Kind, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com/v1beta",
    "ollama": "http://localhost:11434",
}
"""Each kind's default ``base_url``: the providers' own defaults."""


class MockUpstream(ScriptedUpstream):
    """One mocked upstream (see :class:`MockUpstreams`); ``base_url`` is what the
    provider under test is configured with."""

    def __init__(self, kind: Kind, base_url: str, *, model: str | None = None) -> None:
        super().__init__(kind, model=model)
        self.base_url = base_url.rstrip("/")
        self._released = asyncio.Event()

    def release(self) -> None:
        """End every stall (they then answer as the client has gone)."""
        self._released.set()

    async def answer(self, url: URL, **kwargs: Any) -> Any:
        """The aioresponses callback: the next reply, rendered."""
        from aioresponses import CallbackResult

        body, raw = kwargs.get("json"), kwargs.get("data") or b""
        if body is not None:
            data = json.dumps(body).encode()
        else:
            data = raw if isinstance(raw, bytes) else str(raw).encode()
        headers = {str(k): str(v) for k, v in (kwargs.get("headers") or {}).items()}
        reply = self.next_reply(Received("POST", str(url), headers, data))
        if reply.refuse:
            raise aiohttp.ClientConnectionError(f"Connection refused: {url.host}:{url.port}")
        if reply.stall_headers or reply.stall_after == 0:
            await self._released.wait()
            raise aiohttp.ServerDisconnectedError()
        extra = self.headers_for(reply)
        if reply.status != 200:
            return CallbackResult(
                status=reply.status,
                body=error_body(self.kind, reply.status, reply.message),
                headers=extra,
            )
        steps = render(self.kind, reply, self.model_for(reply, self.requests[-1]))
        if any(isinstance(s, Stall | Reset) for s in steps):
            raise ConfigurationError(
                "a stall or reset after the first piece needs a real socket: use LoopbackUpstream"
            )
        payload = b"".join(s for s in steps if isinstance(s, bytes))
        return CallbackResult(
            status=200, body=payload, content_type=content_type(self.kind), headers=extra
        )


class MockUpstreams(AsyncClosing):
    """Mock every upstream at once, in-process (``with MockUpstreams() as mock:``).

    ``mock.openai()``, ``mock.anthropic()``, ``mock.gemini()``, ``mock.ollama()`` (or
    :meth:`add`) script the upstream at a ``base_url`` (default: the public API's, so
    a policy for production runs unchanged). Any other URL is refused (a
    ``ConnectError``): nothing reaches the network. URLs starting with one of
    ``passthrough`` (default: ``http://127.0.0.1:``) are really requested, so a
    :class:`LoopbackUpstream` or a gateway under test still work. Needs the
    ``aioresponses`` package (``pip install llm_router[testing]``).
    """

    def __init__(self, *, passthrough: tuple[str, ...] = ("http://127.0.0.1:",)) -> None:
        try:
            from aioresponses import aioresponses
        except ImportError as exc:  # an optional dependency
            raise ConfigurationError(
                "MockUpstreams needs aioresponses: pip install llm_router[testing]"
            ) from exc

        self._mock = aioresponses(passthrough=list(passthrough))
        self._upstreams: list[MockUpstream] = []

    def add(
        self, kind: Kind, base_url: str | None = None, *, model: str | None = None
    ) -> MockUpstream:
        """A scripted ``kind`` upstream at ``base_url`` (every path below it)."""
        upstream = MockUpstream(kind, base_url or PUBLIC_URLS[kind], model=model)
        pattern = re.compile(re.escape(upstream.base_url) + r"(/.*)?(\?.*)?$")
        self._mock.post(pattern, callback=upstream.answer, repeat=True)
        self._upstreams.append(upstream)
        return upstream

    def openai(self, base_url: str | None = None, *, model: str | None = None) -> MockUpstream:
        """An OpenAI-compatible upstream (Azure too: give its endpoint)."""
        return self.add("openai", base_url, model=model)

    def anthropic(self, base_url: str | None = None, *, model: str | None = None) -> MockUpstream:
        """An Anthropic Messages upstream."""
        return self.add("anthropic", base_url, model=model)

    def gemini(self, base_url: str | None = None, *, model: str | None = None) -> MockUpstream:
        """A Gemini upstream."""
        return self.add("gemini", base_url, model=model)

    def ollama(self, base_url: str | None = None, *, model: str | None = None) -> MockUpstream:
        """An Ollama upstream."""
        return self.add("ollama", base_url, model=model)

    def start(self) -> None:
        """Start intercepting."""
        self._mock.start()

    def stop(self) -> None:
        """Stop intercepting and release every stall."""
        for upstream in self._upstreams:
            upstream.release()
        self._mock.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def aclose(self) -> None:
        """:meth:`stop` (for ``async with``)."""
        self.stop()

    async def __aenter__(self) -> Self:
        return self.__enter__()
