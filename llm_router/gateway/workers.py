"""Several gateway processes on one port: ``llm-router serve --workers N`` (docs/DESIGN.md §7.1).

A Python event loop uses one core; ``--workers N`` runs N processes (:mod:`._worker`),
each with its own event loop and its own assembly of the policy, all listening on
the same port with ``SO_REUSEPORT`` (the kernel spreads new connections over them).
The parent process serves nothing. It:

- reserves the port (with ``--port 0``, the one the kernel picked) before starting
  the workers, and refuses a port another server already listens on (``SO_REUSEPORT``
  would otherwise share it silently with that server);
- owns ``PROMETHEUS_MULTIPROC_DIR``, a temporary directory where every worker writes
  its samples: ``/metrics`` on any worker merges them (counters and histograms summed,
  ``inflight_streams`` summed and ``circuit_state`` the worst over live workers);
  a worker that exits is marked dead there, and the directory is removed at the end;
- forwards SIGTERM and SIGINT (every worker drains, ``/readyz`` answers 503
  ``draining`` meanwhile) and SIGHUP (every worker reloads the policy file);
- replaces a worker that dies while the group serves (``gateway.worker_exited``),
  and stops the group if a worker cannot start at all.

Breakers are per worker unless the policy shares them through Redis
(``breaker_storage: {redis: …}``), as between replicas on several machines. Workers
stop by themselves when the parent disappears (their standard input closes).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from typing import cast

from prometheus_client import multiprocess

from llm_router.gateway._protocol import bind_error
from llm_router.gateway._worker import METRICS_DIR_ENV, READY
from llm_router.observe.logs import get_logger

log = get_logger("llm_router.gateway")

_mark_dead = cast(Callable[[int, str], None], multiprocess.mark_process_dead)  # untyped
_START_WITHIN = 120.0  # seconds a worker may take to listen
_KILL_AFTER = 15.0  # seconds past the drain's grace before a worker is killed


def default_workers() -> int:
    """The number of cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound (not listening) to ``host``:``port`` with ``SO_REUSEPORT``: it
    holds the port (the one picked, for port 0) for the workers to bind too. Raises
    a clear :class:`OSError` when another server listens there already."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("--workers above 1 needs SO_REUSEPORT (Linux); use --workers 1")
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    try:
        if port:  # a plain bind fails while anyone listens on the port
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError as exc:
        raise bind_error(exc, host, port) from exc
    return sock


class _Worker:
    """One worker process: ``ready`` (whether it listens: its first line), and
    ``status``, done with its exit status when it has ended."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.status = asyncio.create_task(self._run())

    async def _run(self) -> int:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:  # the ready line, then anything it prints
            if not self.ready.done() and line.strip() == READY.encode():
                self.ready.set_result(True)
            else:
                sys.stdout.buffer.write(line)
                sys.stdout.flush()
        if not self.ready.done():  # it ended before listening
            self.ready.set_result(False)
        return await self.proc.wait()


class WorkerGroup:
    """``workers`` processes serving ``policy_file`` on ``host``:``port`` (see the
    module doc); :meth:`run` returns the exit status for the command."""

    def __init__(
        self,
        policy_file: str,
        *,
        workers: int,
        host: str,
        port: int,
        log_json: bool | None,
        shutdown_grace: float,
    ) -> None:
        self.workers = workers
        self.host, self.port = host, port
        self._spec = {"policy": policy_file, "host": host, "log_json": log_json}
        self._grace = shutdown_grace
        self._dir = ""
        self._live: dict[int, _Worker] = {}

    async def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit status (0: every worker stopped
        cleanly)."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        reserved = reserve_port(self.host, self.port)
        self.port = reserved.getsockname()[1]
        self._dir = tempfile.mkdtemp(prefix="llm-router-metrics-")
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._forward, signal.SIGHUP)
        try:
            return await self._serve(stop)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            reserved.close()
            shutil.rmtree(self._dir, ignore_errors=True)

    async def _serve(self, stop: asyncio.Event) -> int:
        started = await asyncio.gather(*(self._start() for _ in range(self.workers)))
        if not all(started):
            log.error("gateway.workers_failed", detail="a worker could not start")
            await self._stop_all()
            return 1
        host = f"[{self.host}]" if ":" in self.host else self.host
        log.info(
            "gateway.workers_started",
            workers=self.workers,
            pids=sorted(self._live),
            host=self.host,
            port=self.port,
            url=f"http://{host}:{self.port}/v1",
        )
        stopping = asyncio.create_task(stop.wait())
        while not stop.is_set():
            exits = {w.status: pid for pid, w in self._live.items()}
            done, _ = await asyncio.wait({stopping, *exits}, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:  # a worker died while serving: replace it
                pid = exits[task]
                self._gone(pid)
                log.error("gateway.worker_exited", pid=pid, status=task.result())
                if not stop.is_set() and not await self._start():
                    stopping.cancel()
                    await self._stop_all()
                    return 1
        return await self._stop_all()

    async def _start(self) -> bool:
        """Start one worker and wait until it listens; whether it did."""
        spec = json.dumps({**self._spec, "port": self.port, "workers": self.workers})
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "llm_router.gateway._worker",
            spec,
            stdin=asyncio.subprocess.PIPE,  # never written: closes if the parent dies
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, METRICS_DIR_ENV: self._dir},
            start_new_session=True,  # signals come from the parent (a terminal's Ctrl-C too)
        )
        worker = self._live[proc.pid] = _Worker(proc)
        try:
            async with asyncio.timeout(_START_WITHIN):
                if await worker.ready:
                    return True
        except TimeoutError:
            proc.kill()
        await worker.status
        self._gone(proc.pid)
        return False

    def _forward(self, sig: int) -> None:
        """Send ``sig`` to every worker that listens (and so handles it)."""
        log.info("gateway.workers_signalled", signal=signal.Signals(sig).name)
        for worker in self._live.values():
            listening = (
                worker.ready.done() and not worker.ready.cancelled() and worker.ready.result()
            )
            if listening and worker.proc.returncode is None:
                worker.proc.send_signal(sig)

    def _gone(self, pid: int) -> None:
        """Forget a worker that exited (its live gauges leave the merged metrics)."""
        self._live.pop(pid, None)
        _mark_dead(pid, self._dir)

    async def _stop_all(self) -> int:
        """Drain every worker (SIGTERM), kill those still running after the grace
        period; 0 if every worker exited cleanly."""
        self._forward(signal.SIGTERM)
        workers = list(self._live.items())
        if workers:
            _, late = await asyncio.wait(
                [w.status for _, w in workers], timeout=self._grace + _KILL_AFTER
            )
            for _, worker in workers:
                if worker.status in late:
                    worker.proc.kill()
        statuses = [await w.status for _, w in workers]
        for pid, _ in workers:
            self._gone(pid)
        log.info("gateway.workers_stopped", statuses=statuses)
        return 0 if all(code == 0 for code in statuses) else 1


async def serve_workers(
    policy_file: str,
    *,
    workers: int,
    host: str,
    port: int,
    log_json: bool | None,
    shutdown_grace: float,
) -> int:
    """Run ``workers`` gateway processes on ``policy_file`` until SIGTERM or SIGINT;
    the exit status."""
    group = WorkerGroup(
        policy_file,
        workers=workers,
        host=host,
        port=port,
        log_json=log_json,
        shutdown_grace=shutdown_grace,
    )
    return await group.run()
