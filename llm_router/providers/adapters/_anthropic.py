"""An ``anthropic.AsyncAnthropic`` client as a :class:`Provider`.

The request is translated like :class:`~llm_router.providers.AnthropicProvider`'s
(system prompt lifted, OpenAI-shaped tools and tool calls translated) and sent with
``client.messages.create(stream=True)``; each raw stream event goes through the same
decoder as that provider's wire events (text, thinking, tool-use blocks and their
argument pieces, stop reason, usage with cache counts). The ``anthropic`` package is
imported only to classify a failure and for type checking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._anthropic_decode import AnthropicDecoder, error_from_payload
from llm_router.providers._anthropic_request import build_body
from llm_router.providers.adapters._sdk import (
    DecoderItems,
    SDKClientProvider,
    SDKErrors,
    SDKStatusError,
    http_status_error,
    status_body,
)
from llm_router.providers.anthropic import refine_error
from llm_router.providers.openai import plain
from llm_router.types import ChatRequest, StreamChunk

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from anthropic import AsyncAnthropic, AsyncStream
    from anthropic.types import MessageParam, RawMessageStreamEvent

_DEFAULT_TIMEOUTS = Timeouts()


class _Events(DecoderItems):
    """Raw Messages stream events → chunks, through :class:`AnthropicDecoder`."""

    __slots__ = ()

    def decode_item(self, item: RawMessageStreamEvent) -> list[StreamChunk]:
        """The decoder's chunks for one event (its ``type`` is the SSE event name)."""
        return self.decoder.decode(item.type, item.to_dict(warnings=False))


class AnthropicClientProvider(SDKClientProvider["AsyncAnthropic"]):
    """Streams Messages through your own ``anthropic.AsyncAnthropic`` client.

    Calls made through this provider use ``client.with_options(max_retries=0)`` (the
    retry layer owns retries). The SDK's exceptions become the errors of
    :mod:`llm_router.errors` as for :class:`OpenAIClientProvider`; besides, an
    ``overloaded_error`` (529) is ``RateLimited`` and a rate limit without
    ``Retry-After`` waits for the ``anthropic-ratelimit-*-reset`` time. ``max_tokens``
    (required by Anthropic) defaults to ``max_tokens_default``. The deployment continues
    a final assistant message (``prefill``, used by stream rescue).

    Example::

        from anthropic import AsyncAnthropic
        claude = AnthropicClientProvider(AsyncAnthropic(), model="claude-sonnet-4-5")
    """

    def __init__(
        self,
        client: AsyncAnthropic,
        *,
        model: str,
        name: str = "anthropic",
        max_tokens_default: int = 4096,
        timeouts: Timeouts = _DEFAULT_TIMEOUTS,
        trailer_grace: float = 0.5,
        prefill: bool = True,
    ) -> None:
        super().__init__(
            client,
            model=model,
            name=name,
            timeouts=timeouts,
            trailer_grace=trailer_grace,
            prefill=prefill,
            resource="messages",
            expected="anthropic.AsyncAnthropic",
        )
        if not isinstance(max_tokens_default, int) or max_tokens_default < 1:
            raise errors.ConfigurationError(f"{name}: max_tokens_default must be an int >= 1")
        self.max_tokens_default = max_tokens_default

    def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream the answer; errors after the first chunk surface as ``StreamInterrupted``."""
        model = request.model or self.model

        async def open_items() -> AsyncStream[RawMessageStreamEvent]:
            body = plain(
                build_body(
                    request, model, provider=self.name, max_tokens_default=self.max_tokens_default
                )
            )
            for key in ("model", "stream"):
                body.pop(key, None)
            max_tokens: int = body.pop("max_tokens")
            messages = cast("list[MessageParam]", body.pop("messages"))
            return await self._client.messages.create(
                model=model, max_tokens=max_tokens, messages=messages, stream=True, extra_body=body
            )

        return self.stream_items(open_items, _Events(AnthropicDecoder(self.name, model)), model)

    def sdk_errors(self) -> SDKErrors:
        """The ``anthropic`` package's exception classes."""
        import anthropic

        return SDKErrors.of(anthropic, "AnthropicError")

    def status_error(self, exc: SDKStatusError, model: str) -> errors.ProviderError:
        """An error event inside the stream by its type; else the common mapping,
        refined for Anthropic (:func:`~llm_router.providers.anthropic.refine_error`)."""
        body = exc.body
        payload = body.get("error") if isinstance(body, Mapping) else None
        if exc.status_code == 200 and isinstance(payload, Mapping):  # an in-stream event
            return error_from_payload(payload, provider=self.name, model=model)
        error = http_status_error(exc, provider=self.name, model=model)
        raw, headers = status_body(body), exc.response.headers
        return refine_error(error, raw, headers, provider=self.name, model=model)
