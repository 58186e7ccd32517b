"""The setup phase shared by :class:`~llm_router.layers.retry.Retry` and
:class:`~llm_router.layers.routing.Router`: the request-wide deadline and the pull of
a stream's first chunk (the commit point, docs/DESIGN.md §1.2).

Both layers open an inner stream, await its first chunk inside their error handling,
and close the stream whatever happens before they hand it on; this module holds
that code once so the two layers never import each other.

A stream past its commit point is an :class:`Opened`: its first chunk, the
innermost stream it was opened on (``rest``) and what each layer it went through must
do when it ends. The layers open through :func:`open_stream` and the router reads
``rest`` itself, so after the first chunk a chunk is yielded once, not once per
layer (docs/DESIGN.md §3); :func:`streamed` is a layer's own ``stream_complete``.

It also carries the one message the breaker sends down the stack: a half-open trial
is made as one attempt (:func:`open_trial` marks the opening of a stream, and
:func:`one_attempt` tells the retry layer below). The mark is a context variable set
only while the trial's first chunk is awaited, so it never outlives that await nor
reaches another candidate's stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar

from llm_router.errors import ProtocolError
from llm_router.types import ChatRequest, Clock, Provider, StreamChunk

End = Callable[[BaseException | None], None]
"""What a layer does when an opened stream ends: called once with how it ended
(``None``: read to its end; else the exception, ``GeneratorExit`` when the consumer
stopped early)."""


def remaining(request: ChatRequest, clock: Clock) -> float | None:
    """Seconds left before ``request.deadline_at`` (negative once past), or ``None``
    when the request has no deadline (a layer used without a router)."""
    if request.deadline_at is None:
        return None
    return request.deadline_at - clock()


async def close(stream: AsyncIterator[StreamChunk]) -> None:
    """Close ``stream`` if it can be closed (every async generator can)."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


async def pull_first(stream: AsyncIterator[StreamChunk], provider: str) -> StreamChunk:
    """Await the first chunk of ``stream``; on any failure (including cancellation)
    close the stream before re-raising, so a failed attempt never leaks.

    A stream that ends without a single chunk broke the provider contract (a
    complete stream delivers at least its finish chunk): it is a retryable
    :class:`~llm_router.errors.ProtocolError`, like a truncated stream.
    """
    try:
        return await anext(stream)
    except StopAsyncIteration:
        await close(stream)
        raise ProtocolError(
            "truncated: stream ended before its first chunk", provider=provider
        ) from None
    except BaseException:
        await close(stream)
        raise


class Opened:
    """A stream past its commit point: its ``first`` chunk, the ``rest`` of it (the
    innermost stream, which the reader reads directly) and the :data:`End` callbacks
    of the layers it was opened through, innermost first.

    Whoever reads it calls :meth:`finish` exactly once, however it ends.
    """

    __slots__ = ("ends", "first", "rest")

    def __init__(self, first: StreamChunk, rest: AsyncIterator[StreamChunk]) -> None:
        self.first = first
        self.rest = rest
        self.ends: list[End] = []

    async def finish(self, exc: BaseException | None) -> None:
        """Close ``rest``, then tell every layer (innermost first) how it ended."""
        try:
            await close(self.rest)
        finally:
            for end in self.ends:
                end(exc)


async def open_stream(provider: Provider, request: ChatRequest, name: str) -> Opened:
    """Open ``provider``'s stream to its first chunk (see :func:`pull_first`; ``name``
    names it in a truncation error): through the provider's own ``open_stream`` when it
    is a layer that has one, else through ``stream_complete``."""
    opener: Callable[[ChatRequest], Awaitable[Opened]] | None = getattr(
        provider, "open_stream", None
    )
    if opener is not None:
        return await opener(request)
    stream = provider.stream_complete(request)
    return Opened(await pull_first(stream, name), stream)


async def streamed(
    opener: Callable[[ChatRequest], Awaitable[Opened]], request: ChatRequest
) -> AsyncIterator[StreamChunk]:
    """A layer's ``stream_complete``: the stream ``opener`` opens, chunk by chunk,
    finished once however it ends."""
    opened = await opener(request)
    ended: BaseException | None = None
    try:
        yield opened.first
        async for chunk in opened.rest:
            yield chunk
    except BaseException as exc:
        ended = exc
        raise
    finally:
        await opened.finish(ended)


_ONE_ATTEMPT: ContextVar[bool] = ContextVar("llm_router_one_attempt", default=False)


def one_attempt() -> bool:
    """Whether the stream being opened must be sent once, without retry: it is a
    breaker's half-open trial (docs/DESIGN.md §4.1)."""
    return _ONE_ATTEMPT.get()


async def open_trial(provider: Provider, request: ChatRequest, name: str) -> Opened:
    """:func:`open_stream` with :func:`one_attempt` true while it opens."""
    token = _ONE_ATTEMPT.set(True)
    try:
        return await open_stream(provider, request, name)
    finally:
        _ONE_ATTEMPT.reset(token)
