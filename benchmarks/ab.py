"""A/B a gateway change: the gateway of a base commit and of the working tree, side by
side in one run, against the same upstream, with the bare relay and the upstream
reached directly beside them.

    .venv/bin/python benchmarks/ab.py --base COMMIT [--rounds 3] [--instructions] [--load L]

The base commit's ``llm_router`` is exported (``git archive``) to a temporary directory
and served from there (``_tree.py``: the editable install would otherwise run today's
code for both). For each load the four targets take turns round by round (direct, A,
B, relay, direct …), so drift on a shared machine hits all of them; each figure is the
median over rounds. Per target: added time to first token, streams/s, and the server's
CPU time per stream from ``/proc`` (user + system, whole process). With
``--instructions`` each gateway is also counted under callgrind, per stream, like
``run.py``'s gateway rows. Loads: one stream at a time (5 chunks, 10 ms apart), 100
paced streams (50 chunks, 10 ms apart) with steady arrivals and arriving together
(``_gateway.throughput``), 100 saturating streams (200 chunks).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gateway import PACED_RAMP_S, load
from _instr import ServerCounter, unavailable
from _procs import ROOT, Upstream
from _servers import Gateway, Relay, Server

Spec = tuple[int, int, int, int, float]
"""A load: chunks, delay_ms, concurrency, streams per round, ramp (seconds over which
the first streams' starts are spread; 0: all at once)."""

LOADS: dict[str, Spec] = {
    "one at a time, 5 chunks 10 ms apart": (5, 10, 1, 100, 0.0),
    "100 concurrent, paced, 50 chunks 10 ms apart, steady arrivals": (
        50, 10, 100, 300, PACED_RAMP_S
    ),
    "100 concurrent, paced, arriving together": (50, 10, 100, 300, 0.0),
    "100 concurrent, saturating, 200 chunks": (200, 0, 100, 600, 0.0),
}  # fmt: skip


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def export(commit: str, into: Path) -> Path:
    """``commit``'s ``llm_router`` package, exported under ``into``; the tree's root."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "llm_router"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def interleave(base: str, servers: dict[str, Server], spec: Spec, rounds: int) -> Any:
    """Rounds of ``spec``'s load, straight to ``base`` and through each server in turn
    (closed after); per target the medians, with the server's CPU per stream."""
    _, _, conc, total, ramp = spec
    runs: dict[str, list[dict[str, float]]] = {"direct": [], **{k: [] for k in servers}}
    try:
        for server in servers.values():
            load(server.url, conc, conc)  # warm-up
        for _ in range(rounds):
            runs["direct"].append(load(base + "/chat/completions", conc, total, ramp=ramp))
            for name, server in servers.items():
                before = cpu_s(server.proc.pid)
                result = load(server.url, conc, total, ramp=ramp)
                result["cpu_ms"] = (cpu_s(server.proc.pid) - before) / total * 1e3
                runs[name].append(result)
    finally:
        for server in servers.values():
            server.close()
    return {
        name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()
    }


def one_load(up: Upstream, tree: Path, spec: Spec, rounds: int) -> Any:
    """Interleaved rounds of one load; per target the medians."""
    base = up.base(chunks=spec[0], delay_ms=spec[1])
    servers: dict[str, Server] = {
        "A (base)": Gateway(base, tree=tree),
        "B (working tree)": Gateway(base),
        "bare relay": Relay(base),
    }
    return interleave(base, servers, spec, rounds)


def instructions(up: Upstream, tree: Path) -> dict[str, dict[str, float]]:
    """Gateway instructions per stream under callgrind, A and B: paced 50-chunk streams (4
    concurrent), saturating 200-chunk ones and 1-chunk ones (10 concurrent)."""
    loads = {
        "paced 50 chunks": (up.base(chunks=50, delay_ms=10), 4, 10),
        "saturating 200 chunks": (up.base(chunks=200), 10, 20),
        "1 chunk (per request)": (up.base(chunks=1), 10, 40),
    }
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case, (base, conc, total) in loads.items():
            for name, which in (("A (base)", tree), ("B (working tree)", None)):
                counter = ServerCounter(Path(tmp) / f"{len(out)}-{name[0]}")
                counter.out.parent.mkdir(parents=True)
                server = Gateway(base, counter=counter, tree=which)
                try:
                    load(server.url, conc, conc)
                    counter.on()
                    load(server.url, conc, total)
                    out.setdefault(case, {})[name] = counter.take() / (total + 1)
                finally:
                    server.close()
    return out


def main() -> None:
    """Command line: ``--base COMMIT``, ``--rounds N``, ``--instructions``."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--base", required=True, help="the commit to compare the working tree with")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--instructions", action="store_true", help="also count under callgrind")
    p.add_argument(
        "--load", action="append", choices=list(LOADS), help="only these loads (repeatable)"
    )
    a = p.parse_args()
    up = Upstream()
    with tempfile.TemporaryDirectory() as tmp:
        tree = export(a.base, Path(tmp))
        try:
            print(f"A = {a.base} (exported), B = the working tree; medians of {a.rounds} rounds\n")
            print("| load | target | added TTFT p50 | streams/s | CPU per stream |")
            print("|---|---|---|---|---|")
            for case, spec in LOADS.items():
                if a.load and case not in a.load:
                    continue
                res = one_load(up, tree, spec, a.rounds)
                direct = res.pop("direct")
                for name, m in res.items():
                    added = m["ttft_p50_ms"] - direct["ttft_p50_ms"]
                    print(
                        f"| {case} | {name} | {added:.2f} ms | {m['streams_per_s']:.1f} "
                        f"({m['streams_per_s'] / direct['streams_per_s']:.2f} of direct) "
                        f"| {m['cpu_ms']:.3f} ms |"
                    )
            why = unavailable() if a.instructions else "not asked (--instructions)"
            if why is not None:
                print(f"\ninstructions: {why}")
                return
            print("\n| gateway instructions per stream | A (base) | B (working tree) | B / A |")
            print("|---|---|---|---|")
            for case, counts in instructions(up, tree).items():
                ratio = counts["B (working tree)"] / counts["A (base)"]
                print(
                    f"| {case} | {counts['A (base)'] / 1e6:.2f} M "
                    f"| {counts['B (working tree)'] / 1e6:.2f} M | {ratio:.3f} |"
                )
        finally:
            up.close()


if __name__ == "__main__":
    main()
