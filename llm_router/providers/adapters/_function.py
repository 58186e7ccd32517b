"""Any async generator function as a :class:`Provider`, and the ``@provider`` decorator.

The function takes the :class:`~llm_router.types.ChatRequest` and yields text pieces
(``str``) or :class:`~llm_router.types.StreamChunk` values; its normal end is the
finish signal (``finish_reason="stop"``, unless it yielded a chunk with its own finish
reason, which then ends the stream). A plain ``async def`` returning the whole text
works too. Its exceptions are mapped onto :mod:`llm_router.errors` by ``errors``, so
the layers can retry and fail over on them; see :class:`FunctionProvider`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TypeAlias, overload

from llm_router import errors as errs
from llm_router.config import Timeouts
from llm_router.providers.adapters._core import adapt, first_line
from llm_router.types import ChatRequest, StreamChunk

Piece: TypeAlias = "str | StreamChunk"
StreamFunction: TypeAlias = Callable[
    [ChatRequest], "AsyncIterator[str | StreamChunk] | Awaitable[str]"
]
"""What :class:`FunctionProvider` wraps: ``async def f(request)`` that yields pieces (or
returns the whole text)."""

ErrorMap: TypeAlias = (
    "Mapping[type[BaseException], type[errs.ProviderError]]"
    " | Callable[[BaseException], errs.ProviderError | None]"
)
"""Exception class → error class (looked up along the exception's MRO), or a function
returning the typed error for an exception (``None``: not a provider failure)."""

_DEFAULT_TIMEOUTS = Timeouts()


class _Pieces:
    """A function's pieces → chunks; its end is the finish signal."""

    __slots__ = ("_final", "finished", "model", "provider", "wants_trailer")

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.finished = False
        self.wants_trailer = False
        self._final: StreamChunk | None = None

    def decode_item(self, item: str | StreamChunk) -> list[StreamChunk]:
        if isinstance(item, str):
            return [StreamChunk(item, self.provider, self.model)] if item else []
        if not isinstance(item, StreamChunk):
            raise errs.ProtocolError(
                f"the function yielded {type(item).__name__}, expected str or StreamChunk",
                provider=self.provider,
                model=self.model,
            )
        if item.provider != self.provider or not item.model:
            item = dataclasses.replace(item, provider=self.provider, model=item.model or self.model)
        if item.finish_reason is not None:
            self._final, self.finished = item, True  # delivered as the closing chunk
            return []
        if item.text or item.tool_calls or item.thinking or item.usage is not None:
            return [item]
        return []

    def ended(self) -> None:
        self.finished = True

    def final_chunk(self) -> StreamChunk:
        if self._final is not None:
            return self._final
        return StreamChunk(
            "", self.provider, self.model, finish_reason="stop", raw_finish_reason="stop"
        )


def _default_error(
    exc: BaseException, committed: bool, provider: str, model: str
) -> errs.ProviderError | None:
    if isinstance(exc, TimeoutError):
        cls: type[errs.ProviderError] = errs.IdleTimeout if committed else errs.FirstTokenTimeout
        return cls(first_line(exc, "timed out"), provider=provider, model=model)
    if isinstance(exc, ConnectionError):
        return errs.ConnectError(
            first_line(exc, type(exc).__name__), provider=provider, model=model
        )
    return None


class FunctionProvider:
    """``fn`` (see :data:`StreamFunction`) as a provider named ``name``.

    ``errors`` maps the function's own exceptions onto the error table, e.g.
    ``{QuotaExceeded: errors.RateLimited, BackendDown: errors.ServerError}`` (the class
    of the nearest mapped base wins; the message is the exception's first line), or is a
    function returning the typed error. Without a mapping, ``TimeoutError`` is a
    ``FirstTokenTimeout`` (``IdleTimeout`` after the first piece) and ``ConnectionError`` a
    ``ConnectError``; errors of :mod:`llm_router.errors` pass as they are, and any other
    exception propagates unchanged (a bug is not a provider failure). After the first
    piece a failure becomes ``StreamInterrupted`` with the partial answer. ``model`` is
    what the chunks report; ``request.model`` overrides it.

    Example::

        async def echo(request: ChatRequest) -> AsyncIterator[str]:
            for word in request.last_user_text().split():
                yield word + " "

        mine = FunctionProvider(echo, name="echo")
    """

    def __init__(
        self,
        fn: StreamFunction,
        *,
        name: str | None = None,
        model: str | None = None,
        errors: ErrorMap | None = None,
        timeouts: Timeouts = _DEFAULT_TIMEOUTS,
        prefill: bool = False,
    ) -> None:
        if not callable(fn):
            raise errs.ConfigurationError(f"expected an async function, got {type(fn).__name__}")
        name = name if name is not None else getattr(fn, "__name__", "")
        if not name or not isinstance(name, str) or name == "<lambda>":
            raise errs.ConfigurationError("provider name must be a non-empty string: pass name=")
        self.fn = fn
        self.name = name
        self.model = model or name
        self.errors = errors
        self.timeouts = timeouts
        self.prefill = prefill
        """Whether the function continues a final assistant message (stream rescue)."""

    def __repr__(self) -> str:
        fn = getattr(self.fn, "__qualname__", self.fn)
        return f"FunctionProvider(name={self.name!r}, fn={fn!r})"

    def map_error(
        self, exc: BaseException, model: str, committed: bool = False
    ) -> errs.ProviderError | None:
        """The typed error for ``exc`` raised by the function (``None``: let it propagate)."""
        table = self.errors
        if callable(table) and not isinstance(table, Mapping):
            mapped = table(exc)
            if mapped is not None:
                return mapped
        elif table:
            for base in type(exc).__mro__:
                cls = table.get(base)
                if cls is not None:
                    return cls(first_line(exc, type(exc).__name__), provider=self.name, model=model)
        return _default_error(exc, committed, self.name, model)

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream the function's pieces as chunks (see the class doc)."""
        model = request.model or self.model

        async def open_items() -> AsyncIterator[str | StreamChunk]:
            result = self.fn(request)
            if inspect.isawaitable(result):
                return _once(await result)
            return result

        def map_error(exc: BaseException, committed: bool) -> errs.ProviderError | None:
            return self.map_error(exc, model, committed)

        return adapt(
            open_items,
            _Pieces(self.name, model),
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            map_error=map_error,
        )


async def _once(value: str | StreamChunk) -> AsyncIterator[str | StreamChunk]:
    yield value


@overload
def provider(fn: StreamFunction, /) -> FunctionProvider: ...


@overload
def provider(
    *,
    name: str | None = None,
    model: str | None = None,
    errors: ErrorMap | None = None,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
) -> Callable[[StreamFunction], FunctionProvider]: ...


def provider(
    fn: StreamFunction | None = None,
    /,
    *,
    name: str | None = None,
    model: str | None = None,
    errors: ErrorMap | None = None,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
) -> FunctionProvider | Callable[[StreamFunction], FunctionProvider]:
    """Decorate an async generator function to make it a :class:`FunctionProvider`
    (``name`` defaults to the function's name)::

        @llm_router.provider(name="local", errors={httpx.ConnectError: errors.ConnectError})
        async def local(request):
            async for piece in my_client.stream(request.last_user_text()):
                yield piece
    """

    def wrap(f: StreamFunction) -> FunctionProvider:
        return FunctionProvider(f, name=name, model=model, errors=errors, timeouts=timeouts)

    return wrap if fn is None else wrap(fn)
