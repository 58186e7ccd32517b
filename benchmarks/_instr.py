"""Instruction counts under callgrind: load-independent, start-up excluded.

Wall-clock figures on a shared 2-core machine move with whatever else runs; the
number of instructions a piece of work executes barely does. Two ways to count:

- **library cases** (:func:`count_cases`): ``instr_worker.py`` runs under
  ``valgrind --tool=callgrind --instr-atstart=no`` (start-up and imports run
  uninstrumented, near native speed). For each case it runs warm-up iterations, then
  switches instrumentation on through a valgrind client request (a tiny C helper
  compiled here from ``<valgrind/callgrind.h>``), runs N iterations and dumps; the
  dump's total divided by N is the count per iteration. The upstream runs natively in
  its own process and is not counted.
- **a server process** (:class:`ServerCounter`): started under callgrind with
  instrumentation off; ``callgrind_control`` switches it on around a load run and
  dumps, so only the requests' work is counted.

Under callgrind the measured process runs ~50 times slower, so its reads coalesce more
than at full speed: counts are per unit of work at saturation, for comparing
variants, not a model of one isolated event.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
_HELPER = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void cg_stop(void) { CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""
_TOTALS = re.compile(rb"^totals:\s+(\d+)", re.M)


def unavailable() -> str | None:
    """Why instruction counts cannot be taken here (None: they can)."""
    if os.environ.get("LLM_ROUTER_BENCH_NO_INSTR"):
        return "instruction counts turned off (LLM_ROUTER_BENCH_NO_INSTR)"
    for tool in ("valgrind", "callgrind_control", "cc"):
        if shutil.which(tool) is None:
            return f"{tool} not installed"
    if not Path("/usr/include/valgrind/callgrind.h").exists():
        return "valgrind headers not installed"
    return None


def _valgrind(out: Path) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        "--quiet",
    ]


def _totals(path: Path) -> int:
    m = _TOTALS.search(path.read_bytes())
    if m is None:
        raise RuntimeError(f"{path}: no totals line")
    return int(m.group(1))


def count_cases(port: int, cases: Sequence[tuple[str, int, int]]) -> dict[str, float]:
    """Instructions per iteration of each ``(case, warmup, iterations)``."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(os.environ.get("BENCH_CG_KEEP") or tmp)
        (d / "cg.c").write_text(_HELPER)
        subprocess.run(
            ["cc", "-O1", "-shared", "-fPIC", "-o", str(d / "cg.so"), str(d / "cg.c")], check=True
        )
        spec = json.dumps({"port": port, "helper": str(d / "cg.so"), "cases": cases})
        out = d / "cg.out"
        proc = subprocess.run(
            [*_valgrind(out), sys.executable, str(HERE / "instr_worker.py")],
            input=spec,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"instr_worker failed: {proc.stderr[-2000:]}")
        result: dict[str, float] = {}
        for i, (name, _, iterations) in enumerate(cases, start=1):
            result[name] = _totals(Path(f"{out}.{i}")) / iterations
        return result


class ServerCounter:
    """Counts a callgrind-run server's instructions between :meth:`on` and :meth:`take`."""

    def __init__(self, tmp: Path) -> None:
        self.out = tmp / "server.cg"
        self.dumps = 0
        self.pid = 0

    def wrap(self, cmd: Sequence[str]) -> list[str]:
        """``cmd`` run under callgrind, instrumentation off."""
        return [*_valgrind(self.out), *cmd]

    def _control(self, *args: str) -> None:
        subprocess.run(
            ["callgrind_control", *args, str(self.pid)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def on(self) -> None:
        """Start counting (and zero the counters)."""
        self._control("--instr=on")
        self._control("--zero")

    def take(self) -> int:
        """Stop counting; the instructions counted since :meth:`on`."""
        self._control("--dump")
        self._control("--instr=off")
        self.dumps += 1
        return _totals(Path(f"{self.out}.{self.dumps}"))
