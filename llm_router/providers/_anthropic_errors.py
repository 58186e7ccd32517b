"""Anthropic's stop reasons and error objects as this package's values (finish
reasons, error classes), for the stream decoder and whatever else reads Anthropic's
events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_router import errors
from llm_router.types import FinishReason

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
"""Anthropic ``stop_reason`` → normalised finish reason (unknown values → ``stop``)."""

ERROR_TYPES: dict[str, type[errors.ProviderError]] = {
    "overloaded_error": errors.RateLimited,
    "rate_limit_error": errors.RateLimited,
    "api_error": errors.ServerError,
    "timeout_error": errors.ServerError,
    "authentication_error": errors.AuthError,
    "permission_error": errors.AuthError,
    "billing_error": errors.AuthError,
    "invalid_request_error": errors.BadRequest,
    "not_found_error": errors.BadRequest,
    "request_too_large": errors.BadRequest,
}
"""Anthropic ``error.type`` → error class (unknown types → :class:`ServerError`)."""

_TOO_LONG = ("prompt is too long", "context window", "context length", "too many tokens")


def error_from_payload(
    payload: Mapping[str, Any], *, provider: str, model: str, status: int | None = None
) -> errors.ProviderError:
    """The typed error for an Anthropic error object ``{"type": ..., "message": ...}``."""
    kind = str(payload.get("type") or "")
    message = str(payload.get("message") or kind or "unknown error")
    cls = ERROR_TYPES.get(kind, errors.ServerError)
    if cls is errors.BadRequest and any(s in message.lower() for s in _TOO_LONG):
        cls = errors.ContextWindowExceeded
    return cls(
        f"{kind}: {message}" if kind else message, provider=provider, status=status, model=model
    )
