"""What a front door of the gateway is (:class:`FrontDoor`: how one API parses a body,
shapes an error, names its headers and encodes its events), and the headers and
errors both doors share. :mod:`._lifecycle` does the rest, once, for both."""

from __future__ import annotations

from typing import Protocol, TypeVar

from aiohttp import web

from llm_router.accumulate import Accumulator
from llm_router.gateway.access import Outcome
from llm_router.gateway.errors import ErrorInfo
from llm_router.types import ChatRequest, StreamChunk

TASK_HEADER = "x-llm-router-task"
"""The request header that names the task (skips detection) and the response header
that says which task the request was routed as."""
PROVIDER_HEADER = "x-llm-router-provider"
"""The response header naming the deployment that answered."""
SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
EMPTY = ErrorInfo(502, "the upstream ended without an answer", "upstream_error", "empty_stream")
"""A stream that ended before its first chunk."""


class Parsed(Protocol):
    """A validated request as a front door's parser returns it."""

    @property
    def request(self) -> ChatRequest:
        """The request to route."""
        ...

    @property
    def stream(self) -> bool:
        """Whether the client asked for a streamed answer."""
        ...


P = TypeVar("P", bound=Parsed)


class StreamEvents(Protocol):
    """Encodes one stream's chunks as the door's SSE events."""

    def opening(self, first: StreamChunk) -> bytes:
        """The events that open the stream, ``first`` (the committed chunk) included."""
        ...

    def encode(self, chunk: StreamChunk) -> bytes:
        """The events for one later chunk (may be empty)."""
        ...

    def closing(self, first: StreamChunk) -> bytes:
        """The events that end a complete stream."""
        ...


class FrontDoor(Protocol[P]):
    """What one API's front door says; :func:`answer` does the rest."""

    def refused(self, request: web.Request) -> ErrorInfo | None:
        """An error for what the headers alone show to be wrong (``None``: go on)."""
        ...

    def parse(self, body: bytes, *, task: str | None, request_id: str) -> P:
        """The validated request (raises ``RequestInvalid``)."""
        ...

    def error(
        self, request: web.Request, info: ErrorInfo, outcome: Outcome = "rejected"
    ) -> web.Response:
        """``info`` as this API's error response, recorded as the request's outcome."""
        ...

    def error_event(self, info: ErrorInfo) -> bytes:
        """``info`` as the last event of a stream."""
        ...

    def headers(self, request_id: str, task: str) -> dict[str, str]:
        """The response headers of an answer (the provider's is added)."""
        ...

    def events(self, parsed: P) -> StreamEvents:
        """A fresh encoder for one stream's events."""
        ...

    def body(
        self, request: web.Request, acc: Accumulator, duration_s: float, headers: dict[str, str]
    ) -> web.Response:
        """The response to a non-streaming request, from the whole answer."""
        ...
