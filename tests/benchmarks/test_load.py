"""The load client (`benchmarks/load.py`): a burst starts every stream at once; a ramp
spreads the first starts over its length (steady arrivals)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from load import run_load

EVENTS = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'


async def _arrivals(concurrency: int, ramp: float) -> list[float]:
    """When each request reached a loopback upstream, the load's warm-up first; every
    stream after it is held until all ``concurrency`` have arrived."""
    seen: list[float] = []
    everyone = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        seen.append(time.perf_counter())
        if len(seen) == concurrency + 1:
            everyone.set()
        if len(seen) > 1:
            await everyone.wait()
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(EVENTS)
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handle)
    async with TestServer(app) as server:
        url = str(server.make_url("/v1/chat/completions"))
        result = await asyncio.wait_for(run_load(url, concurrency, concurrency, {}, ramp), 30)
    assert result["events_per_s"] > 0
    return seen


async def test_without_a_ramp_every_stream_is_in_flight_at_once() -> None:
    """Each request is held until all have arrived: a burst completes, one stream at a
    time would not."""
    assert len(await _arrivals(8, 0.0)) == 1 + 8


async def test_a_ramp_spreads_the_first_starts_over_its_length() -> None:
    """The i-th of C streams waits ``i / C`` of the ramp once the warm-up stream is
    done: the last arrives at least ``(C - 1) / C`` of the ramp after the warm-up."""
    warm_up, *streams = await _arrivals(5, 0.4)
    assert len(streams) == 5
    assert max(streams) - warm_up >= 0.4 * 4 / 5
