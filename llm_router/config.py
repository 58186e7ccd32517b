"""Frozen configuration values shared by providers, layers and the policy loader."""

from __future__ import annotations

from dataclasses import dataclass

from llm_router.errors import ConfigurationError


def _positive(owner: str, **values: float) -> None:
    for key, value in values.items():
        if value <= 0:
            raise ConfigurationError(f"{owner}.{key} must be > 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """The four provider timeouts, in seconds (SPEC §2).

    ``connect``: TCP/TLS connect. ``first_token``: from sending the request to the
    first content chunk. ``idle``: longest gap between chunks after that. ``total``:
    the whole stream.
    """

    connect: float = 10.0
    first_token: float = 30.0
    idle: float = 30.0
    total: float = 600.0

    def __post_init__(self) -> None:
        _positive(
            "timeouts",
            connect=self.connect,
            first_token=self.first_token,
            idle=self.idle,
            total=self.total,
        )


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Retry knobs (SPEC §3): ``attempts`` in all (1 = no retry), exponential backoff
    with full jitter from ``initial`` up to ``max_wait``; a ``Retry-After`` above
    ``max_retry_after`` fails at once. ``retry_timeouts``: retry a first-token
    timeout in place when the deadline leaves room (default: abandon it)."""

    attempts: int = 2
    initial: float = 0.25
    max_wait: float = 4.0
    max_retry_after: float = 20.0
    retry_timeouts: bool = False

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigurationError(f"retry.attempts must be >= 1, got {self.attempts!r}")
        _positive("retry", initial=self.initial, max_wait=self.max_wait)
        if self.max_retry_after < 0:
            raise ConfigurationError("retry.max_retry_after must be >= 0")


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """Circuit breaker knobs (SPEC §4.1): ``fail_max`` consecutive failures open it;
    after ``reset_timeout`` seconds one trial stream is admitted; ``success_threshold``
    successes close it."""

    fail_max: int = 5
    reset_timeout: float = 30.0
    success_threshold: int = 1

    def __post_init__(self) -> None:
        if self.fail_max < 1 or self.success_threshold < 1:
            raise ConfigurationError("breaker.fail_max and success_threshold must be >= 1")
        _positive("breaker", reset_timeout=self.reset_timeout)
