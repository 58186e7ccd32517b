""":class:`LoopbackUpstream`: a scripted upstream on a real loopback socket, for what an
in-process mock cannot do — a stall or a connection reset in the middle of a stream,
a client that hangs up — and for clients that do not use aiohttp (the ``openai`` and
``anthropic`` SDKs)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Self

import aiohttp
from aiohttp import web

from llm_router._aio import AsyncClosing
from llm_router.testing._reply import Reply
from llm_router.testing._script import Received, ScriptedUpstream
from llm_router.testing._wire import Kind, Reset, Stall, content_type, error_body, render

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler."""

_BASE_PATHS: dict[Kind, str] = {"openai": "/v1", "anthropic": "", "gemini": "/v1beta", "ollama": ""}


async def serve_loopback(handler: Handler) -> tuple[web.AppRunner, str]:
    """Serve ``handler`` on every path and method at a free ``127.0.0.1`` port, handlers
    cancelled when their client hangs up: the runner (``cleanup()`` it) and
    ``http://127.0.0.1:<port>``."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.05)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


class LoopbackUpstream(ScriptedUpstream, AsyncClosing):
    """A scripted ``kind`` upstream served on ``127.0.0.1`` (``async with``).

    Point the provider at :attr:`base_url` (``…/v1`` for OpenAI, ``…/v1beta`` for
    Gemini); every path answers. Each piece of a stream is written separately, stalls
    wait until the client hangs up or :meth:`release`, ``reset`` aborts the TCP
    connection. :attr:`disconnected` is set when a client leaves before its answer was
    complete, so a test can check that a cancelled stream really closed the upstream.
    """

    def __init__(self, kind: Kind = "openai", *, model: str | None = None) -> None:
        super().__init__(kind, model=model)
        self.url = ""
        """``http://127.0.0.1:<port>`` once started."""
        self.disconnected = asyncio.Event()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give this kind's provider."""
        return self.url + _BASE_PATHS[self.kind]

    def release(self) -> None:
        """End every stall."""
        self._released.set()

    async def start(self) -> Self:
        """Listen on a free loopback port."""
        self._runner, self.url = await serve_loopback(self._handle)
        return self

    async def aclose(self) -> None:
        """Release the stalls and stop the server."""
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    close = aclose
    """The same as :meth:`aclose`."""

    async def __aenter__(self) -> Self:
        return await self.start()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(
            request.method, str(request.url), dict(request.headers), await request.read()
        )
        reply = self.next_reply(received)
        try:
            return await self._answer(request, reply, received)
        except (asyncio.CancelledError, ConnectionResetError, aiohttp.ClientConnectionResetError):
            self.disconnected.set()
            raise

    async def _answer(
        self, request: web.Request, reply: Reply, received: Received
    ) -> web.StreamResponse:
        if reply.refuse:
            return self._abort(request)
        if reply.stall_headers:
            await self._released.wait()
            return self._abort(request)
        headers = self.headers_for(reply)
        if reply.status != 200:
            body = error_body(self.kind, reply.status, reply.message)
            return web.Response(
                status=reply.status, body=body, headers=headers, content_type="application/json"
            )
        response = web.StreamResponse(headers={"Content-Type": content_type(self.kind), **headers})
        await response.prepare(request)
        for step in render(self.kind, reply, self.model_for(reply, received)):
            if isinstance(step, Stall):
                await self._released.wait()
                return self._abort(request, response)
            if isinstance(step, Reset):
                return self._abort(request, response)
            await response.write(step)
        await response.write_eof()
        return response

    def _abort(
        self, request: web.Request, response: web.StreamResponse | None = None
    ) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        return response or web.Response(status=500)
