"""Client authentication: bearer keys from the policy's ``server.api_keys``.

Every key is compared in constant time (:func:`hmac.compare_digest`), and all keys
are compared on every request so timing does not reveal which one is close. With
no keys configured the gateway is open (the server logs a warning at start-up).
``/healthz``, ``/readyz`` and ``/metrics`` stay open for probes and Prometheus
scrapers; put them behind your network policy if that matters. Any bytes a client
puts in the header, UTF-8 or not, get a 401, never an error.
"""

from __future__ import annotations

import hmac

from llm_router.gateway.errors import ErrorInfo

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths that never require a key."""


def check_bearer(header: str | None, keys: tuple[bytes, ...]) -> ErrorInfo | None:
    """``None`` if ``header`` (an ``Authorization`` value) holds one of ``keys``."""
    if not keys:
        return None
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ErrorInfo(
            401,
            "You didn't provide an API key: send 'Authorization: Bearer <key>'.",
            "invalid_request_error",
            "invalid_api_key",
        )
    # aiohttp decodes header bytes that are not UTF-8 to lone surrogates; encode them
    # back the same way, so such a header compares (unequal) instead of raising.
    given = token.strip().encode("utf-8", "surrogatepass")
    ok = False
    for key in keys:
        ok |= hmac.compare_digest(given, key)
    if ok:
        return None
    return ErrorInfo(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
