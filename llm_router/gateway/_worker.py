"""One worker process of ``llm-router serve --workers N`` (started by :mod:`.workers`).

``python -m llm_router.gateway._worker SPEC`` where SPEC is a JSON object: ``policy``
(the file), ``host``, ``port`` (the group's, already reserved), ``log_json``
(``null``: the policy's) and ``workers``. The worker loads the policy and assembles
its own router (its own event loop, HTTP session, breakers — shared through the
policy's Redis ``breaker_storage`` if it has one), listens with ``SO_REUSEPORT``,
writes ``ready`` on its standard output once it listens, and serves until SIGTERM
or SIGINT (then drains, as a single gateway does) or until its standard input
closes: the parent is gone, so nothing would stop this worker otherwise. Every log
line carries ``worker`` (its pid). ``/metrics`` merges the samples every worker
writes to ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import structlog

from llm_router.errors import LLMRouterError
from llm_router.gateway.server import GatewayServer, run_until_stopped
from llm_router.observe.logs import configure_logging, get_logger
from llm_router.policy import load_policy

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus-client's multiprocess mode keeps each process's samples."""

READY = "ready"
"""The line a worker writes on its standard output once it listens."""


async def _until_parent_gone(stop: asyncio.Event) -> None:
    """Set ``stop`` when standard input (a pipe from the parent) reaches its end."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    stop.set()


def _ready() -> None:
    print(READY, flush=True)


async def _serve(server: GatewayServer) -> None:
    stop = asyncio.Event()
    watch = asyncio.create_task(_until_parent_gone(stop))
    try:
        await run_until_stopped(server, stop, on_started=_ready)
    finally:
        watch.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):  # drained: a late signal changes nothing
            signal.signal(sig, signal.SIG_IGN)


def main(argv: list[str]) -> int:
    """Run one worker on the JSON spec ``argv[0]``; the exit status."""
    spec = json.loads(argv[0])
    policy = load_policy(spec["policy"])
    json_lines = policy.logging.json if spec["log_json"] is None else spec["log_json"]
    configure_logging(
        json=json_lines,
        level=policy.logging.level,
        include_content=policy.logging.include_content,
    )
    structlog.contextvars.bind_contextvars(worker=os.getpid())
    server = GatewayServer(
        policy,
        host=spec["host"],
        port=spec["port"],
        reuse_port=True,
        metrics_dir=os.environ.get(METRICS_DIR_ENV),
        workers=spec["workers"],
    )
    try:
        asyncio.run(_serve(server))
    except (OSError, LLMRouterError) as exc:  # could not listen or assemble: say why
        get_logger("llm_router.gateway").error("gateway.worker_failed", error=str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
