"""Small asyncio helpers shared by the layers: :func:`closing` (an inner stream) and
:class:`AsyncClosing` (``async with`` for whatever is released by ``aclose()``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self, TypeVar

T = TypeVar("T")


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
