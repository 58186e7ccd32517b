"""Errors as OpenAI error bodies: ``{"error": {"message", "type", "param", "code"}}``.

One mapping from the §1.3 hierarchy to HTTP statuses, used both for responses
(before commit) and for the final SSE error event (after commit):

==========================================  ======  ==========================
error                                       status  type / code
==========================================  ======  ==========================
client body invalid                         400     invalid_request_error
unknown model                               404     invalid_request_error / model_not_found
``ContextWindowExceeded``                   400     … / context_length_exceeded
``ContentFiltered``                         400     … / content_filter
other upstream ``BadRequest``               400     invalid_request_error
``RateLimited``                             429     rate_limit_error / rate_limit_exceeded
``ServerError``, ``ConnectError``,          502     upstream_error / <reason>
``ProtocolError``, ``AuthError`` (upstream)
``FirstTokenTimeout``, ``DeadlineExceeded``,504     timeout_error / <reason>
``TotalTimeout``, ``IdleTimeout``
``CircuitOpen``, ``ProviderBusy``           503     service_unavailable / circuit_open,
                                                    provider_busy
``AllProvidersFailed``                      400 / unsupported when no candidate can
                                            serve the request (§4.6); else the status
                                            every attempt agrees on (open breakers,
                                            full bulkheads, unfit candidates skipped),
                                            else 503
==========================================  ======  ==========================

An upstream's 401 is the gateway's problem, not the client's: it is a 502, never a
401. Messages carry the provider's own (clipped) message and never keys or prompts:
every message is scrubbed by :func:`llm_router.redact.redact_text` as it is sent, so
an upstream that echoes its API key, or any credential of the policy (registered
with the redactor when the policy is loaded), never reaches a client.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from llm_router import errors
from llm_router.gateway.body import RequestInvalid
from llm_router.layers.routing import UnknownModel
from llm_router.redact import redact_text


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An error ready to send: HTTP status, OpenAI error object and extra headers."""

    status: int
    message: str
    type: str
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` body (secrets scrubbed from the message)."""
        return {
            "error": {
                "message": redact_text(self.message),
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def sse_event(self) -> bytes:
        """The same error as a final SSE event (no ``[DONE]`` follows it)."""
        return b"data: " + json.dumps(self.body(), separators=(",", ":")).encode() + b"\n\n"


def _retry_after(seconds: float | None) -> dict[str, str]:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return {}
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _provider_error(exc: errors.ProviderError) -> ErrorInfo:
    message = str(exc)
    if isinstance(exc, UnknownModel):
        message = f"{exc.message} (GET /v1/models lists the models)"
        return ErrorInfo(404, message, "invalid_request_error", "model_not_found", "model")
    if isinstance(exc, errors.ContextWindowExceeded):
        return ErrorInfo(
            400, message, "invalid_request_error", "context_length_exceeded", "messages"
        )
    if isinstance(exc, errors.ContentFiltered):
        return ErrorInfo(400, message, "invalid_request_error", "content_filter")
    if isinstance(exc, errors.Unsupported):
        return ErrorInfo(400, message, "invalid_request_error", exc.reason, exc.param)
    if isinstance(exc, errors.BadRequest):
        return ErrorInfo(400, message, "invalid_request_error", exc.reason)
    if isinstance(exc, errors.RateLimited):
        return ErrorInfo(
            429,
            message,
            "rate_limit_error",
            "rate_limit_exceeded",
            None,
            _retry_after(exc.retry_after),
        )
    if exc.refused:  # open breaker, full bulkhead: nothing was asked upstream
        return ErrorInfo(503, message, "service_unavailable", exc.reason)
    if isinstance(
        exc,
        errors.FirstTokenTimeout
        | errors.DeadlineExceeded
        | errors.TotalTimeout
        | errors.IdleTimeout,
    ):
        return ErrorInfo(504, message, "timeout_error", exc.reason)
    return ErrorInfo(502, message, "upstream_error", exc.reason)


def _refused(exc: errors.LLMRouterError) -> TypeGuard[errors.ProviderError]:
    return isinstance(exc, errors.ProviderError) and exc.refused


def _unservable(exc: errors.AllProvidersFailed) -> ErrorInfo | None:
    """A 400 when no candidate could serve the request (each lacked a capability or
    refused an option), naming what was missing and the request field needing it."""
    lacks = [a.error for a in exc.attempts]
    if not lacks or not all(isinstance(e, errors.Unsupported) for e in lacks):
        return None
    missing = [e for e in lacks if isinstance(e, errors.Unsupported)]
    names = ", ".join(dict.fromkeys(e.capability for e in missing))
    where = f" of route '{exc.route}'" if exc.route else ""
    detail = "; ".join(e.message for e in missing)
    message = f"no candidate{where} can serve this request (missing: {names}): {detail}"
    return ErrorInfo(400, message, "invalid_request_error", "unsupported", missing[0].param)


def _all_failed(exc: errors.AllProvidersFailed) -> ErrorInfo:
    unservable = _unservable(exc)
    if unservable is not None:
        return unservable
    # Candidates passed over without a request (``refused``) say nothing about it.
    skipped = [e for a in exc.attempts if _refused(e := a.error)]
    infos = [error_info(a.error) for a in exc.attempts if not _refused(a.error)]
    statuses = {i.status for i in infos}
    waits = [
        a.error.retry_after
        for a in exc.attempts
        if isinstance(a.error, errors.ProviderError) and a.error.retry_after is not None
    ]
    headers = _retry_after(min(waits)) if waits else {}
    if len(statuses) == 1:
        last = infos[-1]
        return ErrorInfo(last.status, str(exc), last.type, last.code, last.param, headers)
    reasons = {e.reason for e in skipped if not isinstance(e, errors.Unsupported)}
    code = reasons.pop() if not infos and len(reasons) == 1 else "all_providers_failed"
    return ErrorInfo(503, str(exc), "service_unavailable", code, None, headers)


def error_info(exc: BaseException) -> ErrorInfo:
    """The HTTP status and OpenAI error object for ``exc`` (any exception)."""
    if isinstance(exc, RequestInvalid):
        return ErrorInfo(exc.status, exc.message, "invalid_request_error", exc.code, exc.param)
    if isinstance(exc, errors.ProviderError):
        return _provider_error(exc)
    if isinstance(exc, errors.AllProvidersFailed):
        return _all_failed(exc)
    if isinstance(exc, errors.StreamInterrupted):
        cause = _provider_error(exc.cause)
        return ErrorInfo(cause.status, str(exc), cause.type, "stream_interrupted")
    return INTERNAL


INTERNAL = ErrorInfo(500, "internal error in the gateway", "server_error", "internal_error")
"""A bug in the gateway (logged with its traceback, never shown to the client)."""


SHUTDOWN = ErrorInfo(
    503,
    "the gateway is shutting down; retry on another replica",
    "service_unavailable",
    "shutting_down",
)
"""Sent to streams still open when the shutdown grace period is over."""
