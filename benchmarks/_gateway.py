"""Gateway benchmarks: throughput and added TTFT vs going straight to the upstream,
memory per open stream, start-up time, and the same load through the LiteLLM proxy."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _procs import HERE, Upstream, free_port, hwm_kib, pinned, rss_kib

Row = dict[str, Any]
GATEWAY_CORE, CLIENT_CORE = 1, 0

POLICY = """version: 1
providers:
  up:
    type: openai_compatible
    base_url: {base}
    model: bench-model
    timeouts: {{first_token: 120, idle: 120, total: 600}}
routes:
  default: [up]
server:
  host: 127.0.0.1
  port: {port}
logging:
  level: warning
  json: true
"""


def _wait_ready(url: str, proc: subprocess.Popen[Any], limit: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url}: not ready after {limit}s")


class Gateway:
    """``llm-router serve`` in its own process, pinned to its own core."""

    def __init__(self, base: str) -> None:
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory()
        policy = Path(self.dir.name) / "bench.yaml"
        policy.write_text(POLICY.format(base=base, port=self.port))
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            pinned(
                [
                    sys.executable,
                    "-m",
                    "llm_router.cli.main",
                    "serve",
                    "--policy",
                    str(policy),
                    "--port",
                    str(self.port),
                ],
                GATEWAY_CORE,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ready_s = _wait_ready(f"http://127.0.0.1:{self.port}/readyz", self.proc)
        self.ready_s = time.perf_counter() - started
        self.url = f"http://127.0.0.1:{self.port}/v1/chat/completions"

    def close(self) -> None:
        """Stop the gateway (SIGTERM, then kill)."""
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


class LiteLLMProxy:
    """The LiteLLM proxy from the benchmark's own virtualenv, with a fresh master key."""

    def __init__(self, python: Path, base: str) -> None:
        self.port = free_port()
        self.key = "sk-bench-" + os.urandom(8).hex()
        self.dir = tempfile.TemporaryDirectory()
        cfg = Path(self.dir.name) / "litellm.yaml"
        cfg.write_text(
            "model_list:\n  - model_name: auto\n    litellm_params:\n"
            f"      model: openai/bench-model\n      api_base: {base}\n      api_key: sk-x\n"
        )
        env = dict(
            os.environ,
            LITELLM_MASTER_KEY=self.key,
            LITELLM_LOG="ERROR",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
        )
        exe = str(Path(python).parent / "litellm")
        self.proc = subprocess.Popen(
            pinned(
                [
                    exe,
                    "--config",
                    str(cfg),
                    "--port",
                    str(self.port),
                    "--host",
                    "127.0.0.1",
                    "--num_workers",
                    "1",
                ],
                GATEWAY_CORE,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.ready_s = _wait_ready(
            f"http://127.0.0.1:{self.port}/health/liveliness", self.proc, limit=120
        )
        self.url = f"http://127.0.0.1:{self.port}/v1/chat/completions"

    def close(self) -> None:
        """Stop the proxy."""
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


def load(url: str, concurrency: int, total: int, bearer: str = "") -> dict[str, float]:
    """Run ``benchmarks/load.py`` in its own process, pinned to the client core."""
    cmd = [
        sys.executable,
        str(HERE / "load.py"),
        "--url",
        url,
        "--concurrency",
        str(concurrency),
        "--total",
        str(total),
    ]
    if bearer:
        cmd += ["--bearer", bearer]
    out = subprocess.run(
        pinned(cmd, CLIENT_CORE), capture_output=True, text=True, check=True, timeout=900
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def throughput(
    up: Upstream,
    *,
    levels: tuple[tuple[int, int], ...],
    paced: tuple[int, int],
    litellm_python: Path | None,
    chunks: int = 200,
) -> list[Row]:
    """Streams/s, events/s and TTFT p50/p99: direct, via our gateway, via LiteLLM's proxy.

    Two loads. *Saturating*: the upstream streams as fast as it can, so the gateway's
    CPU is the limit and TTFT includes queueing behind other streams — this measures
    throughput. *Paced*: LLM-like streams (a chunk every 10 ms) at ``paced`` =
    (concurrency, total), below saturation — this measures the time to first token the
    gateway adds to a request, which is what a user waits for.
    """
    base = up.base(chunks=chunks)
    paced_base = up.base(chunks=50, delay_ms=10)
    gw = Gateway(base)
    paced_gw = Gateway(paced_base)
    rows: list[Row] = [
        {"section": "gateway", "case": "ready after start", "value": f"{gw.ready_s * 1e3:.0f} ms"}
    ]
    proxy: LiteLLMProxy | None = None
    try:
        for conc, total in levels:
            direct = load(base + "/chat/completions", conc, total)
            via = load(gw.url, conc, total)
            rows.append(_row(f"llm_router gateway, {conc} concurrent, saturating", via, direct))
            rows.append(
                _row(f"straight to upstream, {conc} concurrent, saturating", direct, direct)
            )
        conc, total = paced
        direct, via = _interleaved(paced_base + "/chat/completions", paced_gw.url, conc, total)
        rows.append(_row(f"llm_router gateway, {conc} concurrent, paced 10 ms/chunk", via, direct))
        rows.append(_row(f"straight to upstream, {conc} concurrent, paced", direct, direct))
        rows.append(
            {
                "section": "gateway",
                "case": "gateway peak RSS (throughput runs)",
                "value": f"{hwm_kib(gw.proc.pid) / 1024:.1f} MiB",
            }
        )
        if litellm_python is not None:
            proxy = LiteLLMProxy(litellm_python, base)
            conc, total = levels[0]
            direct = load(base + "/chat/completions", conc, total)
            via = load(proxy.url, conc, min(total, 300), bearer=proxy.key)
            rows.append(_row(f"LiteLLM proxy, {conc} concurrent, saturating", via, direct))
        else:
            rows.append(
                {
                    "section": "gateway",
                    "case": "LiteLLM proxy",
                    "value": "not run (litellm not installed; run without --quick)",
                }
            )
    finally:
        gw.close()
        paced_gw.close()
        if proxy is not None:
            proxy.close()
    return rows


def _interleaved(
    direct_url: str, via_url: str, conc: int, total: int, rounds: int = 3
) -> tuple[dict[str, float], dict[str, float]]:
    """Direct and via the gateway in alternating rounds; the median of each figure.

    Latency under load drifts with whatever else the machine does; alternating
    rounds spreads that drift over both sides instead of biasing one."""
    runs: dict[str, list[dict[str, float]]] = {"direct": [], "via": []}
    for _ in range(rounds):
        runs["direct"].append(load(direct_url, conc, max(conc, total // rounds)))
        runs["via"].append(load(via_url, conc, max(conc, total // rounds)))

    def median(side: str) -> dict[str, float]:
        keys = runs[side][0]
        return {k: statistics.median(r[k] for r in runs[side]) for k in keys}

    return median("direct"), median("via")


def _row(case: str, m: dict[str, float], direct: dict[str, float]) -> Row:
    return {
        "section": "gateway",
        "case": case,
        "streams_per_s": round(m["streams_per_s"], 1),
        "events_per_s": round(m["events_per_s"]),
        "ttft_p50_ms": round(m["ttft_p50_ms"], 2),
        "ttft_p99_ms": round(m["ttft_p99_ms"], 2),
        "added_ttft_p50_ms": round(m["ttft_p50_ms"] - direct["ttft_p50_ms"], 2),
        "added_ttft_p99_ms": round(m["ttft_p99_ms"] - direct["ttft_p99_ms"], 2),
        "fraction_of_direct": round(m["streams_per_s"] / direct["streams_per_s"], 3),
    }


def _hold(url: str, streams: int, pid: int) -> int:
    """Hold ``streams`` open through ``url``; the gateway's RSS (KiB) while they are open."""
    client = subprocess.Popen(
        pinned(
            [sys.executable, str(HERE / "load.py"), "--url", url, "--hold", str(streams)],
            CLIENT_CORE,
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None and client.stdin is not None
    line = client.stdout.readline()
    if line.strip() != "HELD":
        client.kill()
        raise RuntimeError(f"hold client failed: {line!r}")
    during = rss_kib(pid)
    client.stdin.write("\n")
    client.stdin.flush()
    client.wait(120)
    return during


def memory_per_stream(up: Upstream, *, streams: int) -> list[Row]:
    """Hold ``streams`` slow streams open through the gateway; RSS growth per stream."""
    gw = Gateway(up.base(chunks=600, delay_ms=1000))
    try:
        _hold(gw.url, 50, gw.proc.pid)  # warm up: imports, pools, first allocations
        time.sleep(0.5)
        before = rss_kib(gw.proc.pid)
        during = _hold(gw.url, streams, gw.proc.pid)
    finally:
        gw.close()
    per = (during - before) / streams
    return [
        {
            "section": "gateway",
            "case": f"memory per open stream ({streams} held)",
            "value": f"{per:.1f} KiB",
            "rss_before_mib": round(before / 1024, 1),
            "rss_during_mib": round(during / 1024, 1),
        }
    ]
