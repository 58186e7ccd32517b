"""Gateway benchmarks: added time to first token (one request at a time, 100 paced
streams, saturation), throughput vs going straight to the upstream, instructions per
stream vs a bare relay, memory per open stream, and the LiteLLM proxy on the same load.

Direct and via-gateway runs alternate round by round (drift on a shared machine then
hits both sides); figures are medians over rounds. No process is pinned to a core.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _instr import ServerCounter, unavailable
from _procs import HERE, Upstream, hwm_kib, rss_kib
from _servers import Gateway, LiteLLMProxy, Relay

Row = dict[str, Any]

PACED_RAMP_S = 0.5
"""Steady arrivals: the first paced streams start spread over this many seconds, the
length of one paced stream (50 chunks, 10 ms apart), so their later restarts stay
spread too."""


def load(
    url: str, concurrency: int, total: int, bearer: str = "", ramp: float = 0.0
) -> dict[str, float]:
    """Run ``benchmarks/load.py`` in its own process; its JSON result. ``ramp``: the
    first streams start spread over that many seconds (steady arrivals), not at once."""
    cmd = [sys.executable, str(HERE / "load.py"), "--url", url]
    cmd += ["--concurrency", str(concurrency), "--total", str(total), "--ramp", str(ramp)]
    if bearer:
        cmd += ["--bearer", bearer]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def interleaved(
    urls: dict[str, str], conc: int, total: int, rounds: int = 3, ramp: float = 0.0
) -> dict[str, dict[str, float]]:
    """Each URL in alternating rounds of ``total // rounds`` streams; medians per URL."""
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in urls}
    for _ in range(rounds):
        for k, url in urls.items():
            runs[k].append(load(url, conc, max(conc, total // rounds), ramp=ramp))
    return {k: {m: statistics.median(r[m] for r in rs) for m in rs[0]} for k, rs in runs.items()}


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


def _trio(name: str, res: dict[str, dict[str, float]], instr: dict[str, str]) -> list[Row]:
    direct = res["direct"]
    rows = [_row(f"llm_router gateway, {name}", res["via"], direct)]
    rows[0]["gateway_instr_per_stream"] = instr.get(
        "saturating" if "saturating" in name else "paced", "n/a"
    )
    rows.append(_row(f"bare aiohttp relay (floor), {name}", res["relay"], direct))
    rows.append(_row(f"straight to upstream, {name}", direct, direct))
    return rows


def _urls(base: str, gw: Gateway, relay: Relay) -> dict[str, str]:
    return {"direct": base + "/chat/completions", "via": gw.url, "relay": relay.url}


def throughput(
    up: Upstream,
    *,
    levels: tuple[tuple[int, int], ...],
    paced: tuple[int, int],
    single: int,
    litellm_python: Path | None,
    instr: dict[str, str],
    workers: int = 1,
) -> list[Row]:
    """Added TTFT and throughput, direct vs via the gateway.

    *One at a time*: one paced stream after another (what a lone user sees).
    *Paced*: LLM-like streams (a chunk every 10 ms) at ``paced`` = (concurrency,
    total), below saturation, twice: with steady arrivals (the first streams' starts
    spread over one stream's length, :data:`PACED_RAMP_S`, so new requests keep
    arriving one by one, as from many independent users) and arriving together (all
    ``concurrency`` streams start at once and, being of one length, end and restart in
    waves: a burst of new requests each time). *Saturating*: the upstream streams as
    fast as it can, so CPU is the limit and TTFT includes queueing — this measures
    throughput.
    """
    base = up.base(chunks=200)
    paced_base = up.base(chunks=50, delay_ms=10)
    single_base = up.base(chunks=5, delay_ms=10)
    gws = {b: Gateway(b, workers=workers) for b in (base, paced_base, single_base)}
    relays = {b: Relay(b) for b in gws}
    tag = f" ({workers} workers)" if workers > 1 else ""
    rows: list[Row] = [
        {"section": "gateway", "case": "ready after start" + tag,
         "value": f"{gws[base].ready_s * 1e3:.0f} ms"},
    ]  # fmt: skip
    proxy: LiteLLMProxy | None = None
    try:
        urls = _urls(single_base, gws[single_base], relays[single_base])
        res = interleaved(urls, 1, single)
        rows += _trio(f"one at a time, paced 10 ms/chunk{tag}", res, instr)
        conc, total = paced
        urls = _urls(paced_base, gws[paced_base], relays[paced_base])
        res = interleaved(urls, conc, total, ramp=PACED_RAMP_S)
        rows += _trio(f"{conc} concurrent, paced 10 ms/chunk, steady arrivals{tag}", res, instr)
        res = interleaved(urls, conc, total)
        rows += _trio(f"{conc} concurrent, paced 10 ms/chunk, arriving together{tag}", res, instr)
        for conc, total in levels:
            res = interleaved(_urls(base, gws[base], relays[base]), conc, total)
            rows += _trio(f"{conc} concurrent, saturating{tag}", res, instr)
        rows.append(
            {
                "section": "gateway",
                "case": "gateway peak RSS (throughput runs)" + tag,
                "value": f"{hwm_kib(gws[base].proc.pid) / 1024:.1f} MiB",
            }
        )
        if litellm_python is not None and workers == 1:
            proxy = LiteLLMProxy(litellm_python, base)
            conc, total = levels[0]
            direct = load(base + "/chat/completions", conc, total)
            via = load(proxy.url, conc, min(total, 300), bearer=proxy.key)
            rows.append(_row(f"LiteLLM proxy, {conc} concurrent, saturating", via, direct))
        elif workers == 1:
            rows.append(
                {
                    "section": "gateway",
                    "case": "LiteLLM proxy",
                    "value": "not run (litellm not installed; run without --quick)",
                }
            )
    finally:
        for server in (*gws.values(), *relays.values()):
            server.close()
        if proxy is not None:
            proxy.close()
    return rows


def instructions(up: Upstream, *, quick: bool) -> tuple[list[Row], dict[str, str]]:
    """Gateway vs bare relay instructions per stream, each server under callgrind:
    saturating 200-chunk streams (10 concurrent) and paced 50-chunk streams (4
    concurrent, so every event arrives alone). Rows, and per-case labels for the
    timed rows."""
    why = unavailable()
    if why is not None:
        return [{"section": "gateway instructions", "case": "all", "value": f"n/a ({why})"}], {}
    n = 4 if quick else 20
    loads = {
        "saturating, 200 chunks": (up.base(chunks=200), 10, n),
        "paced 10 ms/chunk, 50 chunks": (up.base(chunks=50, delay_ms=10), 4, max(4, n // 2)),
    }
    rows: list[Row] = []
    labels: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case, (base, conc, total) in loads.items():
            counts: dict[str, float] = {}
            for name, cls in (("relay", Relay), ("gateway", Gateway)):
                counter = ServerCounter(Path(tmp) / name / case.split(",")[0])
                counter.out.parent.mkdir(parents=True, exist_ok=True)
                server = cls(base, counter=counter)
                try:
                    load(server.url, conc, conc)  # warm-up, uncounted
                    counter.on()
                    load(server.url, conc, total)  # counts its own warm-up stream too
                    counts[name] = counter.take() / (total + 1)
                finally:
                    server.close()
            ratio = counts["gateway"] / counts["relay"]
            rows.append(
                {
                    "section": "gateway instructions",
                    "case": case,
                    "relay_instr_per_stream": round(counts["relay"]),
                    "gateway_instr_per_stream": round(counts["gateway"]),
                    "x_relay": round(ratio, 3),
                }
            )
            label = f"{counts['gateway'] / 1e6:.2f} M ({ratio:.2f}x relay)"
            labels["saturating" if case.startswith("sat") else "paced"] = label
    return rows, labels


def memory_per_stream(up: Upstream, *, streams: int) -> list[Row]:
    """Hold ``streams`` slow streams open through the gateway; RSS growth per stream."""
    gw = Gateway(up.base(chunks=600, delay_ms=1000))
    try:
        _hold(gw.url, 50)  # warm up: imports, pools, first allocations
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


def _hold(url: str, streams: int, pid: int | None = None) -> int:
    """Hold ``streams`` open through ``url``; the RSS (KiB) of ``pid`` while they are."""
    client = subprocess.Popen(
        [sys.executable, str(HERE / "load.py"), "--url", url, "--hold", str(streams)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None and client.stdin is not None
    line = client.stdout.readline()
    if line.strip() != "HELD":
        client.kill()
        raise RuntimeError(f"hold client failed: {line!r}")
    during = rss_kib(pid) if pid else 0
    client.stdin.write("\n")
    client.stdin.flush()
    client.wait(120)
    return during
