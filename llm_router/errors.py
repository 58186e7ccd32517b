"""The one error hierarchy of llm_router (docs/DESIGN.md §1.3).

Decisions are made with ``isinstance`` and the class attributes below, never by
matching message strings:

- ``retryable`` (per instance): the retry layer may try the same provider again;
- ``counts_against_breaker`` (per class): the breaker records a failure;
- ``fails_over`` (per class): routing may move on to the next candidate;
- ``refused`` (per class): raised before any request left (open breaker, full
  bulkhead, a capability the deployment lacks): the candidate was passed over.

Messages never contain API keys or prompt text: providers pass only the
upstream's own error message, cut to a bounded length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from llm_router.redact import redact_text
from llm_router.types import Completion, StreamChunk

_MAX_MESSAGE = 500


def _clip(message: str) -> str:
    # Upstreams sometimes echo a (masked or not) key in their error text: scrub it here,
    # once, so no layer can pass it on in a log line, a metric or an HTTP error body.
    message = redact_text(message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


class LLMRouterError(Exception):
    """Base of every error raised by llm_router."""


class ProviderError(LLMRouterError):
    """A provider failed. Carries what the next layer needs to decide."""

    default_retryable: ClassVar[bool] = False
    counts_against_breaker: ClassVar[bool] = True
    fails_over: ClassVar[bool] = True
    refused: ClassVar[bool] = False
    reason: ClassVar[str] = "error"
    """A short, label-safe reason used in metrics and logs (``fallbacks_total{reason}``)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        model: str | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = _clip(message)
        self.provider = provider
        self.status = status
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.model = model
        self.where: str | None = None
        """Where the request went (``POST <url without credentials or query keys>, model m``)."""
        self.hint: str | None = None
        """The likely cause, for a person (``is the server running?``)."""
        self.locate(where, hint)
        super().__init__(self.message)

    def locate(self, where: str | None, hint: str | None = None) -> None:
        """Record where the failed request went and the likely cause (scrubbed like
        the message: no key survives)."""
        self.where = _clip(where) if where else None
        self.hint = _clip(hint) if hint else None

    @property
    def detail(self) -> str:
        """The message with the HTTP status, where the request went and the likely cause."""
        if self.status is not None:
            at = f" at {self.where}" if self.where else ""
            place = f" (HTTP {self.status}{at})"
        else:
            place = f" ({self.where})" if self.where else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{self.message}{place}{hint}"

    def __str__(self) -> str:
        return f"{self.provider}: {self.detail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider!r}, status={self.status!r}, "
            f"retryable={self.retryable!r}, retry_after={self.retry_after!r}, "
            f"message={self.message!r})"
        )


class RateLimited(ProviderError):
    """429, or Anthropic ``overloaded_error`` / 529. Retried honouring ``retry_after``."""

    default_retryable = True
    reason = "rate_limited"


class ServerError(ProviderError):
    """5xx, or an upstream error event before commit."""

    default_retryable = True
    reason = "server_error"


class ConnectError(ProviderError):
    """DNS failure, refused or reset connection, TLS failure."""

    default_retryable = True
    reason = "connect_error"


class FirstTokenTimeout(ProviderError):
    """No first chunk within the ``first_token`` timeout."""

    default_retryable = True
    reason = "first_token_timeout"


class IdleTimeout(ProviderError):
    """The gap between two chunks exceeded the ``idle`` timeout (after commit)."""

    reason = "idle_timeout"


class TotalTimeout(ProviderError):
    """The stream as a whole exceeded the provider's ``total`` timeout."""

    reason = "total_timeout"


class AuthError(ProviderError):
    """401 or 403: the key is wrong or lacks access. Not retried, but fails over."""

    reason = "auth_error"


class ProtocolError(ProviderError):
    """Malformed stream: bad framing, an event that is not valid JSON or has the wrong
    shape, or truncated (no finish signal)."""

    default_retryable = True
    reason = "protocol_error"


class BadRequest(ProviderError):
    """Other 4xx: the caller's request is wrong. Neutral for the breaker; no failover."""

    counts_against_breaker = False
    fails_over = False
    reason = "bad_request"


class ContextWindowExceeded(BadRequest):
    """The prompt is too long for this model; fails over to a larger window."""

    fails_over = True
    reason = "context_window"


class ContentFiltered(BadRequest):
    """A content-policy refusal; fails over only where the route opts in."""

    reason = "content_filtered"


class Unsupported(BadRequest):
    """This deployment cannot serve the request: it lacks a capability the request
    needs (tools, images, a JSON schema, a large enough window…) or the request sets
    an option its API cannot honour, where dropping it would change the answer.

    Raised before any request left (``refused``): routing moves on to the next
    candidate, the breaker and the retry layer ignore it. When no candidate can serve
    the request, the caller gets a 400 naming what was missing (``capability``) and
    the request field that needs it (``param``).
    """

    fails_over = True
    refused = True
    reason = "unsupported"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        capability: str,
        param: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, retryable=False, model=model)
        self.capability = capability
        self.param = param


class CircuitOpen(ProviderError):
    """The deployment's breaker is open (or its half-open trial is taken).

    Raised before any I/O; ``retry_at`` is the clock time when a trial may be admitted.
    """

    counts_against_breaker = False
    refused = True
    reason = "circuit_open"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        retry_at: float | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, retryable=False, model=model)
        self.retry_at = retry_at


class ProviderBusy(ProviderError):
    """The provider's bulkhead has no slot: all its concurrent streams are in use and
    its wait queue is full, or no slot freed within the bulkhead's ``wait_timeout``.

    Raised before any I/O (``llm_router.layers.bulkhead``). Like ``CircuitOpen`` it
    fails over at once; it is never retried in place and never counts against the
    breaker: the provider did nothing wrong, it is just fully booked.
    """

    counts_against_breaker = False
    refused = True
    reason = "provider_busy"

    def __init__(self, message: str, *, provider: str, model: str | None = None) -> None:
        super().__init__(message, provider=provider, retryable=False, model=model)


class DeadlineExceeded(ProviderError):
    """The request-wide deadline shared by retries and failovers ran out."""

    counts_against_breaker = False
    fails_over = False
    reason = "deadline"


class StreamInterrupted(LLMRouterError):
    """A failure after commit: the caller already has part of the answer.

    ``partial`` is what was delivered (text, tool calls, provider); ``cause`` the
    error that cut the stream. Never retried, never failed over (resume is opt-in).
    """

    def __init__(
        self,
        partial: Completion,
        cause: ProviderError,
        *,
        chunks: Sequence[StreamChunk] = (),
        rescues: Sequence[Any] = (),
    ) -> None:
        self.partial = partial
        self.cause = cause
        self.provider = cause.provider
        self.chunks: tuple[StreamChunk, ...] = tuple(chunks)
        """The chunks delivered before the failure, in order."""
        self.rescues: tuple[Any, ...] = tuple(rescues)
        """The rescue attempts made (``RescueAttempt``), empty when none was tried."""
        super().__init__(
            f"{cause.provider}: stream interrupted after {partial.chunks} chunk(s): "
            f"{type(cause).__name__}: {cause.message}"
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One failed candidate of a routed request."""

    provider: str
    error: LLMRouterError


def _attempt_detail(error: LLMRouterError) -> str:
    return error.detail if isinstance(error, ProviderError) else str(error)


class AllProvidersFailed(LLMRouterError):
    """Every candidate failed before commit; ``attempts`` lists each in order, and the
    message says for each its error, where it went and the likely cause."""

    def __init__(self, attempts: Sequence[Attempt], *, route: str | None = None) -> None:
        self.attempts = tuple(attempts)
        self.route = route
        parts = "; ".join(
            f"{a.provider}: {type(a.error).__name__}: {_attempt_detail(a.error)}"
            for a in self.attempts
        )
        where = f" for route '{route}'" if route else ""
        super().__init__(f"all providers failed{where}: {parts or 'no candidates'}")


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One problem in a policy file: where it is and what is wrong."""

    file: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        path = f" {self.path}:" if self.path else ""
        return f"{where}:{path} {self.message}"


class PolicyError(LLMRouterError):
    """An invalid policy file; ``issues`` holds every problem found, not just the first."""

    def __init__(self, issues: Sequence[PolicyIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid policy")


class ConfigurationError(LLMRouterError, ValueError):
    """A provider or layer was built with bad arguments (missing key, bad URL, …)."""


__all__ = [
    "AllProvidersFailed",
    "Attempt",
    "AuthError",
    "BadRequest",
    "CircuitOpen",
    "ConfigurationError",
    "ConnectError",
    "ContentFiltered",
    "ContextWindowExceeded",
    "DeadlineExceeded",
    "FirstTokenTimeout",
    "IdleTimeout",
    "LLMRouterError",
    "PolicyError",
    "PolicyIssue",
    "ProtocolError",
    "ProviderBusy",
    "ProviderError",
    "RateLimited",
    "ServerError",
    "StreamInterrupted",
    "TotalTimeout",
    "Unsupported",
]
