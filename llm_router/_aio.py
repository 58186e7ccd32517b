"""Small asyncio helpers shared by the layers: :func:`closing` (an inner stream),
:class:`AsyncClosing` (``async with`` for whatever is released by ``aclose()``), and
the context variables through which a stream's consumer and its provider cooperate:
:data:`UPSTREAM_READS` (a consumer told when a stream waits for its upstream),
:data:`CHUNK_SINK` (a consumer that takes chunks from the upstream's callback) and
:data:`CLIENT_GONE`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

if TYPE_CHECKING:
    from llm_router.types import StreamChunk

T = TypeVar("T")

UPSTREAM_READS: ContextVar[Callable[[bool], None] | None] = ContextVar(
    "llm_router_upstream_reads", default=None
)
"""Set by a consumer that batches its output (the gateway's event writer): a provider
stream read in that context calls it with ``True`` just before each read from its
upstream, and with ``False`` once when it ends. The consumer then flushes what it has
queued exactly when the stream is about to wait, and knows the stream will tell it
again; after ``False`` (or from a provider that never calls it) the consumer must
flush on its own. The callback never raises and never suspends."""

Sink = Callable[[list["StreamChunk"]], tuple[int, bool]]
"""Takes chunks in order, from the front of the list it is given: how many it took,
and whether it takes more. It never raises and never suspends."""

CHUNK_SINK: ContextVar[Sink | None] = ContextVar("llm_router_chunk_sink", default=None)
"""Set by a consumer that can take a stream's chunks from a callback, without
suspending (the gateway's relay: it encodes and queues them). The router takes it for
itself and sets it only while it reads a committed stream directly (counting what
passes), never while a stream is opening or being rescued; an HTTP provider stream read
in that context hands its later chunks to it from the upstream connection's callback
instead of yielding them (``providers/_tap.py``), a read's chunks in one call. A
chunk the sink did not take is yielded as usual, and once it wants no more nothing is
offered to it until a chunk has been yielded (where the consumer waits for its own
reader)."""

CLIENT_GONE: ContextVar[set[Callable[[], None]] | None] = ContextVar(
    "llm_router_client_gone", default=None
)
"""Set by a consumer that hears of its client leaving before its task does (the
gateway's connection, whose ``connection_lost`` runs loop turns before the cancelled
handler does): a provider stream read in that context adds a callback closing its
upstream response while the response is open, and removes it when it ends. The
consumer calls them, once its task is cancelled, so the upstream connection closes in
that turn. The callbacks never raise and never suspend."""


@asynccontextmanager
async def closing(stream: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Like :func:`contextlib.aclosing`, for any async iterator: calls ``aclose()``
    on exit when the iterator has one (every async generator does)."""
    try:
        yield stream
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


class AsyncClosing:
    """Mixin for what is released with ``await obj.aclose()``: ``async with obj:``
    gives ``obj`` and awaits :meth:`aclose` on the way out, whatever happened."""

    __slots__ = ()

    async def aclose(self) -> None:
        """Release what the object holds (subclasses implement)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
