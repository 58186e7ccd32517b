"""The README's library example runs and prints what the README shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_example_output() -> None:
    """examples/quickstart.py fails over, accumulates, counts and reports an interruption."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert out == [
        "Hello from the fallback!",
        "fallback: 'Hello from the fallback!' finish=stop "
        "usage=Usage(input_tokens=3, output_tokens=4)",
        "fallbacks recorded: 2.0",
        "interrupted: partial='one two ' cause=ServerError",
    ]
