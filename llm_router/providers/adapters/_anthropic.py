"""An ``anthropic.AsyncAnthropic`` client as a :class:`Provider`.

The request is translated like :class:`~llm_router.providers.AnthropicProvider`'s
(system prompt lifted, OpenAI-shaped tools and tool calls translated) and sent with
``client.messages.create(stream=True)``; each raw stream event goes through the same
decoder as that provider's wire events (text, thinking, tool-use blocks and their
argument pieces, stop reason, usage with cache counts). The ``anthropic`` package is
imported only to classify a failure and for type checking.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._anthropic_decode import AnthropicDecoder, error_from_payload
from llm_router.providers._anthropic_request import build_body
from llm_router.providers._http_errors import map_http_error
from llm_router.providers._http_where import locate_http_error, where
from llm_router.providers.adapters._core import adapt, first_line
from llm_router.providers.adapters._openai import status_body
from llm_router.providers.anthropic import ratelimit_reset_after
from llm_router.providers.openai import plain
from llm_router.types import ChatRequest, StreamChunk

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from anthropic import APIStatusError, AsyncAnthropic, AsyncStream
    from anthropic.types import MessageParam, RawMessageStreamEvent

_DEFAULT_TIMEOUTS = Timeouts()


class _Events:
    """Raw Messages stream events → chunks, through :class:`AnthropicDecoder`."""

    __slots__ = ("_decoder",)

    def __init__(self, decoder: AnthropicDecoder) -> None:
        self._decoder = decoder

    @property
    def finished(self) -> bool:
        return self._decoder.finished

    @property
    def wants_trailer(self) -> bool:
        return self._decoder.wants_trailer

    def decode_item(self, item: RawMessageStreamEvent) -> list[StreamChunk]:
        return self._decoder.decode(item.type, item.to_dict(warnings=False))

    def ended(self) -> None:
        pass  # the end of the SDK's stream is not a finish signal

    def final_chunk(self) -> StreamChunk:
        return self._decoder.final_chunk()


class AnthropicClientProvider:
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
        if not name or not isinstance(name, str):
            raise errors.ConfigurationError("provider name must be a non-empty string")
        if not model or not isinstance(model, str):
            raise errors.ConfigurationError(f"{name}: model must be a non-empty string")
        if not isinstance(max_tokens_default, int) or max_tokens_default < 1:
            raise errors.ConfigurationError(f"{name}: max_tokens_default must be an int >= 1")
        with_options = getattr(client, "with_options", None)
        if with_options is None or not hasattr(client, "messages"):
            raise errors.ConfigurationError(
                f"{name}: expected an anthropic.AsyncAnthropic client, got {type(client).__name__}"
            )
        self.name = name
        self.model = model
        self.max_tokens_default = max_tokens_default
        self.timeouts = timeouts
        self.trailer_grace = trailer_grace
        self.prefill = prefill
        """Whether the deployment continues a final assistant message (stream rescue)."""
        self._client: AsyncAnthropic = with_options(max_retries=0)

    def __repr__(self) -> str:
        return f"AnthropicClientProvider(name={self.name!r}, model={self.model!r})"

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

        def map_error(exc: BaseException, committed: bool) -> errors.ProviderError | None:
            return self.map_error(exc, model, committed=committed)

        return adapt(
            open_items,
            _Events(AnthropicDecoder(self.name, model)),
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            map_error=map_error,
            trailer_grace=self.trailer_grace,
        )

    def map_error(
        self, exc: BaseException, model: str, *, committed: bool = False
    ) -> errors.ProviderError | None:
        """The typed error for an exception of the ``anthropic`` SDK (``None``: not one)."""
        import anthropic

        if not isinstance(exc, anthropic.AnthropicError | json.JSONDecodeError):
            return None
        name, url = self.name, str(getattr(getattr(exc, "request", None), "url", "") or "")
        at = where(url, model) if url else None
        cause = exc.__cause__
        if isinstance(exc, anthropic.APITimeoutError):
            if cause is not None and "Connect" in type(cause).__name__:
                return errors.ConnectError("connect timeout", provider=name, model=model, where=at)
            cls = errors.IdleTimeout if committed else errors.FirstTokenTimeout
            return cls("the anthropic client timed out", provider=name, model=model, where=at)
        if isinstance(exc, anthropic.APIConnectionError):
            detail = first_line(cause or exc, "connection error")
            if committed:
                message = f"connection lost while streaming: {detail}"
                return errors.ProtocolError(message, provider=name, model=model)
            hint = "is the server running?" if "refused" in detail.lower() else None
            return errors.ConnectError(detail, provider=name, model=model, where=at, hint=hint)
        if isinstance(exc, anthropic.APIStatusError):
            return self._status_error(exc, model, url)
        if isinstance(exc, anthropic.APIResponseValidationError | json.JSONDecodeError):
            message = f"malformed event: {first_line(exc, type(exc).__name__)}"
            return errors.ProtocolError(message, provider=name, model=model)
        return None

    def _status_error(self, exc: APIStatusError, model: str, url: str) -> errors.ProviderError:
        body, status = exc.body, exc.status_code
        payload = body.get("error") if isinstance(body, Mapping) else None
        if status == 200 and isinstance(payload, Mapping):  # an error event in the stream
            return error_from_payload(payload, provider=self.name, model=model)
        raw, headers = status_body(body), exc.response.headers
        error = map_http_error(status, raw, headers, provider=self.name, model=model)
        if not isinstance(error, errors.RateLimited) and b"overloaded_error" in raw:
            error = errors.RateLimited(
                error.message, provider=self.name, status=status, model=model
            )
        if isinstance(error, errors.RateLimited) and error.retry_after is None:
            error.retry_after = ratelimit_reset_after(headers)
        return locate_http_error(error, url, str(self._client.base_url), model)
