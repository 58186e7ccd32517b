"""Run every benchmark of docs/DESIGN.md §9 in one go; print Markdown, write JSON.

    .venv/bin/python benchmarks/run.py            # full run (installs LiteLLM into
                                                  # benchmarks/.venv-litellm on first use)
    .venv/bin/python benchmarks/run.py --quick    # smoke run, under a minute

Timings are medians of interleaved rounds (A B C A B C …) with the spread (min-max)
as the machine-noise figure; compare ratios, not absolute times. Beside them,
instruction counts under callgrind (start-up excluded; ``_instr.py``), which a loaded
machine barely moves: the figures to compare between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _gateway
import _lib
from _procs import HERE, Upstream, ensure_litellm

Row = dict[str, Any]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def ceiling(up: Upstream, quick: bool) -> list[Row]:
    """The upstream measured alone, so it is known never to be the bottleneck."""
    m = _gateway.load(up.url(), 50, 100 if quick else 1000)
    return [
        {
            "section": "upstream ceiling",
            "case": "bare client, 50 concurrent",
            "streams_per_s": round(m["streams_per_s"], 1),
            "events_per_s": round(m["events_per_s"]),
        }
    ]


def detection(quick: bool) -> list[Row]:
    """Task detection µs per request (benchmarks/bench_detect.py)."""
    import bench_detect

    return [dict(r, section="task detection") for r in bench_detect.run(quick=quick)]


def workers(up: Upstream) -> list[Row]:
    """The gateway on 1 vs 2 worker processes (benchmarks/bench_workers.py)."""
    import bench_workers

    return bench_workers.run(up, quick=False)


def breaker(quick: bool) -> list[Row]:
    """Breaker propagation delay across processes and per-request cost."""
    import bench_breaker

    return [dict(r, section="breaker") for r in bench_breaker.run(quick=quick)]


def markdown(rows: list[Row]) -> str:
    """One Markdown table per section."""
    out: list[str] = []
    sections: dict[str, list[Row]] = {}
    for r in rows:
        sections.setdefault(str(r["section"]), []).append(r)
    for name, group in sections.items():
        cols: list[str] = []
        for r in group:
            cols += [k for k in r if k != "section" and k not in cols]
        out.append(f"\n### {name}\n")
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "---|" * len(cols))
        for r in group:
            out.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: small N, under a minute")
    p.add_argument("--no-litellm", action="store_true", help="leave the LiteLLM rows out")
    p.add_argument("--out", type=Path, default=HERE / "results", help="JSON output folder")
    a = p.parse_args(argv)
    quick = a.quick
    lite = None
    if not a.no_litellm:
        py = HERE / ".venv-litellm" / "bin" / "python"
        lite = (py if py.exists() else None) if quick else ensure_litellm()
    up = Upstream()
    rows: list[Row] = []
    try:
        rows += ceiling(up, quick)
        instr, why = _lib.count(up, quick)
        rows += asyncio.run(
            _lib.library_overhead(
                up,
                streams=10 if quick else 50,
                rounds=3 if quick else 9,
                litellm_python=lite,
                instr=instr,
                why=why,
            )
        )
        runs = 3 if quick else 20
        rows += asyncio.run(_lib.failover(up, runs=runs, instr=instr, why=why))
        rows += asyncio.run(_lib.rescue(up, runs=runs, instr=instr, why=why))
        gw_rows, gw_instr = _gateway.instructions(up, quick=quick)
        levels = ((100, 200),) if quick else ((100, 2000), (1000, 4000))
        rows += _gateway.throughput(
            up,
            levels=levels,
            paced=(100, 300) if quick else (100, 1500),
            single=30 if quick else 150,
            litellm_python=lite,
            instr=gw_instr,
        )
        rows += gw_rows
        if not quick:  # minutes: run by hand with benchmarks/bench_workers.py --quick
            rows += workers(up)
        rows += _gateway.memory_per_stream(up, streams=300 if quick else 5000)
        rows += detection(quick)
        rows += breaker(quick)
    finally:
        up.close()
    info = machine()
    print(
        f"Measured {info['date']} on {info['cores']} cores, Python {info['python']}"
        f" ({info['platform']}){' — quick mode' if quick else ''}"
    )
    print(markdown(rows))
    a.out.mkdir(parents=True, exist_ok=True)
    doc = {"machine": info, "quick": quick, "rows": rows}
    name = "quick.json" if quick else "latest.json"
    (a.out / name).write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
