"""Fixtures for the layer tests: real ``redis-server`` processes on loopback ports."""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from llm_router.layers.breaker import RedisBreakerState

_READY = b"Ready to accept connections"


def free_port() -> int:
    """A loopback TCP port nobody listens on (at the time of the call)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throwaway ``redis-server`` (no persistence) on a free loopback port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait (bounded) until it accepts connections."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server not found: install redis-server (apt-get install -y redis-server)"
            )
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--logfile", "", "--daemonize", "no"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._proc = proc
        assert proc.stdout is not None
        seen = b""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while _READY not in seen:
                left = deadline - time.monotonic()
                if left <= 0 or proc.poll() is not None or not sel.select(left):
                    self.stop()
                    pytest.fail(f"redis-server did not start: {seen.decode(errors='replace')}")
                seen += os.read(proc.stdout.fileno(), 65536)
        # Keep draining its log so the server never blocks on a full pipe.
        proc.stdout.close()

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): its sockets stay open and say nothing, as a hung
        or swapped-out server's do."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server run again (SIGCONT)."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def stop(self) -> None:
        """Stop the server gracefully."""
        if self._proc is not None:
            self.thaw()  # a stopped process would not act on SIGTERM
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
            if self._proc.stdout is not None and not self._proc.stdout.closed:
                self._proc.stdout.close()
            self._proc = None


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the whole session (tests isolate themselves by key prefix)."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_redis_server() -> Iterator[Callable[[], RedisServer]]:
    """A factory of private redis-servers (for tests that kill theirs), torn down after."""
    servers: list[RedisServer] = []

    def make() -> RedisServer:
        server = RedisServer()
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def prefix() -> str:
    """A key prefix of its own, so tests sharing the server never see each other."""
    return f"test:{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def pair(
    redis_server: RedisServer, prefix: str
) -> AsyncIterator[tuple[RedisBreakerState, RedisBreakerState]]:
    """Two independent connections to the same server, as two replicas would hold."""
    async with (
        RedisBreakerState(redis_server.url, prefix=prefix) as a,
        RedisBreakerState(redis_server.url, prefix=prefix) as b,
    ):
        yield a, b
