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
        "rescued: 'one two three four'",
        "interrupted: partial='one two ' cause=ServerError",
    ]


def test_offline_testing_example_passes() -> None:
    """examples/test_fallback_offline.py (the llm_router.testing example) runs green."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         str(ROOT / "examples" / "test_fallback_offline.py")],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_wrap_your_clients_example_output() -> None:
    """examples/wrap_your_clients.py: the SDK clients and a function, failing over."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "wrap_your_clients.py")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert out == [
        "claude: Claude answers instead. (10 in, 3 out)",
        "openai was asked 2 times: 2 attempts of the retry layer, no SDK retries",
        "A local answer.",
    ]
