"""Library benchmarks: per-stream overhead at 20, 200 and 2,000 chunks, failover time to
first token, and stream rescue — each wall-clock figure beside its instruction count.

Wall clock: variants interleaved (A B C D A B C D …), medians over rounds, the spread
as noise. Instructions: the same cases counted under callgrind (``_instr.py``),
start-up excluded; those are the figures to compare on a loaded machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import _cases
import _instr
from _cases import FAILOVER, RESCUE, VARIANTS
from _procs import HERE, Upstream

from llm_router.observe.logs import configure_logging

Row = dict[str, Any]
CHUNKS = (20, 200, 2000)


class _LiteLLM:
    """A LiteLLM worker process in the benchmark's own virtualenv."""

    def __init__(self, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), str(HERE / "litellm_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.version = json.loads(self.proc.stdout.readline()).get("version", "?")

    def run(self, base: str, n: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"url": base, "n": n}) + "\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline())["seconds"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def _streams(chunks: int, streams: int) -> int:
    """Streams per timed round: about the same bytes per round at every size."""
    return max(2, streams * 200 // chunks)


def count(up: Upstream, quick: bool) -> tuple[dict[str, float], str | None]:
    """Instructions per unit of every library case (empty, with why, without valgrind)."""
    why = _instr.unavailable()
    if why is not None:
        return {}, why
    n = 3 if quick else 10
    cases = [(f"{v}@{c}", 2, max(1, n * 200 // c)) for c in CHUNKS for v in VARIANTS]
    cases += [(f"failover:{s}", 2, n) for s in (*FAILOVER, "fallback alone")]
    cases += [(f"rescue:{s}", 2, n) for s in (*RESCUE.values(), "fallback alone")]
    return _instr.count_cases(up.port, cases), None


def _instr_cols(
    instr: dict[str, float], key: str, base: str | None, why: str | None, col: str = "instr_x_floor"
) -> Row:
    """The instruction count of ``key`` and its ratio to ``base``'s as column ``col``."""
    if key not in instr:
        return {"instr": f"n/a ({why})" if why else "n/a"}
    row: Row = {"instr": round(instr[key])}
    if base is not None and base in instr:
        row[col] = round(instr[key] / instr[base], 3)
    return row


async def library_overhead(
    up: Upstream,
    *,
    streams: int,
    rounds: int,
    litellm_python: Path | None,
    instr: dict[str, float],
    why: str | None,
) -> list[Row]:
    """Floor vs OpenAIProvider vs full stack (vs LiteLLM at 200), per chunk count."""
    configure_logging(json=True, level="info", stream=open(os.devnull, "w"))  # noqa: SIM115, ASYNC230
    lite = _LiteLLM(litellm_python) if litellm_python else None
    rows: list[Row] = []
    try:
        for chunks in CHUNKS:
            n = _streams(chunks, streams)
            cases = {v: _cases.make(f"{v}@{chunks}", up.port) for v in VARIANTS}
            times: dict[str, list[float]] = {v: [] for v in cases}
            use_lite = lite is not None and chunks == 200
            if use_lite:
                times["LiteLLM"] = []
            for case in cases.values():  # warm up pools, caches, imports
                await case.run()
            for _ in range(rounds):
                for v, case in cases.items():
                    t = time.perf_counter()
                    for _ in range(n):
                        assert await case.run() >= chunks
                    times[v].append((time.perf_counter() - t) / n)
                if use_lite:
                    assert lite is not None
                    times["LiteLLM"].append(lite.run(_cases.scenario_base(up.port), n) / n)
            for case in cases.values():
                await case.close()
            floor = statistics.median(times["floor"])
            for v, ts in times.items():
                med = statistics.median(ts)
                label = VARIANTS.get(v) or f"LiteLLM Router {lite.version if lite else ''}"
                rows.append(
                    {
                        "section": "library overhead",
                        "chunks": chunks,
                        "variant": label,
                        "ms_per_stream": round(med * 1e3, 3),
                        "noise_ms": f"{min(ts) * 1e3:.2f}-{max(ts) * 1e3:.2f}",
                        "overhead_us_per_chunk": round((med - floor) / chunks * 1e6, 2),
                        "time_x_floor": round(med / floor, 3),
                        **_instr_cols(instr, f"{v}@{chunks}", f"floor@{chunks}", why),
                    }
                )
    finally:
        if lite is not None:
            lite.close()
    if lite is None:
        rows.append(
            {
                "section": "library overhead",
                "chunks": 200,
                "variant": "LiteLLM Router",
                "ms_per_stream": "not run (litellm not installed; run without --quick)",
            }
        )
    return rows


async def _median(name: str, up: Upstream, runs: int) -> float:
    case = _cases.make(name, up.port)
    try:
        if case.prepare is not None:
            await case.prepare()
        await case.run()
        return statistics.median([await case.run() for _ in range(runs)])
    finally:
        await case.close()


async def failover(
    up: Upstream, *, runs: int, instr: dict[str, float], why: str | None
) -> list[Row]:
    """Time to first token through the fallback when the primary fails in each way."""
    alone = await _median("failover:fallback alone", up, runs)
    rows: list[Row] = []
    for label in FAILOVER:
        via = await _median(f"failover:{label}", up, runs)
        rows.append(
            {
                "section": "failover",
                "scenario": label,
                "ttft_via_fallback_ms": round(via * 1e3, 2),
                "fallback_alone_ms": round(alone * 1e3, 2),
                "added_ms": round((via - alone) * 1e3, 2),
                **_instr_cols(
                    instr, f"failover:{label}", "failover:fallback alone", why, "instr_x_alone"
                ),
            }
        )
    return rows


async def rescue(up: Upstream, *, runs: int, instr: dict[str, float], why: str | None) -> list[Row]:
    """A stream cut after 50 chunks: the time from the cut to the first rescued chunk,
    against the fallback's own time to first token (target: less than that + 5 ms)."""
    alone = await _median("rescue:fallback alone", up, runs)
    rows: list[Row] = []
    for label, strategy in RESCUE.items():
        gap = await _median(f"rescue:{strategy}", up, runs)
        rows.append(
            {
                "section": "stream rescue",
                "scenario": f"cut after {_cases.RESCUE_CUT_AT} chunks, {label}",
                "cut_to_rescued_chunk_ms": round(gap * 1e3, 2),
                "fallback_ttft_ms": round(alone * 1e3, 2),
                "added_ms": round((gap - alone) * 1e3, 2),
                "target_met": (gap - alone) * 1e3 < 5,
                **_instr_cols(instr, f"rescue:{strategy}", None, why),
            }
        )
    return rows


__all__ = ["count", "failover", "library_overhead", "rescue"]
