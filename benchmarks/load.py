"""Load client (its own process): many concurrent OpenAI-style streams against one URL.

``--concurrency C --total N``: keep C streams in flight until N have finished; prints
one JSON line with streams/s, events/s and time to first token (the first text delta)
p50/p99 (ms).
``--hold N``: open N streams, print ``HELD`` once each has delivered its first chunk,
then wait for a line on stdin and close them all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time

import aiohttp

BODY = {
    "model": "auto",
    "stream": True,
    "messages": [{"role": "user", "content": "Stream a long answer, please."}],
}


_TOKEN = re.compile(rb'"content":"[^"]')
"""A delta with text: the first *token*, not the role-only preamble an upstream sends
first (``"content":""``), which the gateway, like every router, swallows."""


async def one(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], ttfts: list[float]
) -> int:
    """One stream read to its end; returns the data events seen (``[DONE]`` included).

    Time to first token is taken when the first text delta has arrived. Reads
    coalesce events and split them anywhere, so both scans also look at the previous
    read's last bytes (a 6-byte ``data: `` can't lie wholly inside its last 5, so
    nothing is counted twice)."""
    n = 0
    tail = b""
    t = time.perf_counter()
    waiting = True
    async with session.post(url, json=BODY, headers=headers) as resp:
        resp.raise_for_status()
        async for data in resp.content.iter_any():
            if waiting and _TOKEN.search(tail + data) is not None:
                ttfts.append(time.perf_counter() - t)
                waiting = False
            n += (tail[-5:] + data).count(b"data: ")
            tail = data[-12:]
    return n


async def run_load(
    url: str, concurrency: int, total: int, headers: dict[str, str], ramp: float = 0.0
) -> dict[str, float]:
    """Keep ``concurrency`` streams in flight until ``total`` finished; with ``ramp``
    seconds, the streams' starts are spread evenly over that time (steady arrivals),
    else all ``concurrency`` start at once (a burst)."""
    ttfts: list[float] = []
    chunks = 0
    left = total
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=600)) as s:
        await one(s, url, headers, [])  # warm-up
        start = time.perf_counter()

        async def worker(i: int) -> None:
            nonlocal left, chunks
            await asyncio.sleep(ramp * i / concurrency)
            while left > 0:
                left -= 1
                got = await one(s, url, headers, ttfts)
                chunks += got  # not `chunks += await …`: that reads `chunks` before awaiting

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - start
    ttfts.sort()
    return {
        "streams_per_s": total / elapsed,
        "events_per_s": chunks / elapsed,
        "ttft_p50_ms": statistics.median(ttfts) * 1e3,
        "ttft_p99_ms": ttfts[min(len(ttfts) - 1, int(len(ttfts) * 0.99))] * 1e3,
    }


async def hold(url: str, n: int, headers: dict[str, str]) -> None:
    """Open ``n`` streams, report when all delivered a chunk, close on stdin."""
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=conn, timeout=aiohttp.ClientTimeout(total=None)
    ) as s:
        ready = asyncio.Semaphore(0)

        async def opened() -> None:
            async with s.post(url, json=BODY, headers=headers) as resp:
                await resp.content.readany()
                ready.release()
                await asyncio.Event().wait()

        tasks = [asyncio.create_task(opened()) for _ in range(n)]
        for _ in range(n):
            await ready.acquire()
        print("HELD", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--total", type=int, default=1000)
    p.add_argument("--hold", type=int, default=0)
    p.add_argument("--bearer", default="")
    p.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread the first streams' starts over this many seconds (0: all at once)",
    )
    a = p.parse_args()
    headers = {"Authorization": f"Bearer {a.bearer}"} if a.bearer else {}
    if a.hold:
        asyncio.run(hold(a.url, a.hold, headers))
    else:
        result = asyncio.run(run_load(a.url, a.concurrency, a.total, headers, a.ramp))
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
