"""`benchmarks/run.py --quick` runs end to end and produces every row (never a timing assert)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_produces_every_row(tmp_path: Path) -> None:
    """The quick run writes JSON with every section, variant, scenario and case.

    Instruction counts (callgrind, minutes even in quick mode) are left out here: this
    is a smoke test of the harness, and `benchmarks/run.py` takes them."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--no-litellm",
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
        env={**os.environ, "LLM_ROUTER_BENCH_NO_INSTR": "1"},
    )
    rows = json.loads((tmp_path / "quick.json").read_text())["rows"]
    names = {
        (r["section"], r.get("variant") or r.get("scenario") or r.get("case") or r.get("prompt"))
        for r in rows
    }
    variants = (
        "bare aiohttp, lean reader (floor)",
        "bare aiohttp, previous floor (copies per event)",
        "OpenAIProvider",
        "full stack (router + breaker + retry + metrics + logs), model auto",
        "full stack, model names the route (no task detection)",
    )
    loads = (
        "one at a time, paced 10 ms/chunk",
        "100 concurrent, paced 10 ms/chunk, steady arrivals",
        "100 concurrent, paced 10 ms/chunk, arriving together",
        "100 concurrent, saturating",
    )
    expected = {
        ("upstream ceiling", "bare client, 50 concurrent"),
        ("library overhead", "LiteLLM Router"),
        ("failover", "primary refuses connections"),
        ("failover", "primary answers 500"),
        ("failover", "primary answers 429 + Retry-After: 0"),
        ("failover", "primary stalls (first_token 0.2s)"),
        ("failover", "primary behind an open breaker"),
        ("stream rescue", "cut after 50 chunks, continue on the fallback (prefill)"),
        ("stream rescue", "cut after 50 chunks, replay on the same deployment"),
        ("gateway", "ready after start"),
        ("gateway", "gateway peak RSS (throughput runs)"),
        ("gateway", "LiteLLM proxy"),
        ("gateway", "memory per open stream (300 held)"),
        ("task detection", "short"),
        ("task detection", "4kb"),
    }
    expected |= {("library overhead", v) for v in variants}
    for load in loads:
        for side in ("llm_router gateway", "bare aiohttp relay (floor)", "straight to upstream"):
            expected.add(("gateway", f"{side}, {load}"))
    chunk_rows = {r["chunks"] for r in rows if r["section"] == "library overhead"}
    assert chunk_rows == {20, 200, 2000}
    assert any(r["section"] == "gateway instructions" for r in rows)
    assert expected <= names, expected - names
    assert any(r["section"] == "breaker" for r in rows)
    for r in rows:
        if r["section"] == "library overhead" and "time_x_floor" in r:
            assert r["time_x_floor"] > 0
            assert "instr" in r  # a count, or why there is none
        if r["section"] == "gateway" and "saturating" in r["case"]:
            # 200 text chunks, the finish, maybe usage, [DONE]: the load client counts
            # every event of every stream (a lost-update bug once counted ~2 a stream)
            per_stream = r["events_per_s"] / r["streams_per_s"]
            assert 200 <= per_stream <= 205, r
        if r["section"] == "gateway" and "100 concurrent, paced" in r["case"]:
            assert 50 <= r["events_per_s"] / r["streams_per_s"] <= 55, r
