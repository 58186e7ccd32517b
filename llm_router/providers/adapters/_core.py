"""The streaming loop every adapter shares: timeouts, the commit rule, error mapping.

An adapter says how to open one stream of *items* (SDK events, a function's
strings) and how to turn each item into chunks (an :class:`ItemDecoder`, the same
contract as the HTTP providers' decoders); :func:`adapt` does the rest once:

- the ``first_token`` deadline covers opening the stream and everything up to the
  first content chunk, ``idle`` each gap after it, ``total`` the whole stream
  (``asyncio.timeout_at`` around each read; nothing is yielded inside it);
- an exception the adapter's ``map_error`` recognises becomes that typed error
  (``raise … from exc``); any other exception propagates unchanged;
- a stream that ends without its finish signal is a ``ProtocolError`` ("truncated");
  after the finish signal the answer is whole: a mapped error or a faulty item while
  waiting for a trailer ends the stream as the trailer's grace running out would;
- a :class:`~llm_router.errors.ProviderError` after the first chunk becomes
  :class:`~llm_router.errors.StreamInterrupted` carrying the partial answer;
- the item stream is always closed (``aclose()`` or ``close()``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from llm_router import errors
from llm_router.accumulate import interrupted
from llm_router.config import Timeouts
from llm_router.providers._watchdog import timeout_error
from llm_router.types import StreamChunk

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

_TRUNCATED = "truncated: stream ended without a finish signal"

ErrorMapper = Callable[[BaseException, bool], "errors.ProviderError | None"]
"""``(exception, committed) ->`` the typed error for it, or ``None`` to let it propagate."""


class ItemDecoder(Protocol[T_contra]):
    """Turns one stream's items into chunks (one decoder per stream)."""

    @property
    def finished(self) -> bool:
        """The finish signal has arrived."""
        ...

    @property
    def wants_trailer(self) -> bool:
        """After ``finished``, keep reading (up to the trailer grace) for trailing usage."""
        ...

    def decode_item(self, item: T_contra) -> list[StreamChunk]:
        """Chunks for one item; never empty chunks."""
        ...

    def ended(self) -> None:
        """The items ran out (an SDK stream's end says nothing: its finish signal is an
        event; a function's normal end is its finish signal)."""
        ...

    def final_chunk(self) -> StreamChunk:
        """The closing chunk (finish reason, usage); called once, after ``finished``."""
        ...


async def close_items(items: object) -> None:
    """Close an item stream: ``aclose()`` (async generators) or ``close()`` (SDK streams)."""
    closer = getattr(items, "aclose", None) or getattr(items, "close", None)
    if closer is not None:
        result = closer()
        if isinstance(result, Awaitable):
            await result


async def adapt(
    open_items: Callable[[], Awaitable[AsyncIterator[T]]],
    decoder: ItemDecoder[T],
    *,
    provider: str,
    model: str,
    timeouts: Timeouts,
    map_error: ErrorMapper,
    trailer_grace: float = 0.5,
) -> AsyncIterator[StreamChunk]:
    """Stream the chunks of the items ``open_items()`` returns (see the module doc)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    first_at = start + timeouts.first_token
    total_at = start + timeouts.total
    sent: list[StreamChunk] = []
    ttft: float | None = None
    items: AsyncIterator[T] | None = None
    try:
        scope = asyncio.timeout_at(min(first_at, total_at))
        try:
            async with scope:
                items = await open_items()
        except Exception as exc:
            typed = _typed(exc, scope, False, timeouts, provider, model, map_error, total_at)
            if typed is exc:
                raise
            raise typed from exc
        grace_at: float | None = None
        while True:
            if grace_at is not None:
                limit = grace_at
            elif not sent:
                limit = first_at
            else:
                limit = loop.time() + timeouts.idle
            scope = asyncio.timeout_at(min(limit, total_at))
            try:
                async with scope:
                    item = await anext(items)
            except StopAsyncIteration:
                decoder.ended()
                break
            except Exception as exc:
                if grace_at is not None and scope.expired() and scope.when() == grace_at:
                    break  # no trailer came within the grace: the stream is complete
                typed = _typed(
                    exc, scope, bool(sent), timeouts, provider, model, map_error, total_at
                )
                if typed is exc:
                    raise
                if grace_at is not None:  # lost after the finish signal: the answer is whole
                    break
                raise typed from exc
            try:
                decoded = decoder.decode_item(item)
            except errors.ProviderError:
                if grace_at is None:
                    raise
                break  # a faulty trailer after the finish signal (SPEC §1.3)
            for chunk in decoded:
                if not sent:
                    ttft = loop.time() - start
                sent.append(chunk)
                yield chunk
            if decoder.finished:
                if not decoder.wants_trailer:
                    break
                if grace_at is None:
                    grace_at = loop.time() + trailer_grace
        if not decoder.finished:
            raise errors.ProtocolError(_TRUNCATED, provider=provider, model=model)
        final = decoder.final_chunk()
        if not sent:
            ttft = loop.time() - start
        sent.append(final)
        yield final
    except errors.ProviderError as exc:
        if not sent:
            raise
        raise interrupted(
            sent,
            exc,
            provider=provider,
            model=model,
            ttft_s=ttft,
            duration_s=loop.time() - start,
        ) from exc
    finally:
        if items is not None:
            await close_items(items)


def _typed_timeout(
    scope: asyncio.Timeout,
    committed: bool,
    timeouts: Timeouts,
    provider: str,
    model: str,
    total_at: float,
) -> errors.ProviderError:
    when = scope.when()
    kind = "total" if when is not None and when >= total_at else "idle" if committed else None
    return timeout_error(kind or "first_token", timeouts, provider, model)


def _typed(
    exc: Exception,
    scope: asyncio.Timeout,
    committed: bool,
    timeouts: Timeouts,
    provider: str,
    model: str,
    map_error: ErrorMapper,
    total_at: float,
) -> Exception:
    """What to raise for ``exc``, raised while opening or reading the stream: one of
    our deadlines, ``map_error``'s typed error, or ``exc`` itself (already typed, or
    not recognised)."""
    if isinstance(exc, errors.ProviderError):
        return exc
    if isinstance(exc, TimeoutError) and scope.expired():
        return _typed_timeout(scope, committed, timeouts, provider, model, total_at)
    mapped = map_error(exc, committed)
    return exc if mapped is None else mapped


def first_line(exc: BaseException, default: str) -> str:
    """The first line of ``str(exc)`` (bounded later by the error class), or ``default``."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else default
