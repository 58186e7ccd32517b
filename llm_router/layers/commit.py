"""The setup phase shared by :class:`~llm_router.layers.retry.Retry` and
:class:`~llm_router.layers.routing.Router`: the request-wide deadline and the pull of
a stream's first chunk (the commit point, docs/DESIGN.md §1.2).

Both layers open an inner stream, await its first chunk inside their error handling,
and close the stream whatever happens before they hand it on; this module holds
that code once so the two layers never import each other.

It also carries the one message the breaker sends down the stack: a half-open trial
is made as one attempt (:func:`pull_trial` marks the opening of a stream, and
:func:`one_attempt` tells the retry layer below). The mark is a context variable set
only while the trial's first chunk is awaited, so it never outlives that await nor
reaches another candidate's stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar

from llm_router.errors import ProtocolError
from llm_router.types import ChatRequest, Clock, StreamChunk


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


_ONE_ATTEMPT: ContextVar[bool] = ContextVar("llm_router_one_attempt", default=False)


def one_attempt() -> bool:
    """Whether the stream being opened must be sent once, without retry: it is a
    breaker's half-open trial (docs/DESIGN.md §4.1)."""
    return _ONE_ATTEMPT.get()


async def pull_trial(stream: AsyncIterator[StreamChunk]) -> StreamChunk | None:
    """Await the first chunk of ``stream`` (``None`` if it ends at once) with
    :func:`one_attempt` true while it opens."""
    token = _ONE_ATTEMPT.set(True)
    try:
        return await anext(stream, None)
    finally:
        _ONE_ATTEMPT.reset(token)
