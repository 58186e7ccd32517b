"""Shared helpers for the observability tests: records, series counting, promtool."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from prometheus_client import CollectorRegistry

from llm_router.observe import StreamRecord
from llm_router.types import Usage


def record(**changes: Any) -> StreamRecord:
    """A successful stream record on deployment ``a`` (model ``m-a``), with changes."""
    fields: dict[str, Any] = {
        "request_id": "req-1",
        "task": "code",
        "route": "code",
        "provider": "a",
        "model": "m-a",
        "outcome": "success",
        "ttft_s": 0.2,
        "duration_s": 1.2,
        "chunks": 5,
        "usage": Usage(input_tokens=100, output_tokens=50),
        "fallbacks": 0,
    }
    fields.update(changes)
    return StreamRecord(**fields)


def series(registry: CollectorRegistry) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every (sample name, labels) exported by ``registry``."""
    return {
        (s.name, tuple(sorted(s.labels.items())))
        for metric in registry.collect()
        for s in metric.samples
    }


def llm_series(registry: CollectorRegistry) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """The series of llm_router's own metrics."""
    return {s for s in series(registry) if s[0].startswith("llm_router_")}


def promtool_check(body: bytes) -> subprocess.CompletedProcess[str]:
    """Run ``promtool check metrics`` on ``body``; fails clearly if promtool is missing."""
    promtool = shutil.which("promtool")
    assert promtool is not None, (
        "promtool not found: install the Debian package prometheus "
        "(apt-get install -y --no-install-recommends prometheus)"
    )
    return subprocess.run(
        [promtool, "check", "metrics"],
        input=body.decode(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
