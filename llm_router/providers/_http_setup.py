"""The setup phase of every HTTP provider: configuration and sending the request.

:class:`HTTPSetup` is the base of :class:`~llm_router.providers._http.HTTPStreamProvider`:
it validates the constructor arguments (URL, model, API key from the environment),
holds the subclass hooks (:meth:`~HTTPSetup.build_request`, :meth:`~HTTPSetup.new_decoder`,
:meth:`~HTTPSetup.map_error`) and sends the request under one ``asyncio.timeout_at``,
turning connection failures and non-200 answers into typed errors. The streaming loop
that reads the 200 answer lives in :mod:`llm_router.providers._http`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp
from yarl import URL

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._decoder import StreamDecoder
from llm_router.providers._http_errors import map_http_error
from llm_router.providers._watchdog import read_bounded, timeout_error
from llm_router.providers.session import env_options, shared_session
from llm_router.types import ChatRequest

DEFAULT_TIMEOUTS = Timeouts()
_NO_OPTIONS: Mapping[str, Any] = {}


class HTTPSetup:
    """Configuration, subclass hooks and the request phase of an HTTP provider (the
    base of :class:`~llm_router.providers._http.HTTPStreamProvider`, which documents
    the constructor)."""

    env_var: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    """``base_url`` when none is given (a subclass's public endpoint)."""
    default_name: ClassVar[str] = ""
    """``name`` when none is given."""
    key_required: ClassVar[bool] = True
    """``require_api_key`` when not given (False for servers that need no key)."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        name: str | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        session: aiohttp.ClientSession | None = None,
        extra_headers: Mapping[str, str] | None = None,
        max_malformed_events: int = 3,
        trailer_grace: float = 0.5,
        require_api_key: bool | None = None,
        env_var: str | None = None,
    ) -> None:
        env_var = self.env_var if env_var is None else env_var
        base_url = self.default_base_url if base_url is None else base_url
        name = self.default_name if name is None else name
        require_api_key = self.key_required if require_api_key is None else require_api_key
        if not name or not isinstance(name, str):
            raise errors.ConfigurationError("provider name must be a non-empty string")
        if not model or not isinstance(model, str):
            raise errors.ConfigurationError(f"{name}: model must be a non-empty string")
        url = URL(base_url) if isinstance(base_url, str) else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise errors.ConfigurationError(
                f"{name}: base_url must be an http(s) URL with a host, got {base_url!r}"
            )
        if api_key is None and env_var:
            api_key = os.environ.get(env_var)
        if require_api_key and not api_key:
            where = f"set {env_var} or " if env_var else ""
            raise errors.ConfigurationError(
                f"{name}: no API key; {where}pass api_key= to {type(self).__name__}"
            )
        if max_malformed_events < 0 or trailer_grace < 0:
            raise errors.ConfigurationError(
                f"{name}: max_malformed_events and trailer_grace must be >= 0"
            )
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts
        self.extra_headers: dict[str, str] = dict(extra_headers or {})
        self.max_malformed_events = max_malformed_events
        self.trailer_grace = trailer_grace
        self.malformed_events_total = 0
        """Malformed events skipped over this provider's lifetime (all streams)."""
        self._api_key = api_key or None
        self._session = session
        self._client_timeout = aiohttp.ClientTimeout(
            total=None, connect=timeouts.connect, sock_connect=timeouts.connect
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, model={self.model!r}, "
            f"base_url={self.base_url!r})"
        )

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL, headers and JSON body for ``request`` (subclasses implement)."""
        raise NotImplementedError

    def new_decoder(self, model: str) -> StreamDecoder:
        """A fresh decoder for one stream (subclasses implement)."""
        raise NotImplementedError

    def map_error(
        self, status: int, body: bytes, headers: Mapping[str, str]
    ) -> errors.ProviderError:
        """The typed error for a non-200 answer (the common mapping; refine in subclasses)."""
        return map_http_error(status, body, headers, provider=self.name, model=self.model)

    def _error(
        self, cls: type[errors.ProviderError], message: str, model: str
    ) -> errors.ProviderError:
        return cls(message, provider=self.name, model=model)

    async def _open(
        self, request: ChatRequest, model: str, first_at: float, total_at: float
    ) -> aiohttp.ClientResponse:
        """Send the request and return a 200 response (the setup phase, one timeout)."""
        url, headers, body = self.build_request(request, model)
        session = self._session
        timeout = asyncio.timeout_at(min(first_at, total_at))
        try:
            async with timeout:
                if session is None:
                    session = shared_session()
                    options = await env_options(self.base_url)
                else:
                    options = _NO_OPTIONS
                resp = await session.post(
                    url, json=body, headers=headers, timeout=self._client_timeout, **options
                )
                if resp.status == 200:
                    return resp
                try:
                    err_body = await read_bounded(resp.content)
                finally:
                    resp.close()
        except aiohttp.ServerTimeoutError as exc:
            raise self._error(errors.ConnectError, "connect timeout", model) from exc
        except TimeoutError as exc:  # before OSError: TimeoutError is an OSError
            if not timeout.expired():
                raise self._error(errors.ConnectError, "connect timeout", model) from exc
            kind = "total" if total_at <= first_at else "first_token"
            raise timeout_error(kind, self.timeouts, self.name, model) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise self._error(errors.ConnectError, f"{type(exc).__name__}: {exc}", model) from exc
        raise self.map_error(resp.status, err_body, resp.headers)


__all__ = ["DEFAULT_TIMEOUTS", "HTTPSetup"]
