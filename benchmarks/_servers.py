"""The servers the gateway benchmarks talk to, each in its own process, none pinned to
a core (pinning the gateway to a core of its own while the direct baseline's client
and upstream shared the other handicapped the baseline): ``llm-router serve``, the
bare relay (``relay.py``, the gateway's floor) and the LiteLLM proxy. Any of them
can run under callgrind (``_instr.ServerCounter``) to count its instructions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _instr import ServerCounter
from _procs import HERE, free_port

POLICY = """version: 1
providers:
  up:
    type: openai_compatible
    base_url: {base}
    model: bench-model
    timeouts: {{first_token: 120, idle: 120, total: 600}}
routes:
  default: [up]
server:
  host: 127.0.0.1
  port: {port}
logging:
  level: warning
  json: true
"""


def _wait_ready(url: str, proc: subprocess.Popen[Any], limit: float = 120.0) -> None:
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url}: not ready after {limit}s")


def _wait_workers(url: str, workers: int, limit: int = 2000) -> None:
    """Ask ``url`` (``/v1/router/status``, a new connection each time) until ``workers``
    different pids have answered."""
    seen: set[int] = set()
    for _ in range(limit):
        with urllib.request.urlopen(url, timeout=5) as r:
            seen.add(json.loads(r.read())["gateway"]["pid"])
        if len(seen) >= workers:
            return
        time.sleep(0.01)
    raise RuntimeError(f"{url}: only {len(seen)} of {workers} workers answered")


class Server:
    """A server process; ``url`` is its chat-completions URL, ``ready_s`` its start-up."""

    url = ""

    def __init__(
        self,
        cmd: list[str],
        ready_path: str,
        *,
        counter: ServerCounter | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.counter = counter
        started = time.perf_counter()
        cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        self.proc = subprocess.Popen(
            counter.wrap(cmd) if counter else cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if counter is not None:
            counter.pid = self.proc.pid
        _wait_ready(f"http://127.0.0.1:{self.port}{ready_path}", self.proc)
        self.ready_s = time.perf_counter() - started
        self.url = f"http://127.0.0.1:{self.port}/v1/chat/completions"

    def close(self) -> None:
        """Stop the server (SIGTERM, then kill)."""
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class Gateway(Server):
    """``llm-router serve`` on a one-provider policy, ``workers`` processes (one by
    default: the figures are per process; under callgrind only one can be counted),
    from the working tree or from ``tree``. Ready once every worker answers."""

    def __init__(
        self,
        base: str,
        *,
        counter: ServerCounter | None = None,
        workers: int = 1,
        tree: Path | None = None,
    ) -> None:
        self.dir = tempfile.TemporaryDirectory()
        policy = Path(self.dir.name) / "bench.yaml"
        policy.write_text(POLICY.format(base=base, port=0))
        # ``tree``: run the llm_router of another source tree (``_tree.py``), for A/B runs
        head = (
            ["-m", "llm_router.cli.main"] if tree is None else [str(HERE / "_tree.py"), str(tree)]
        )
        cmd = [sys.executable, *head, "serve", "--policy", str(policy)]
        cmd += ["--port", "{port}", "--workers", str(workers)]
        super().__init__(cmd, "/readyz", counter=counter)
        _wait_workers(f"http://127.0.0.1:{self.port}/v1/router/status", workers)

    def close(self) -> None:
        """Stop the gateway."""
        super().close()
        self.dir.cleanup()


class Relay(Server):
    """The bare aiohttp relay (``relay.py``): the gateway's floor."""

    def __init__(self, base: str, *, counter: ServerCounter | None = None) -> None:
        cmd = [sys.executable, str(HERE / "relay.py"), "--upstream", base + "/chat/completions"]
        super().__init__([*cmd, "--port", "{port}"], "/readyz", counter=counter)


class LiteLLMProxy(Server):
    """The LiteLLM proxy from the benchmark's own virtualenv, with a fresh master key."""

    def __init__(self, python: Path, base: str) -> None:
        self.key = "sk-bench-" + os.urandom(8).hex()
        self.dir = tempfile.TemporaryDirectory()
        cfg = Path(self.dir.name) / "litellm.yaml"
        cfg.write_text(
            "model_list:\n  - model_name: auto\n    litellm_params:\n"
            f"      model: openai/bench-model\n      api_base: {base}\n      api_key: sk-x\n"
        )
        env = dict(
            os.environ,
            LITELLM_MASTER_KEY=self.key,
            LITELLM_LOG="ERROR",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
        )
        exe = str(Path(python).parent / "litellm")
        cmd = [exe, "--config", str(cfg), "--port", "{port}", "--host", "127.0.0.1"]
        super().__init__([*cmd, "--num_workers", "1"], "/health/liveliness", env=env)

    def close(self) -> None:
        """Stop the proxy."""
        super().close()
        self.dir.cleanup()
