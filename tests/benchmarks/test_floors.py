"""The floors `benchmarks/floors.py` measures against relay what they are said to relay."""

from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _procs import Upstream  # noqa: E402
from relay_asyncio import Chunked  # noqa: E402

RELAY = ROOT / "benchmarks" / "relay_asyncio.py"
HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def framed(payloads: list[bytes], trailer: bytes = b"") -> bytes:
    """A chunked response with these chunk payloads."""
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads)
    return HEAD + body + b"0\r\n" + trailer + b"\r\n"


@pytest.mark.parametrize("seed", range(40))
def test_chunked_end_is_found_at_the_last_byte_however_the_reads_split(seed: int) -> None:
    """Payloads that look like framing (``0\\r\\n\\r\\n`` inside a chunk) do not end it early;
    the end is the last byte, not before, with or without a trailer."""
    rng = random.Random(seed)
    payloads = [b"data: 0\r\n\r\n", b"0\r\n\r\n" * rng.randint(1, 3), b"x" * rng.randint(1, 300)]
    wire = framed(payloads, trailer=b"X-T: 1\r\n" if seed % 2 else b"")
    cuts = sorted(rng.sample(range(1, len(wire)), rng.randint(1, 12)))
    framing = Chunked()
    ends = [framing.feed(wire[a:b]) for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    assert ends == [False] * len(cuts) + [True]


@pytest.fixture()
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    yield up
    up.close()
    assert up.proc.stdout is not None
    up.proc.stdout.close()


def _exchange(sock: socket.socket, path: str) -> bytes:
    body = b'{"model":"m","stream":true,"messages":[]}'
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path.encode(), len(body))
    sock.sendall(head + body)
    data = b""
    framing = Chunked()
    while not framing.feed(chunk := sock.recv(65536)):
        assert chunk, "connection closed before the response ended"
        data += chunk
    return data + chunk


def test_asyncio_relay_passes_the_upstreams_bytes_and_keeps_the_connection(
    upstream: Upstream,
) -> None:
    """Two streams on one client connection through the relay: each body is the one the
    upstream sends straight (same framing, same events, ``[DONE]`` last)."""
    base = upstream.base(chunks=30, size=7)
    proc = subprocess.Popen(
        [sys.executable, str(RELAY), "--upstream", base + "/chat/completions"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[1])
        up_port = int(base.split(":")[2].split("/")[0])
        path = base.split(str(up_port), 1)[1] + "/chat/completions"
        with socket.create_connection(("127.0.0.1", up_port), timeout=10) as direct:
            want = _exchange(direct, path)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as via:
            got = [_exchange(via, "/v1/chat/completions") for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(5)
        assert proc.stdout is not None
        proc.stdout.close()

    def body(response: bytes) -> bytes:  # the clock's second is the one thing that may differ
        return re.sub(rb'"created":\d+', b'"created":0', response.split(b"\r\n\r\n", 1)[1])

    assert body(want).count(b"data: ") >= 32  # the preamble, 30 deltas, ..., [DONE]
    assert body(want).endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")
    assert [body(g) for g in got] == [body(want)] * 2
