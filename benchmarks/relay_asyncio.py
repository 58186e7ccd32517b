"""The floor of Python itself: a relay on bare asyncio protocols (run in its own process).

No aiohttp and no task per request: a request (``Content-Length`` body) is forwarded
from the client's protocol callback to a pooled keep-alive upstream connection, and the
upstream's response bytes are written back from the upstream protocol's callback as
they arrive, the chunked framing followed only to know where the response ends. What
``relay.py`` (the aiohttp relay) adds above this is aiohttp's; what a compiled proxy
(nginx, ``floors.py``) saves below it is the interpreter's. Measurement only: no
timeouts, no errors handled, one request at a time per client connection. ``GET
/readyz`` answers ``ok``. Prints ``PORT <n>`` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from urllib.parse import urlsplit


def _nodelay(transport: asyncio.BaseTransport) -> asyncio.Transport:
    """``transport``, with Nagle's delay off."""
    assert isinstance(transport, asyncio.Transport)
    transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return transport


class Chunked:
    """Follows ``Transfer-Encoding: chunked`` framing across reads; ``feed`` says
    whether the response's last byte has arrived. The response head is skipped first."""

    def __init__(self) -> None:
        self.head = True
        self.trailer = False  # past the zero-size chunk: lines until an empty one
        self.left = 0  # payload bytes (plus their CRLF) still to skip
        self.line = b""

    def feed(self, data: bytes) -> bool:
        """Take ``data``; True once the terminating zero-size chunk has fully arrived."""
        if self.head:
            self.line += data
            end = self.line.find(b"\r\n\r\n")
            if end < 0:
                return False
            data, self.line, self.head = self.line[end + 4 :], b"", False
        i = 0
        while i < len(data):
            if self.left:
                step = min(self.left, len(data) - i)
                self.left -= step
                i += step
                continue
            end = data.find(b"\n", i)
            if end < 0:
                self.line += data[i:]
                return False
            line, self.line = (self.line + data[i:end]).strip(), b""
            i = end + 1
            if self.trailer:
                if not line:
                    return True
                continue
            size = int(line.split(b";")[0], 16)
            if size:
                self.left = size + 2
            else:
                self.trailer = True
        return False


class Upstream(asyncio.Protocol):
    """One pooled upstream connection; relays a response to the client it serves."""

    def __init__(self, pool: list[Upstream]) -> None:
        self.pool = pool
        self.client: Client | None = None
        self.framing = Chunked()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; no Nagle delay."""
        self.transport = _nodelay(transport)

    def data_received(self, data: bytes) -> None:
        """Write the bytes to the client; at the response's end, back to the pool."""
        client = self.client
        if client is None or client.transport is None:
            return
        client.transport.write(data)
        if self.framing.feed(data):
            self.client, self.framing = None, Chunked()
            self.pool.append(self)
            client.busy = False
            client.next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        """Leave the pool."""
        if self in self.pool:
            self.pool.remove(self)


class Client(asyncio.Protocol):
    """One client connection: parses a request, sends it upstream on a pooled connection."""

    def __init__(self, upstream: str, pool: list[Upstream]) -> None:
        url = urlsplit(upstream)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.prefix = b"POST %s HTTP/1.1\r\nHost: %s\r\n" % (url.path.encode(), url.netloc.encode())
        self.pool = pool
        self.buf = b""
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; no Nagle delay."""
        self.transport = _nodelay(transport)

    def data_received(self, data: bytes) -> None:
        """Buffer; serve the next whole request."""
        self.buf += data
        self.next_request()

    def next_request(self) -> None:
        """Forward the next whole request in the buffer, if any, unless one is in flight."""
        end = self.buf.find(b"\r\n\r\n")
        if self.busy or end < 0 or self.transport is None:
            return
        head = self.buf[:end].split(b"\r\n")
        size = 0
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                size = int(value)
        if len(self.buf) < end + 4 + size:
            return
        body, self.buf = self.buf[end + 4 : end + 4 + size], self.buf[end + 4 + size :]
        if head[0].startswith(b"GET /readyz"):
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return
        self.busy = True
        request = self.prefix + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        request %= (len(body), body)
        if self.pool:
            up = self.pool.pop()
            up.client = self
            assert up.transport is not None
            up.transport.write(request)
        else:
            asyncio.get_running_loop().create_task(self._connect(request))

    async def _connect(self, request: bytes) -> None:
        loop = asyncio.get_running_loop()
        transport, up = await loop.create_connection(
            lambda: Upstream(self.pool), self.host, self.port
        )
        up.client = self
        transport.write(request)


async def _main(upstream: str, port: int) -> None:
    pool: list[Upstream] = []
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Client(upstream, pool), "127.0.0.1", port, backlog=8192
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    """Command line: ``--upstream URL --port N``."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--upstream", required=True, help="a chat-completions URL (http only)")
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    asyncio.run(_main(a.upstream, a.port))


if __name__ == "__main__":
    main()
