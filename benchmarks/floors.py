"""What any relay adds on this machine: the gateway beside three floors, in one run.

    .venv/bin/python benchmarks/floors.py [--rounds 3] [--load one|paced|together|saturating]

Targets, rounds interleaved (direct, then each relay in turn, round after round)
against the same loopback upstream (``upstream.py``):

- straight to upstream;
- nginx (``proxy_pass`` to a keep-alive upstream pool, buffering off), when ``nginx`` is
  on ``PATH`` (Debian: ``apt-get install nginx-light``): a compiled proxy;
- the asyncio relay (``relay_asyncio.py``): Python, no aiohttp, no task per request;
- the aiohttp relay (``relay.py``): the gateway's floor in ``run.py``;
- ``llm-router serve`` (one worker).

Loads: one stream at a time (5 chunks, 10 ms apart); 100 concurrent paced streams (50
chunks, 10 ms apart) with steady arrivals (``paced``: their starts spread over one
stream's length) and arriving together (``together``: in waves of 100 new requests);
100 concurrent saturating streams (200 chunks, as fast as the upstream sends). Per
target: added time to first token (p50, against direct), streams/s and the server's
CPU per stream (``/proc``). Prints Markdown.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gateway import PACED_RAMP_S
from _procs import HERE, Upstream, free_port
from _servers import Gateway, Relay, Server, _wait_ready
from ab import Spec, interleave

LOADS: dict[str, Spec] = {
    "one": (5, 10, 1, 100, 0.0),
    "paced": (50, 10, 100, 300, PACED_RAMP_S),
    "together": (50, 10, 100, 300, 0.0),
    "saturating": (200, 0, 100, 600, 0.0),
}
"""name: ``ab.Spec`` (chunks, delay_ms, concurrency, streams per round, ramp)"""

NGINX = """master_process off;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  upstream up {{ server 127.0.0.1:{up_port}; keepalive 256; }}
  server {{
    listen 127.0.0.1:{port};
    location = /readyz {{ return 200 "ok"; }}
    location = /v1/chat/completions {{
      proxy_pass http://up{up_path};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }}
  }}
}}
"""


class AsyncioRelay(Server):
    """``relay_asyncio.py``: the relay without aiohttp."""

    def __init__(self, base: str) -> None:
        cmd = [sys.executable, str(HERE / "relay_asyncio.py"), "--upstream"]
        super().__init__([*cmd, base + "/chat/completions", "--port", "{port}"], "/readyz")


class Nginx(Server):
    """nginx as a reverse proxy in one process (no master: its CPU is the one counted),
    on a configuration of its own."""

    def __init__(self, base: str, binary: str) -> None:
        self.dir = tempfile.TemporaryDirectory()
        up = urlsplit(base)
        self.port = free_port()
        conf = Path(self.dir.name) / "nginx.conf"
        conf.write_text(
            NGINX.format(
                dir=self.dir.name,
                up_port=up.port,
                up_path=up.path + "/chat/completions",
                port=self.port,
            )
        )
        cmd = [binary, "-p", self.dir.name, "-c", str(conf), "-e", f"{self.dir.name}/error.log"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_ready(f"http://127.0.0.1:{self.port}/readyz", self.proc)
        self.url = f"http://127.0.0.1:{self.port}/v1/chat/completions"

    def close(self) -> None:
        """Stop nginx."""
        super().close()
        self.dir.cleanup()


def targets(base: str) -> dict[str, Server]:
    """The servers of one load, nginx first when installed."""
    out: dict[str, Server] = {}
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary:
        out["nginx (compiled)"] = Nginx(base, binary)
    out["asyncio relay (no aiohttp)"] = AsyncioRelay(base)
    out["aiohttp relay"] = Relay(base)
    out["llm_router gateway"] = Gateway(base)
    return out


def one_load(up: Upstream, spec: Spec, rounds: int) -> Any:
    """Interleaved rounds of one load: per target the medians."""
    base = up.base(chunks=spec[0], delay_ms=spec[1])
    return interleave(base, targets(base), spec, rounds)


def main() -> None:
    """Command line: ``--rounds N``, ``--load NAME`` (repeatable; default all)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--load", action="append", choices=list(LOADS))
    a = p.parse_args()
    up = Upstream()
    try:
        print(f"medians of {a.rounds} interleaved rounds\n")
        print("| load | target | added TTFT p50 | streams/s (of direct) | CPU per stream |")
        print("|---|---|---|---|---|")
        for name in a.load or list(LOADS):
            res = one_load(up, LOADS[name], a.rounds)
            direct = res.pop("direct")
            for target, m in res.items():
                added = m["ttft_p50_ms"] - direct["ttft_p50_ms"]
                share = m["streams_per_s"] / direct["streams_per_s"]
                print(
                    f"| {name} | {target} | {added:.2f} ms | {m['streams_per_s']:.1f} "
                    f"({share:.2f}) | {m['cpu_ms']:.3f} ms |",
                    flush=True,
                )
    finally:
        up.close()


if __name__ == "__main__":
    main()
