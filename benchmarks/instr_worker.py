"""Runs library cases under callgrind for ``_instr.count_cases`` (not run by hand).

Reads ``{"port", "helper", "cases": [[name, warmup, iterations], ...]}`` as JSON on
stdin. For each case: ``warmup`` uninstrumented iterations, then instrumentation on
(``cg_start``), ``iterations`` iterations, dump and off (``cg_stop``): dump *i* holds
case *i*.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cases

from llm_router.observe.logs import configure_logging


async def main(spec: dict[str, Any]) -> None:
    """Count every case in order."""
    helper = ctypes.CDLL(spec["helper"])
    configure_logging(json=True, level="info", stream=open(os.devnull, "w"))  # noqa: SIM115, ASYNC230
    for name, warmup, iterations in spec["cases"]:
        case = _cases.make(name, spec["port"])
        if case.prepare is not None:
            await case.prepare()
        for _ in range(warmup):
            await case.run()
        helper.cg_start()
        for _ in range(iterations):
            await case.run()
        helper.cg_stop()
        await case.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.stdin.read())))
