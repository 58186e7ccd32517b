"""Process helpers for the benchmarks: start the upstream, read RSS, find a free port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LITELLM_VENV = HERE / ".venv-litellm"


class Upstream:
    """The loopback upstream in its own process (``benchmarks/upstream.py``)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "upstream.py"), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"upstream did not start: {line!r}")
        self.port = int(line.split()[1])

    def base(
        self,
        chunks: int = 200,
        size: int = 20,
        first_ms: int = 0,
        delay_ms: int = 0,
        fault: str = "ok",
    ) -> str:
        """Base URL (ending in ``/v1``) of one scenario."""
        return f"http://127.0.0.1:{self.port}/s/{chunks}/{size}/{first_ms}/{delay_ms}/{fault}/v1"

    def url(self, **kw: int | str) -> str:
        """Full chat-completions URL of one scenario."""
        return self.base(**kw) + "/chat/completions"  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop the process."""
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def hwm_kib(pid: int) -> int:
    """Peak resident set size of ``pid`` in KiB (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def free_port() -> int:
    """A free loopback TCP port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_litellm(log: bool = True) -> Path | None:
    """The benchmark's own LiteLLM virtualenv (created on first use), or None."""
    py = LITELLM_VENV / "bin" / "python"
    if py.exists():
        return py
    if log:
        print(
            "benchmarks: installing litellm[proxy] into benchmarks/.venv-litellm …", file=sys.stderr
        )
    try:
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "litellm[proxy]"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"benchmarks: litellm unavailable: {exc}", file=sys.stderr)
        return None
    return py
