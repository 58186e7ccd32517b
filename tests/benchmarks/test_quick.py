"""`benchmarks/run.py --quick` runs end to end and produces every row (never a timing assert)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_produces_every_row(tmp_path: Path) -> None:
    """The quick run writes JSON with every section, variant, scenario and case."""
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
        timeout=300,
        cwd=ROOT,
    )
    rows = json.loads((tmp_path / "quick.json").read_text())["rows"]
    names = {
        (r["section"], r.get("variant") or r.get("scenario") or r.get("case") or r.get("prompt"))
        for r in rows
    }
    expected = {
        ("upstream ceiling", "bare client, 50 concurrent"),
        ("library overhead", "bare aiohttp (floor)"),
        ("library overhead", "OpenAIProvider"),
        ("library overhead", "full stack"),
        ("library overhead", "LiteLLM Router"),
        ("failover", "primary refuses connections"),
        ("failover", "primary answers 500"),
        ("failover", "primary answers 429 + Retry-After: 0"),
        ("failover", "primary stalls (first_token 0.2s)"),
        ("failover", "primary behind an open breaker"),
        ("gateway", "ready after start"),
        ("gateway", "llm_router gateway, 100 concurrent, saturating"),
        ("gateway", "straight to upstream, 100 concurrent, saturating"),
        ("gateway", "llm_router gateway, 100 concurrent, paced 10 ms/chunk"),
        ("gateway", "straight to upstream, 100 concurrent, paced"),
        ("gateway", "gateway peak RSS (throughput runs)"),
        ("gateway", "LiteLLM proxy"),
        ("gateway", "memory per open stream (300 held)"),
        ("task detection", "short"),
        ("task detection", "4kb"),
    }
    assert expected <= names, expected - names
    assert any(r["section"] == "breaker" for r in rows)
    for r in rows:
        if r["section"] == "library overhead" and "ratio_to_floor" in r:
            assert r["ratio_to_floor"] > 0
        if r["section"] == "gateway" and "saturating" in r["case"]:
            # 200 text chunks, the finish, maybe usage, [DONE]: the load client counts
            # every event of every stream (a lost-update bug once counted ~2 a stream)
            per_stream = r["events_per_s"] / r["streams_per_s"]
            assert 200 <= per_stream <= 205, r
        if r["section"] == "gateway" and "paced" in r["case"]:
            assert 50 <= r["events_per_s"] / r["streams_per_s"] <= 55, r
