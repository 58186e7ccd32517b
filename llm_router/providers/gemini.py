"""Google Gemini API provider (``:streamGenerateContent?alt=sse``, docs/DESIGN.md §2).

Request translation lives in :mod:`._gemini_request`, payload decoding in
:mod:`._gemini_decode`; this module holds the provider and its error mapping. The key
travels in the ``x-goog-api-key`` header, never in the URL, so it cannot leak into
access logs or error messages that quote the URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from llm_router import errors
from llm_router.providers._gemini_decode import STATUS_ERRORS, GeminiDecoder
from llm_router.providers._gemini_request import build_body, check
from llm_router.providers._http import HTTPStreamProvider
from llm_router.providers._http_errors import parse_duration
from llm_router.providers.openai import plain
from llm_router.types import ChatRequest

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
# Classes a Google RPC status settles on its own, whatever the HTTP status says.
_DEFINITIVE = ("RESOURCE_EXHAUSTED", "UNAVAILABLE", "PERMISSION_DENIED", "UNAUTHENTICATED")


def _error_object(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    if isinstance(data, list) and data:  # the streaming endpoint wraps errors in a list
        data = data[0]
    error = data.get("error") if isinstance(data, Mapping) else None
    return error if isinstance(error, Mapping) else {}


def retry_delay(error: Mapping[str, Any]) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail (``"retryDelay": "24s"``)."""
    details = error.get("details")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, Mapping) and detail.get("@type") == _RETRY_INFO:
            delay = detail.get("retryDelay")
            return parse_duration(delay) if isinstance(delay, str) else None
    return None


class GeminiProvider(HTTPStreamProvider):
    """Streams from the Gemini API (Google AI Studio).

    System messages become ``systemInstruction``, assistant turns role ``model``,
    OpenAI-shaped tools ``functionDeclarations``; function calls arrive whole as tool
    calls. ``api_key=None`` reads ``GEMINI_API_KEY``.
    """

    wire: ClassVar[Literal["sse", "ndjson"]] = "sse"
    env_var: ClassVar[str] = "GEMINI_API_KEY"

    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com/v1beta"
    default_name: ClassVar[str] = "gemini"

    def build_request(
        self, request: ChatRequest, model: str
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``POST {base_url}/models/{model}:streamGenerateContent?alt=sse``."""
        model_id = model.removeprefix("models/")
        url = f"{self.base_url}/models/{quote(model_id, safe='-._~')}:streamGenerateContent?alt=sse"
        headers = {
            "x-goog-api-key": self._api_key or "",
            "accept": "text/event-stream",
            **self.extra_headers,
        }
        return url, headers, plain(build_body(request, provider=self.name, model=model_id))

    def unsupported(self, request: ChatRequest) -> errors.Unsupported | None:
        """An option Gemini cannot honour (``logit_bias``, audio output…)."""
        return check(request, self.name)

    def new_decoder(self, model: str) -> GeminiDecoder:
        """A fresh decoder for one stream."""
        return GeminiDecoder(self.name, model)

    def map_error(
        self, status: int, body: bytes, headers: Mapping[str, str]
    ) -> errors.ProviderError:
        """The common mapping, refined by the Google RPC ``status`` of the error body:
        ``RESOURCE_EXHAUSTED`` → rate limited (waiting the ``RetryInfo`` delay),
        ``UNAVAILABLE`` → server error, ``PERMISSION_DENIED`` / ``UNAUTHENTICATED`` and
        an invalid API key (a 400 ``API_KEY_INVALID``) → auth error."""
        error = super().map_error(status, body, headers)
        payload = _error_object(body)
        rpc = str(payload.get("status") or "")
        cls: type[errors.ProviderError] = type(error)
        if rpc in _DEFINITIVE:
            cls = STATUS_ERRORS[rpc]
        elif b"API_KEY_INVALID" in body:
            cls = errors.AuthError
        retry_after = error.retry_after
        if cls is errors.RateLimited and retry_after is None:
            retry_after = retry_delay(payload)
        if cls is type(error) and retry_after == error.retry_after:
            return error
        return cls(
            error.message,
            provider=self.name,
            status=status,
            retry_after=retry_after,
            model=self.model,
        )


__all__ = ["GeminiProvider", "retry_delay"]
