"""An ``openai.AsyncOpenAI`` / ``AsyncAzureOpenAI`` client as a :class:`Provider`.

The client streams Chat Completions; each ``ChatCompletionChunk`` goes through the same
decoder as :class:`~llm_router.providers.OpenAIProvider`'s wire events (text, tool-call
deltas, reasoning, the finish reason, the trailing usage chunk, Azure's filter chunks),
so the commit point and every field come out the same. The ``openai`` package is
imported only when a stream fails (to classify the error) and for type checking: the
caller, who built the client, has it already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._openai_decode import OpenAIDecoder, error_from_event
from llm_router.providers.adapters._sdk import (
    DecoderItems,
    SDKClientProvider,
    SDKErrors,
)
from llm_router.providers.openai import openai_messages, openai_options
from llm_router.types import ChatRequest, StreamChunk

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from openai import AsyncOpenAI, AsyncStream
    from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

_DEFAULT_TIMEOUTS = Timeouts()


class _Chunks(DecoderItems):
    """``ChatCompletionChunk`` objects → chunks, through :class:`OpenAIDecoder`."""

    __slots__ = ()

    def decode_item(self, item: ChatCompletionChunk) -> list[StreamChunk]:
        """The decoder's chunks for one ``ChatCompletionChunk``."""
        # to_dict(): the fields the server sent (extra ones such as reasoning_content too)
        return self.decoder.decode("", item.to_dict(warnings=False))


class OpenAIClientProvider(SDKClientProvider["AsyncOpenAI"]):
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
        super().__init__(
            client,
            model=model,
            name=name,
            timeouts=timeouts,
            trailer_grace=trailer_grace,
            prefill=prefill,
            resource="chat",
            expected="openai.AsyncOpenAI",
        )
        self.include_usage = include_usage
        self.azure = type(client).__name__ == "AsyncAzureOpenAI"

    def arguments(self, request: ChatRequest, model: str) -> dict[str, Any]:
        """The JSON body for ``request`` (without ``model``, ``messages`` and ``stream``,
        which the SDK call names)."""
        return openai_options(request, self.name)

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

        return self.stream_items(open_items, _Chunks(decoder), model)

    def sdk_errors(self) -> SDKErrors:
        """The ``openai`` package's exception classes."""
        import openai

        return SDKErrors.of(openai, "OpenAIError")

    def other_error(self, exc: Exception, model: str) -> errors.ProviderError | None:
        """An error event inside the stream (a plain ``APIError``), by its type."""
        import openai

        if isinstance(exc, openai.APIError):
            return error_from_event(exc.body or {"message": exc.message}, self.name, model)
        return None
