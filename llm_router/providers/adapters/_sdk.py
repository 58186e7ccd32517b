"""What the two SDK adapters share: ``openai`` and ``anthropic`` are both generated
by Stainless, with the same client options and the same exception shapes under each
package's names.

- :class:`SDKClientProvider`, their base: the constructor's checks (and the client
  with ``max_retries=0``: the retry layer owns retries), the streaming loop with the
  provider's settings, and
  :meth:`~SDKClientProvider.map_error`: an SDK exception (:class:`SDKErrors` names
  the classes) as the errors of :mod:`llm_router.errors`: its timeout, connection
  failure, HTTP status (with the wrong path or model located), malformed event;
- :class:`DecoderItems`: the SDK's stream events go through the HTTP provider's
  decoder for the same wire format.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Generic, Protocol, TypeVar

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._decoder import StreamDecoder
from llm_router.providers._http_errors import map_http_error
from llm_router.providers._http_where import locate_http_error, where
from llm_router.providers.adapters._core import ItemDecoder, adapt, first_line
from llm_router.types import StreamChunk

T = TypeVar("T")


class DecoderItems:
    """The :class:`ItemDecoder` of an SDK adapter: the SDK's stream events go through
    the HTTP provider's decoder for the same wire format, which says when the stream
    is finished and what closes it. A subclass says how one SDK event becomes that
    decoder's event (``decode_item``)."""

    __slots__ = ("decoder",)

    def __init__(self, decoder: StreamDecoder) -> None:
        self.decoder = decoder

    @property
    def finished(self) -> bool:
        """The decoder saw the finish signal."""
        return self.decoder.finished

    @property
    def wants_trailer(self) -> bool:
        """The decoder waits for trailing usage."""
        return self.decoder.wants_trailer

    def ended(self) -> None:
        """Nothing: the end of the SDK's stream is not a finish signal."""

    def final_chunk(self) -> StreamChunk:
        """The decoder's closing chunk."""
        return self.decoder.final_chunk()


class _Response(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


class SDKStatusError(Protocol):
    """An SDK's ``APIStatusError``: an HTTP answer other than 200, or an error event
    the SDK raised inside a 200 stream."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def body(self) -> object:
        """The parsed error body."""
        ...

    @property
    def response(self) -> _Response:
        """The HTTP response (its headers)."""
        ...


@dataclass(frozen=True, slots=True)
class SDKErrors:
    """The exception classes of one Stainless-generated SDK: ``openai`` and
    ``anthropic`` raise the same shapes under their own names."""

    sdk: str
    """The package's name, for messages (``"openai"``)."""
    base: type[Exception]
    """Every exception of the SDK (``OpenAIError``)."""
    timeout: type[Exception]
    """``APITimeoutError``."""
    connection: type[Exception]
    """``APIConnectionError`` (the timeout is one too: checked first)."""
    status: type[SDKStatusError]
    """``APIStatusError``."""
    validation: type[Exception]
    """``APIResponseValidationError``."""

    @classmethod
    def of(cls, sdk: ModuleType, base: str) -> SDKErrors:
        """The classes of the imported package ``sdk``, whose root exception is ``base``."""
        return cls(
            sdk.__name__,
            getattr(sdk, base),
            sdk.APITimeoutError,
            sdk.APIConnectionError,
            sdk.APIStatusError,
            sdk.APIResponseValidationError,
        )


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


def http_status_error(exc: SDKStatusError, *, provider: str, model: str) -> errors.ProviderError:
    """The common status → error mapping for an SDK's ``APIStatusError``."""
    return map_http_error(
        exc.status_code,
        status_body(exc.body),
        exc.response.headers,
        provider=provider,
        model=model,
    )


class _Client(Protocol):
    @property
    def base_url(self) -> object: ...


Client = TypeVar("Client", bound=_Client)


class SDKClientProvider(Generic[Client]):
    """What :class:`~.OpenAIClientProvider` and :class:`~.AnthropicClientProvider`
    share: the constructor's checks and settings (``resource`` is the client attribute
    the adapter calls, ``expected`` the client class, for messages), the streaming loop with their
    settings (:meth:`stream_items`) and the error mapping (:meth:`map_error`). A
    subclass names its SDK's exceptions (:meth:`sdk_errors`) and may refine how an
    HTTP status (:meth:`status_error`) or another SDK exception
    (:meth:`other_error`) becomes an error."""

    def __init__(
        self,
        client: Client,
        *,
        model: str,
        name: str,
        timeouts: Timeouts,
        trailer_grace: float,
        prefill: bool,
        resource: str,
        expected: str,
    ) -> None:
        if not name or not isinstance(name, str):
            raise errors.ConfigurationError("provider name must be a non-empty string")
        if not model or not isinstance(model, str):
            raise errors.ConfigurationError(f"{name}: model must be a non-empty string")
        with_options = getattr(client, "with_options", None)
        if with_options is None or not hasattr(client, resource):
            raise errors.ConfigurationError(
                f"{name}: expected an {expected} client, got {type(client).__name__}"
            )
        self._client: Client = with_options(max_retries=0)  # the retry layer owns retries
        self.name = name
        self.model = model
        self.timeouts = timeouts
        self.trailer_grace = trailer_grace
        self.prefill = prefill
        """Whether the deployment continues a final assistant message (stream rescue)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, model={self.model!r})"

    def stream_items(
        self,
        open_items: Callable[[], Awaitable[AsyncIterator[T]]],
        items: ItemDecoder[T],
        model: str,
    ) -> AsyncIterator[StreamChunk]:
        """:func:`~._core.adapt` with this provider's settings; failures go through
        :meth:`map_error`."""

        def map_error(exc: BaseException, committed: bool) -> errors.ProviderError | None:
            return self.map_error(exc, model, committed=committed)

        return adapt(
            open_items,
            items,
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            map_error=map_error,
            trailer_grace=self.trailer_grace,
        )

    def sdk_errors(self) -> SDKErrors:
        """The SDK's exception classes (imported when a stream fails)."""
        raise NotImplementedError

    def status_error(self, exc: SDKStatusError, model: str) -> errors.ProviderError:
        """The error for an HTTP status (default: :func:`http_status_error`)."""
        return http_status_error(exc, provider=self.name, model=model)

    def other_error(self, exc: Exception, model: str) -> errors.ProviderError | None:
        """The error for an SDK exception of no other kind (default: ``None``)."""
        return None

    def map_error(
        self, exc: BaseException, model: str, *, committed: bool = False
    ) -> errors.ProviderError | None:
        """The typed error for an exception of the SDK (``None``: not one): its timeout,
        connection failure, HTTP status (:meth:`status_error`; a wrong path or model
        located), malformed event, or :meth:`other_error`'s answer."""
        sdk = self.sdk_errors()
        if not isinstance(exc, sdk.base | json.JSONDecodeError):
            return None
        name, url = self.name, str(getattr(getattr(exc, "request", None), "url", "") or "")
        at = where(url, model) if url else None
        cause = exc.__cause__
        if isinstance(exc, sdk.timeout):
            if cause is not None and "Connect" in type(cause).__name__:
                return errors.ConnectError("connect timeout", provider=name, model=model, where=at)
            cls = errors.IdleTimeout if committed else errors.FirstTokenTimeout
            message = f"the {sdk.sdk} client timed out"
            return cls(message, provider=name, model=model, where=at)
        if isinstance(exc, sdk.connection):
            detail = first_line(cause or exc, "connection error")
            if committed:
                message = f"connection lost while streaming: {detail}"
                return errors.ProtocolError(message, provider=name, model=model)
            hint = "is the server running?" if "refused" in detail.lower() else None
            return errors.ConnectError(detail, provider=name, model=model, where=at, hint=hint)
        if isinstance(exc, sdk.status):
            error = self.status_error(exc, model)
            return locate_http_error(error, url, str(self._client.base_url), model)
        if isinstance(exc, sdk.validation | json.JSONDecodeError):
            message = f"malformed event: {first_line(exc, type(exc).__name__)}"
            return errors.ProtocolError(message, provider=name, model=model)
        return self.other_error(exc, model)
