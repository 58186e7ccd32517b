"""How soon the upstream is told when a gateway client leaves mid-stream.

    .venv/bin/python benchmarks/bench_cancel.py [--probes 40]

A probe client (a raw socket) asks the gateway for a stream, reads until its first
word and closes the connection. The probe's upstream (``_Noting``, its own process)
streams a word every 10 ms until its client leaves and notes ``time.monotonic()`` when
it sees it go (its handler is cancelled, or a write fails). Delay = the upstream's
time minus the probe's at ``close()`` (CLOCK_MONOTONIC is system-wide on Linux, so
the two are comparable). Measured with the gateway otherwise idle, and under 100
saturating streams (``load.py``, 200-chunk streams from ``upstream.py``) through the
same gateway process. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _procs import HERE, Upstream, free_port
from _servers import _wait_ready

NOTING = r"""
import asyncio, json, time
from aiohttp import web
seen = []
def event(delta):
    chunk = {"id": "c", "object": "chat.completion.chunk", "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"
async def chat(request):
    await request.read()
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    try:
        await resp.write(event({"role": "assistant", "content": ""}))
        while True:
            await resp.write(event({"content": "word "}))
            await asyncio.sleep(0.01)
    except (asyncio.CancelledError, ConnectionResetError):
        seen.append(time.monotonic())
        raise
async def noted(request):
    return web.json_response(seen)
async def main():
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/noted", noted)
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print("PORT", runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
"""The probe's upstream (run with ``python -c``)."""

POLICY = """version: 1
providers:
  busy: {{type: openai_compatible, base_url: "{busy}", model: m, timeouts: {{total: 600}}}}
  noting: {{type: openai_compatible, base_url: "{noting}", model: m, timeouts: {{total: 600}}}}
routes:
  default: [busy]
  probe: [noting]
server: {{host: 127.0.0.1, port: {port}}}
logging: {{level: warning, json: true}}
"""


def probe(port: int) -> float:
    """One probe stream through the gateway; the monotonic time of its ``close()``."""
    body = json.dumps(
        {"model": "probe", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    )
    head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    request = f"{head}Content-Length: {len(body)}\r\n\r\n{body}".encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        got = b""
        while b"word" not in got:
            data = sock.recv(65536)
            if not data:
                raise RuntimeError("the gateway closed the probe's stream")
            got += data
        left = time.monotonic()
    return left


def noted(port: int) -> list[float]:
    """The times the probe upstream saw its clients leave."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/noted") as r:
        return [float(t) for t in json.loads(r.read())]


def measure(gateway: int, noting: int, probes: int, load_url: str | None) -> list[float]:
    """Delays (ms) for ``probes`` probes, under ``load.py`` on ``load_url`` if given."""
    before = len(noted(noting))
    load = None
    if load_url is not None:
        cmd = [sys.executable, str(HERE / "load.py"), "--url", load_url]
        load = subprocess.Popen(
            [*cmd, "--concurrency", "100", "--total", "10000000"], stdout=subprocess.DEVNULL
        )
        time.sleep(2)  # the load's 100 streams are running
    try:
        closes = []
        for _ in range(probes):
            closes.append(probe(gateway))
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while len(noted(noting)) - before < probes and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if load is not None:
            load.kill()
            load.wait()
    seen = noted(noting)[before:]
    if len(seen) != probes:
        raise RuntimeError(f"the upstream saw {len(seen)} of {probes} clients leave")
    return sorted((s - c) * 1e3 for c, s in zip(closes, seen, strict=True))


def main() -> None:
    """Command line: ``--probes N``."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--probes", type=int, default=40)
    a = p.parse_args()
    busy = Upstream()
    noting_proc = subprocess.Popen(
        [sys.executable, "-c", NOTING], stdout=subprocess.PIPE, text=True
    )
    assert noting_proc.stdout is not None
    noting = int(noting_proc.stdout.readline().split()[1])
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "cancel.yaml"
        policy.write_text(
            POLICY.format(
                busy=busy.base(chunks=200), noting=f"http://127.0.0.1:{noting}/v1", port=port
            )
        )
        cmd = [sys.executable, "-m", "llm_router.cli.main", "serve", "--policy", str(policy)]
        gateway = subprocess.Popen(
            [*cmd, "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}/readyz", gateway)
            url = f"http://127.0.0.1:{port}/v1/chat/completions"
            print("| gateway | client leaves → upstream sees it, p50 | p90 | max |")
            print("|---|---|---|---|")
            for name, load_url in (("otherwise idle", None), ("100 saturating streams", url)):
                ms = measure(port, noting, a.probes, load_url)
                p90 = ms[int(len(ms) * 0.9)]
                print(
                    f"| {name} | {statistics.median(ms):.2f} ms | {p90:.2f} ms | {ms[-1]:.2f} ms |",
                    flush=True,
                )
        finally:
            gateway.terminate()
            gateway.wait(15)
            noting_proc.terminate()
            noting_proc.wait(5)
            noting_proc.stdout.close()
            busy.close()


if __name__ == "__main__":
    main()
