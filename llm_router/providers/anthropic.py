"""Anthropic Messages API provider (streaming ``POST /v1/messages``, docs/DESIGN.md §2).

Request translation lives in :mod:`._anthropic_request`, event decoding in
:mod:`._anthropic_decode`; this module holds the provider and its error mapping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

import aiohttp

from llm_router import errors
from llm_router.config import Timeouts
from llm_router.providers._anthropic_decode import AnthropicDecoder
from llm_router.providers._anthropic_options import check, json_tool_name
from llm_router.providers._anthropic_request import build_body
from llm_router.providers._http import DEFAULT_TIMEOUTS, HTTPStreamProvider
from llm_router.providers.openai import plain
from llm_router.types import ChatRequest

_LIMITS = ("requests", "tokens", "input-tokens", "output-tokens")
_COUNTED = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers"}
)
"""The fields ``/v1/messages/count_tokens`` takes (no output options: ``max_tokens``,
``stream``, sampling)."""


def ratelimit_reset_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the exhausted ``anthropic-ratelimit-<limit>-reset`` (RFC 3339),
    or until the latest reset announced when none says ``remaining: 0``."""
    now = time.time() if now is None else now
    exhausted: list[float] = []
    announced: list[float] = []
    for limit in _LIMITS:
        reset = headers.get(f"anthropic-ratelimit-{limit}-reset")
        if not reset:
            continue
        try:
            at = datetime.fromisoformat(reset.strip()).timestamp()
        except ValueError:
            continue
        announced.append(at)
        if headers.get(f"anthropic-ratelimit-{limit}-remaining", "").strip() == "0":
            exhausted.append(at)
    chosen = exhausted or announced
    return max(0.0, max(chosen) - now) if chosen else None


def refine_error(
    error: errors.ProviderError,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
    model: str,
) -> errors.ProviderError:
    """The common mapping's ``error``, refined for Anthropic: an ``overloaded_error``
    body is :class:`RateLimited` whatever the status, and a rate limit without
    ``Retry-After`` waits for the ``anthropic-ratelimit-*-reset`` time."""
    if not isinstance(error, errors.RateLimited) and b"overloaded_error" in body:
        error = errors.RateLimited(
            error.message,
            provider=provider,
            status=error.status,
            retry_after=error.retry_after,
            model=model,
        )
    if isinstance(error, errors.RateLimited) and error.retry_after is None:
        error.retry_after = ratelimit_reset_after(headers)
    return error


class AnthropicProvider(HTTPStreamProvider):
    """Streams from Anthropic's Messages API.

    System and developer messages are lifted into ``system``, OpenAI-shaped tools and
    tool calls are translated, and ``max_tokens`` (required by Anthropic) defaults to
    ``max_tokens_default``. Thinking deltas arrive as ``StreamChunk.thinking``.
    ``api_key=None`` reads ``ANTHROPIC_API_KEY``; for servers that speak the Messages
    API without a key (llama.cpp's ``llama-server``, local proxies) pass
    ``require_api_key=False``: no ``x-api-key`` header is sent unless a key is given.

    ``Usage.input_tokens`` is the whole prompt: Anthropic's ``input_tokens`` (the part
    after the last cache breakpoint) plus ``cache_creation_input_tokens`` and
    ``cache_read_input_tokens``, like other providers' prompt counts. Cached tokens are
    billed at other rates (reads cheaper, writes dearer), which ``Usage`` cannot show.
    """

    wire: ClassVar[Literal["sse", "ndjson"]] = "sse"
    env_var: ClassVar[str] = "ANTHROPIC_API_KEY"
    accepts_prefill: ClassVar[bool] = True

    def __init__(
        self,
        *,
        model: str,
        base_url: str = "https://api.anthropic.com",
        api_key: str | None = None,
        name: str = "anthropic",
        anthropic_version: str = "2023-06-01",
        max_tokens_default: int = 4096,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        session: aiohttp.ClientSession | None = None,
        extra_headers: Mapping[str, str] | None = None,
        trailer_grace: float = 0.5,
        require_api_key: bool | None = None,
    ) -> None:
        if not isinstance(max_tokens_default, int) or max_tokens_default < 1:
            raise errors.ConfigurationError(f"{name}: max_tokens_default must be an int >= 1")
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            model=model,
            name=name,
            timeouts=timeouts,
            session=session,
            extra_headers=extra_headers,
            trailer_grace=trailer_grace,
            require_api_key=require_api_key,
        )
        self.anthropic_version = anthropic_version
        self.max_tokens_default = max_tokens_default

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``POST {base_url}/v1/messages`` with ``anthropic-version`` and, when there
        is a key, ``x-api-key``."""
        headers = {"anthropic-version": self.anthropic_version, "accept": "text/event-stream"}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        headers.update(self.extra_headers)
        body = build_body(
            request, model, provider=self.name, max_tokens_default=self.max_tokens_default
        )
        return f"{self.base_url}/v1/messages", headers, plain(body)

    async def count_tokens(self, request: ChatRequest, model: str | None = None) -> int:
        """The input tokens of ``request`` by Anthropic's own count (``POST
        {base_url}/v1/messages/count_tokens``: the body's countable fields, no output
        options); errors as for a stream's setup (:mod:`llm_router.errors`)."""
        model = model or request.model or self.model
        url, headers, body = self.build_request(request, model)
        counted = {k: v for k, v in body.items() if k in _COUNTED}
        built = (url + "/count_tokens", {**headers, "accept": "application/json"}, counted)
        loop = asyncio.get_running_loop()
        at = loop.time() + self.timeouts.first_token
        resp = await self._open(request, model, at, at, built)
        try:
            data = await resp.json(content_type=None)
        except (aiohttp.ClientError, ValueError) as exc:
            raise errors.ProtocolError(
                "count_tokens: not a JSON answer", provider=self.name
            ) from exc
        finally:
            resp.close()
        count = data.get("input_tokens") if isinstance(data, dict) else None
        if type(count) is not int or count < 0:
            raise errors.ProtocolError("count_tokens: no input_tokens count", provider=self.name)
        return count

    def unsupported(self, request: ChatRequest) -> errors.Unsupported | None:
        """An option Anthropic cannot honour (``logit_bias``, audio output…)."""
        return check(request, self.name)

    def decoder_for(self, request: ChatRequest, model: str) -> AnthropicDecoder:
        """A decoder that streams the input of the request's response-format tool (if
        any) as text."""
        return AnthropicDecoder(self.name, model, json_tool_name(request))

    def new_decoder(self, model: str) -> AnthropicDecoder:
        """A fresh decoder for one stream."""
        return AnthropicDecoder(self.name, model)

    def map_error(
        self, status: int, body: bytes, headers: Mapping[str, str]
    ) -> errors.ProviderError:
        """The common mapping, refined for Anthropic (:func:`refine_error`)."""
        error = super().map_error(status, body, headers)
        return refine_error(error, body, headers, provider=self.name, model=self.model)


__all__ = ["AnthropicProvider", "ratelimit_reset_after", "refine_error"]
