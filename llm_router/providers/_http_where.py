"""Where a failed request went and the likely cause, for the person reading the error.

A refused connection or a 404 says little by itself (``oa: ConnectError``,
``oa: Not Found``). The HTTP providers attach to such errors the method and URL they
used (:func:`display_url`: no credentials, no query keys) and the model, and a hint at
the usual cause: nothing listening on the port, a ``base_url`` without ``/v1`` (OpenAI
compatible servers) or ``/v1beta`` (Gemini), a wrong model name.
"""

from __future__ import annotations

import socket
import ssl

import aiohttp
from yarl import URL

from llm_router import errors

_KEPT_QUERY = frozenset({"alt", "api-version"})
"""Query parameters shown in errors; every other one (Gemini's ``key=``, SAS
signatures, tokens) is dropped."""


def display_url(url: str) -> str:
    """``url`` as errors may show it: without user info, fragment or any query
    parameter but ``alt`` and ``api-version``."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return "<invalid URL>"
    if not parsed.is_absolute():
        return "<invalid URL>"
    kept = [(k, v) for k, v in parsed.query.items() if k in _KEPT_QUERY]
    return str(parsed.with_user(None).with_fragment(None).with_query(kept))


def where(url: str, model: str, method: str = "POST") -> str:
    """``POST http://host:port/path, model m`` (see :func:`display_url`)."""
    return f"{method} {display_url(url)}, model {model}"


def _host_port(url: str) -> str:
    parsed = URL(url)
    return f"{parsed.host}:{parsed.port}"


def connect_failure(
    exc: BaseException, url: str, connect_timeout: float | None = None
) -> tuple[str, str | None]:
    """The message and the hint for a failure to connect to ``url``.

    ``connect_timeout`` set means the connect phase timed out (``exc`` is the timeout).
    """
    at = _host_port(url)
    host = URL(url).host
    if connect_timeout is not None:
        return (
            f"connect timeout after {connect_timeout:g} s to {at}",
            "is the host reachable and the port right?",
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (
            f"TLS certificate of {at} not accepted",
            "is the host name right and its certificate trusted?",
        )
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return (
            f"TLS handshake with {at} failed",
            "does the server speak https? (use http:// for a plain-HTTP server)",
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, socket.gaierror):
            return f"cannot resolve host {host}", "is the host name in base_url right?"
        if isinstance(os_error, ConnectionRefusedError):
            return f"connection refused at {at}", "is the server running?"
        reason = os_error.strerror or type(os_error).__name__
        return f"cannot connect to {at}: {reason}", "is the host reachable?"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{at} closed the connection before answering", None
    return f"{type(exc).__name__} talking to {at}: {exc}", None


def connect_error(
    exc: BaseException,
    url: str,
    provider: str,
    model: str,
    connect_timeout: float | None = None,
) -> errors.ConnectError:
    """The :class:`~llm_router.errors.ConnectError` for a failure to reach ``url``,
    naming where and the likely cause (see :func:`connect_failure`)."""
    message, hint = connect_failure(exc, url, connect_timeout)
    return errors.ConnectError(
        message, provider=provider, model=model, where=where(url, model), hint=hint
    )


def not_found_hint(message: str, url: str, base_url: str) -> str:
    """The likely cause of a 404/405 from ``url`` (built from ``base_url``)."""
    lowered = message.lower()
    if "model" in lowered:
        return "is the model name right (and served by this server)?"
    path = URL(url).path
    base = URL(base_url).path.rstrip("/")
    if "/openai/deployments/" in path or "deployment" in lowered:
        return "are the deployment name and api-version right?"
    if ":streamGenerateContent" in path:
        if not base.endswith(("/v1beta", "/v1")):
            return "does base_url need /v1beta? (https://generativelanguage.googleapis.com/v1beta)"
        return "is the model name right?"
    if path.endswith("/chat/completions") and not base.endswith("/v1"):
        return "does base_url need /v1?"
    if path.endswith("/v1/messages") and base.endswith("/v1"):
        return "base_url should not end in /v1: /v1/messages is added to it"
    if path.endswith("/api/chat") and base.endswith("/v1"):
        return "base_url should not end in /v1: OllamaProvider calls /api/chat"
    return "is base_url right?"


def locate_http_error(
    error: errors.ProviderError, url: str, base_url: str, model: str
) -> errors.ProviderError:
    """``error`` (from a non-200 answer to ``url``), and for a 404/405 (a wrong path
    or model, where the URL is the news) where it went and the likely cause."""
    if error.status in (404, 405):
        error.locate(where(url, model), not_found_hint(error.message, url, base_url))
    return error
