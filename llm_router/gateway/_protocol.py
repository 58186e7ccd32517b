"""The HTTP connection: read deadlines, JSON answers to malformed HTTP, peer checks.

aiohttp reads a request's headers and body for as long as the client cares to send
them, and answers a request it cannot parse with a plain-text page and a logged
traceback. :class:`GatewayProtocol` (aiohttp's request handler, one per connection,
installed by :class:`GatewaySite`) adds what a gateway on a network needs:

- **header deadline**: a request's headers must be complete ``header_timeout``
  seconds after its first byte (or after the connection opened); else the client
  gets a 408 and the connection closes. A client sending a byte a second cannot
  hold a connection open.
- **body deadline**: :func:`~.body.read_body` reads the body within
  ``body_timeout`` seconds (408).
- **malformed HTTP** (oversized header or URL, conflicting ``Content-Length`` /
  ``Transfer-Encoding``, bad chunking …) is answered in OpenAI's JSON error shape
  with a fixed message (aiohttp's own quotes the offending bytes, which may be a
  credential), and logged as one ``request.finished`` line without a traceback.

:func:`peer_gone` tells whether the client has closed its side, even before the
event loop has read the close, so that no upstream is asked for an answer nobody
will read; once it has, ``connection_lost`` closes the request's open upstream
responses (:data:`llm_router._aio.CLIENT_GONE`) in that loop turn.
"""

from __future__ import annotations

import asyncio
import errno
import json
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import StreamReader, web
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong, PayloadEncodingError

from llm_router.gateway.errors import INTERNAL, ErrorInfo
from llm_router.observe.logs import get_logger

log = get_logger("llm_router.gateway")

_TCP_INFO = getattr(socket, "TCP_INFO", None)  # Linux
_TCP_ESTABLISHED = 1  # tcpi_state, the first byte of struct tcp_info


def _invalid(status: int, message: str, code: str) -> ErrorInfo:
    return ErrorInfo(status, message, "invalid_request_error", code)


_HEADER_TIMEOUT = _invalid(408, "the request headers were not received in time", "request_timeout")
_BAD_BODY = _invalid(400, "the request body's framing is malformed", "malformed_http")


def peer_gone(request: web.Request) -> bool:
    """Whether the client has closed or reset its connection (a closed transport, or,
    on Linux, a TCP state other than ESTABLISHED: a FIN the loop has not read yet)."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return True
    sock = transport.get_extra_info("socket")
    if _TCP_INFO is None or sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        state = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 1)
    except OSError:
        return True
    return bool(state) and state[0] != _TCP_ESTABLISHED


def _malformed(exc: BaseException | None) -> ErrorInfo:
    """A fixed answer per kind of parse error (never aiohttp's message: it quotes bytes)."""
    if isinstance(exc, LineTooLong):
        return _invalid(400, "a request line or header is too long", "line_too_long")
    if isinstance(exc, PayloadEncodingError):
        return _BAD_BODY
    if isinstance(exc, BadHttpMethod):
        return _invalid(400, "the request line is not valid HTTP", "malformed_http")
    return _invalid(400, "the request is not valid HTTP/1.1", "malformed_http")


def _late_headers_response() -> bytes:
    body = json.dumps(_HEADER_TIMEOUT.body()).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


_LATE_HEADERS = _late_headers_response()


class GatewayProtocol(web.RequestHandler):
    """aiohttp's per-connection request handler with a header deadline and JSON errors.

    The access middleware calls :meth:`request_started` and :meth:`request_ended`
    around each request, which stop and allow the header deadline.
    """

    def __init__(self, manager: web.Server, *, header_timeout: float, **options: Any) -> None:
        super().__init__(manager, **options)
        self._cancels = manager.handler_cancellation
        self.upstreams: set[Callable[[], None]] | None = None
        """The current request's open upstream responses' closers (``_aio.CLIENT_GONE``)."""
        self._header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._partial = False  # some bytes of the next request have arrived
        self._busy = False
        self._unread: StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the header deadline of the first request."""
        super().connection_made(transport)
        self._arm(partial=False)

    def data_received(self, data: bytes) -> None:
        """Start the header deadline at the first byte of a request (not at the rest
        of an answered request's body, which aiohttp reads for a while and drops)."""
        idle = not self._busy and not self._partial
        if data and idle and (self._unread is None or self._unread.is_eof()):
            self._unread = None
            self._arm(partial=True)
        super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        """Stop the deadline; close the upstreams now (the cancelled handler would
        close them two or three loop turns later, each long under load)."""
        self._disarm()
        super().connection_lost(exc)  # cancels the handler's task (handler_cancellation)
        closers, self.upstreams = self.upstreams, None
        if closers and self._cancels:  # not before: its reads would fail, not be cancelled
            for close in list(closers):
                close()

    def request_started(self) -> None:
        """The headers are in: the deadline is met."""
        self._busy = True
        self._disarm()

    def request_ended(self, body: StreamReader) -> None:
        """The next request's bytes start its deadline (once ``body``, the answered
        request's body, has been read to its end)."""
        self._busy = False
        self._unread = None if body.is_eof() else body

    def _arm(self, *, partial: bool) -> None:
        self._disarm()
        self._partial = partial
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(self._header_timeout, self._headers_late)

    def _disarm(self) -> None:
        self._partial = False
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        transport = self.transport
        if transport is None or self._busy:
            return
        if self._partial:  # a request was under way: say why it ends
            transport.write(_LATE_HEADERS)
            log.info(
                "request.finished",
                status=_HEADER_TIMEOUT.status,
                outcome="rejected",
                code=_HEADER_TIMEOUT.code,
            )
        self.force_close()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Answer a request aiohttp could not parse (or a failed handler) in OpenAI's
        JSON shape, logged as one line."""
        self._disarm()
        if request.writer.output_size > 0:  # as aiohttp: too late for another answer
            raise ConnectionError("the response is under way; cannot send an error")
        if status >= 500:
            info = INTERNAL
            log.error("request.finished", status=status, outcome="internal_error", exc_info=exc)
        else:
            info = _malformed(exc)
            quiet = isinstance(exc, BadHttpMethod)  # TLS or junk sent to an HTTP port
            (log.debug if quiet else log.info)(
                "request.finished",
                status=info.status,
                outcome="rejected",
                code=info.code,
                error=type(exc).__name__,
            )
        response = web.json_response(info.body(), status=info.status)
        response.force_close()
        return response


class GatewaySite(web.BaseSite):
    """A TCP listener whose connections are served by :class:`GatewayProtocol`;
    ``reuse_port``: the port is shared with the other workers of a group
    (``SO_REUSEPORT``: the kernel spreads new connections over them)."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        header_timeout: float,
        reuse_port: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._reuse_port = reuse_port
        self._protocol_options = {"header_timeout": header_timeout, **options}
        self._listener: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (the requested one before :meth:`start`)."""
        if self._listener is not None and self._listener.sockets:
            port: int = self._listener.sockets[0].getsockname()[1]
            return port
        return self._port

    @property
    def name(self) -> str:
        """``http://host:port``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen."""
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        options = self._protocol_options

        def protocol() -> GatewayProtocol:
            return GatewayProtocol(server, loop=loop, **options)

        self._server = self._listener = await loop.create_server(
            protocol, self._host, self._port, reuse_port=self._reuse_port or None
        )


def bind_error(exc: OSError, host: str, port: int) -> OSError:
    """A clear error for a listener that could not start (a port in use, most often)."""
    if exc.errno == errno.EADDRINUSE:
        message = (
            f"cannot listen on {host}:{port}: the address is already in use "
            "(another gateway running? pick another --port, or --port 0 for any free one)"
        )
        clear = OSError(message)
        clear.errno = exc.errno
        return clear
    return exc
