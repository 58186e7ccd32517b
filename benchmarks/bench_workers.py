"""The gateway on one and on two worker processes (``llm-router serve --workers N``),
against the same upstream reached directly: the same load, rounds interleaved
(direct, 1 worker, 2 workers, direct …), medians over rounds.

    .venv/bin/python benchmarks/bench_workers.py [--quick]

*Saturating*: 100 concurrent 200-chunk streams as fast as the upstream sends them
(CPU is the limit: throughput). *Paced*: 100 concurrent 50-chunk streams, a chunk
every 10 ms, arriving together (all start at once and restart in waves: added time to
first token when a burst of new requests lands at once). On a 2-core machine the
load client and the upstream compete with the workers for the same cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gateway import interleaved
from _procs import Upstream
from _servers import Gateway

Row = dict[str, Any]


def run(up: Upstream, *, quick: bool) -> list[Row]:
    """Rows for the saturating and the paced load, 1 vs 2 workers vs direct."""
    loads = {
        "100 concurrent, saturating (200 chunks)": (up.base(chunks=200), 600 if quick else 3000),
        "100 concurrent, paced 10 ms/chunk (50 chunks), arriving together": (
            up.base(chunks=50, delay_ms=10),
            300 if quick else 1500,
        ),
    }
    rows: list[Row] = []
    for case, (base, total) in loads.items():
        gws = {n: Gateway(base, workers=n) for n in (1, 2)}
        try:
            urls = {"direct": base + "/chat/completions"}
            urls |= {f"{n} worker{'s' if n > 1 else ''}": gw.url for n, gw in gws.items()}
            res = interleaved(urls, 100, total, rounds=3 if quick else 5)
        finally:
            for gw in gws.values():
                gw.close()
        direct = res["direct"]
        for name, m in res.items():
            rows.append(
                {
                    "section": "gateway workers",
                    "case": f"{case}, {name}",
                    "streams_per_s": round(m["streams_per_s"], 1),
                    "of_direct": round(m["streams_per_s"] / direct["streams_per_s"], 3),
                    "ttft_p50_ms": round(m["ttft_p50_ms"], 2),
                    "added_ttft_p50_ms": round(m["ttft_p50_ms"] - direct["ttft_p50_ms"], 2),
                }
            )
        one, two = res["1 worker"], res["2 workers"]
        rows.append(
            {
                "section": "gateway workers",
                "case": f"{case}: 2 workers / 1 worker",
                "streams_per_s": round(two["streams_per_s"] / one["streams_per_s"], 3),
            }
        )
    return rows


def main() -> int:
    """Command line: print the rows as JSON lines."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="fewer streams and rounds")
    quick = p.parse_args().quick
    up = Upstream()
    try:
        for row in run(up, quick=quick):
            print(json.dumps(row))
    finally:
        up.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
