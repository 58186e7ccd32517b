"""An ``openai.AsyncOpenAI`` / ``AsyncAzureOpenAI`` client as a :class:`Provider`.

The client streams Chat Completions; each ``ChatCompletionChunk`` goes through the same
decoder as :class:`~llm_router.providers.OpenAIProvider`'s wire events (text, tool-call
deltas, reasoning, the finish reason, the trailing usage chunk, Azure's filter chunks),
so the commit point and every field come out the same. The ``openai`` package is
imported only when a stream fails (to classify the error) and for type checking: the
caller, who built the client, has it already.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._http_errors import map_http_error
from llm_router.providers._http_where import locate_http_error, where
from llm_router.providers._openai_decode import OpenAIDecoder, error_from_event
from llm_router.providers.adapters._core import adapt, first_line
from llm_router.providers.openai import openai_messages, plain
from llm_router.types import ChatRequest, StreamChunk

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from openai import AsyncOpenAI, AsyncStream
    from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

_DEFAULT_TIMEOUTS = Timeouts()


class _Chunks:
    """``ChatCompletionChunk`` objects → chunks, through :class:`OpenAIDecoder`."""

    __slots__ = ("_decoder",)

    def __init__(self, decoder: OpenAIDecoder) -> None:
        self._decoder = decoder

    @property
    def finished(self) -> bool:
        return self._decoder.finished

    @property
    def wants_trailer(self) -> bool:
        return self._decoder.wants_trailer

    def decode_item(self, item: ChatCompletionChunk) -> list[StreamChunk]:
        # to_dict(): the fields the server sent (extra ones such as reasoning_content too)
        return self._decoder.decode("", item.to_dict(warnings=False))

    def ended(self) -> None:
        pass  # the end of the SDK's stream is not a finish signal

    def final_chunk(self) -> StreamChunk:
        return self._decoder.final_chunk()


def status_body(body: object) -> bytes:
    """An SDK exception's parsed ``body`` as bytes for :func:`map_http_error`."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    try:
        return json.dumps(body).encode()
    except (TypeError, ValueError):
        return b""


class OpenAIClientProvider:
    """Streams Chat Completions through your own ``openai.AsyncOpenAI`` (or
    ``AsyncAzureOpenAI``: then ``model`` is the deployment) client.

    Calls made through this provider use ``client.with_options(max_retries=0)``: the
    retry layer owns retries (the client you pass keeps its own settings for your
    other calls). The SDK's exceptions become the errors of :mod:`llm_router.errors`:
    connection failures ``ConnectError``, its timeout ``FirstTokenTimeout`` (``ConnectError``
    when connecting timed out), 429 ``RateLimited`` with the ``Retry-After`` /
    ``retry-after-ms`` wait, 5xx ``ServerError``, 401/403 ``AuthError``, a prompt too long
    ``ContextWindowExceeded``, other 4xx ``BadRequest``, an error event inside the stream
    by its type. ``timeouts`` are enforced here like the HTTP providers'.
    ``include_usage`` asks for the trailing usage chunk (``stream_options``).

    Example::

        from openai import AsyncOpenAI
        gpt = OpenAIClientProvider(AsyncOpenAI(), model="gpt-4o-mini", name="gpt")
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        name: str = "openai",
        include_usage: bool = True,
        timeouts: Timeouts = _DEFAULT_TIMEOUTS,
        trailer_grace: float = 0.5,
        prefill: bool = False,
    ) -> None:
        if not name or not isinstance(name, str):
            raise errors.ConfigurationError("provider name must be a non-empty string")
        if not model or not isinstance(model, str):
            raise errors.ConfigurationError(f"{name}: model must be a non-empty string")
        with_options = getattr(client, "with_options", None)
        if with_options is None or not hasattr(client, "chat"):
            raise errors.ConfigurationError(
                f"{name}: expected an openai.AsyncOpenAI client, got {type(client).__name__}"
            )
        self.name = name
        self.model = model
        self.include_usage = include_usage
        self.timeouts = timeouts
        self.trailer_grace = trailer_grace
        self.prefill = prefill
        """Whether the deployment continues a final assistant message (stream rescue)."""
        self.azure = type(client).__name__ == "AsyncAzureOpenAI"
        self._client: AsyncOpenAI = with_options(max_retries=0)

    def __repr__(self) -> str:
        return f"OpenAIClientProvider(name={self.name!r}, model={self.model!r})"

    def arguments(self, request: ChatRequest, model: str) -> dict[str, Any]:
        """The JSON body for ``request`` (without ``model``, ``messages`` and ``stream``,
        which the SDK call names)."""
        body: dict[str, Any] = {}
        for key in ("max_tokens", "temperature", "top_p", "tool_choice"):
            value = getattr(request, key)
            if value is not None:
                body[key] = plain(value)
        if request.stop is not None:
            body["stop"] = list(request.stop)
        if request.tools is not None:
            body["tools"] = plain(request.tools)
        body.update(plain(request.extra))
        return body

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream the answer; errors after the first chunk surface as ``StreamInterrupted``."""
        model = request.model or self.model
        decoder = OpenAIDecoder(
            self.name, model, want_usage=self.include_usage, await_done=self.azure
        )

        async def open_items() -> AsyncStream[ChatCompletionChunk]:
            messages = cast("list[ChatCompletionMessageParam]", openai_messages(request.messages))
            if self.include_usage:
                return await self._client.chat.completions.create(
                    model=model,
                    messages=messages,
                    stream=True,
                    stream_options={"include_usage": True},
                    extra_body=self.arguments(request, model),
                )
            return await self._client.chat.completions.create(
                model=model,
                messages=messages,
                stream=True,
                extra_body=self.arguments(request, model),
            )

        def map_error(exc: BaseException, committed: bool) -> errors.ProviderError | None:
            return self.map_error(exc, model, committed=committed)

        return adapt(
            open_items,
            _Chunks(decoder),
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            map_error=map_error,
            trailer_grace=self.trailer_grace,
        )

    def map_error(
        self, exc: BaseException, model: str, *, committed: bool = False
    ) -> errors.ProviderError | None:
        """The typed error for an exception of the ``openai`` SDK (``None``: not one)."""
        import openai

        if not isinstance(exc, openai.OpenAIError | json.JSONDecodeError):
            return None
        name, url = self.name, str(getattr(getattr(exc, "request", None), "url", "") or "")
        at = where(url, model) if url else None
        cause = exc.__cause__
        if isinstance(exc, openai.APITimeoutError):
            if cause is not None and "Connect" in type(cause).__name__:
                return errors.ConnectError("connect timeout", provider=name, model=model, where=at)
            cls = errors.IdleTimeout if committed else errors.FirstTokenTimeout
            return cls("the openai client timed out", provider=name, model=model, where=at)
        if isinstance(exc, openai.APIConnectionError):
            detail = first_line(cause or exc, "connection error")
            if committed:
                message = f"connection lost while streaming: {detail}"
                return errors.ProtocolError(message, provider=name, model=model)
            hint = "is the server running?" if "refused" in detail.lower() else None
            return errors.ConnectError(detail, provider=name, model=model, where=at, hint=hint)
        if isinstance(exc, openai.APIStatusError):
            error = map_http_error(
                exc.status_code,
                status_body(exc.body),
                exc.response.headers,
                provider=name,
                model=model,
            )
            return locate_http_error(error, url, str(self._client.base_url), model)
        if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError):
            message = f"malformed event: {first_line(exc, type(exc).__name__)}"
            return errors.ProtocolError(message, provider=name, model=model)
        if isinstance(exc, openai.APIError):  # an error event inside the stream
            return error_from_event(exc.body or {"message": exc.message}, name, model)
        return None
