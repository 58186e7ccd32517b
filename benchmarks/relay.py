"""The gateway's floor: a bare aiohttp relay (run in its own process).

``POST /v1/chat/completions`` is forwarded to ``--upstream`` (a chat-completions
URL) with the same body, and the upstream's bytes are written back as they arrive:
no parsing, no routing, no re-encoding, nothing a real gateway must do. Whatever
the gateway costs above this is its own. Prints ``PORT <n>`` when ready.
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp
from aiohttp import web


def make_app(upstream: str) -> web.Application:
    """The relay application."""
    app = web.Application()
    session: list[aiohttp.ClientSession] = []

    async def relay(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        async with session[0].post(
            upstream, data=body, headers={"Content-Type": "application/json"}
        ) as up:
            out = web.StreamResponse(
                status=up.status, headers={"Content-Type": up.headers["Content-Type"]}
            )
            await out.prepare(request)
            async for data in up.content.iter_any():
                await out.write(data)
            await out.write_eof()
            return out

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def open_session(app: web.Application) -> None:
        session.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))

    async def close_session(app: web.Application) -> None:
        await session[0].close()

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/v1/chat/completions", relay)
    app.router.add_get("/readyz", ready)
    return app


async def _main(upstream: str, port: int) -> None:
    runner = web.AppRunner(make_app(upstream), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=8192)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Command line: ``--upstream URL --port N``."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--upstream", required=True)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    asyncio.run(_main(a.upstream, a.port))


if __name__ == "__main__":
    main()
