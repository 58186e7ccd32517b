"""A fast loopback OpenAI-style upstream for the benchmarks (run in its own process).

The scenario is in the URL path, so any client (our providers, a bare aiohttp
reader, LiteLLM) can use it through its base URL::

    http://127.0.0.1:PORT/s/{chunks}/{size}/{first_ms}/{delay_ms}/{fault}/v1/chat/completions

``fault`` is ``ok``, ``500``, ``429`` (with ``Retry-After: 0``... the value after a
dash, e.g. ``429-1`` for one second), ``stall`` (headers sent, then nothing),
``cut-K`` (the connection is cut after K text deltas) or ``flaky-K`` (every other
request to that URL is cut after K text deltas, starting with the first). The
text of consecutive deltas varies (LiteLLM aborts streams repeating one chunk 100 times).
Run ``python benchmarks/upstream.py --port 0`` — it prints ``PORT <n>`` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from functools import lru_cache

from aiohttp import web

_WORDS = ("alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ", "theta ")


@lru_cache(maxsize=64)
def stream_events(chunks: int, size: int) -> tuple[bytes, ...]:
    """The SSE events of one answer: ``chunks`` deltas of about ``size`` characters."""
    created = int(time.time())
    head = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": created,
        "model": "bench-model",
        "system_fingerprint": None,
    }
    events = []
    first = dict(
        head,
        choices=[
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    )
    events.append(first)
    for i in range(chunks):
        word = _WORDS[i % len(_WORDS)]
        text = (f"{i}:" + word * (size // len(word) + 1))[:size]
        events.append(
            dict(
                head,
                choices=[
                    {
                        "index": 0,
                        "delta": {"content": text},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                ],
            )
        )
    events.append(
        dict(head, choices=[{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
    )
    events.append(
        dict(
            head,
            choices=[],
            usage={"prompt_tokens": 10, "completion_tokens": chunks, "total_tokens": chunks + 10},
        )
    )
    out = [b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events]
    out.append(b"data: [DONE]\n\n")
    return tuple(out)


_SEEN: Counter[str] = Counter()


def _cut_after(fault: str, path: str) -> int | None:
    """After how many text deltas this request's connection is cut (None: never)."""
    kind, _, k = fault.partition("-")
    if kind == "cut":
        return int(k)
    if kind == "flaky":
        _SEEN[path] += 1
        return int(k) if _SEEN[path] % 2 == 1 else None
    return None


async def handle(request: web.Request) -> web.StreamResponse:
    """Serve one scenario."""
    m = request.match_info
    chunks, size = int(m["chunks"]), int(m["size"])
    first_ms, delay_ms, fault = int(m["first"]), int(m["delay"]), m["fault"]
    await request.read()
    if fault.startswith("500"):
        return web.json_response(
            {"error": {"message": "bench 500", "type": "server_error"}}, status=500
        )
    if fault.startswith("429"):
        after = fault.partition("-")[2] or "0"
        return web.json_response(
            {"error": {"message": "bench 429", "type": "rate_limit"}},
            status=429,
            headers={"Retry-After": after},
        )
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    if fault == "stall":
        await asyncio.Event().wait()
    if first_ms:
        await asyncio.sleep(first_ms / 1000)
    delay = delay_ms / 1000
    cut = _cut_after(fault, request.path)
    try:
        for i, event in enumerate(stream_events(chunks, size)):
            if cut is not None and i > cut:  # the preamble, then ``cut`` deltas
                assert request.transport is not None
                request.transport.close()
                return resp
            await resp.write(event)
            if delay:
                await asyncio.sleep(delay)
        await resp.write_eof()
    except ConnectionResetError:  # the client left (held streams, cancelled benchmarks)
        pass
    return resp


def make_app() -> web.Application:
    """The upstream application."""
    app = web.Application()
    app.router.add_post("/s/{chunks}/{size}/{first}/{delay}/{fault}/v1/chat/completions", handle)
    return app


async def _main(host: str, port: int) -> None:
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=8192)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"PORT {bound}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Command line: ``--host``, ``--port`` (0 picks a free one)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    try:
        asyncio.run(_main(a.host, a.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
