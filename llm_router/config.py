"""Frozen configuration values shared by providers, layers and the policy loader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from llm_router.errors import ConfigurationError


def _positive(owner: str, **values: float) -> None:
    for key, value in values.items():
        if value <= 0:
            raise ConfigurationError(f"{owner}.{key} must be > 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """The four provider timeouts, in seconds (docs/DESIGN.md §2).

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
    """Retry knobs (docs/DESIGN.md §3): ``attempts`` in all (1 = no retry), exponential backoff
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
    """Circuit breaker knobs (docs/DESIGN.md §4.1): ``fail_max`` consecutive failures open it;
    after ``reset_timeout`` seconds one trial stream is admitted; ``success_threshold``
    successes close it."""

    fail_max: int = 5
    reset_timeout: float = 30.0
    success_threshold: int = 1

    def __post_init__(self) -> None:
        if self.fail_max < 1 or self.success_threshold < 1:
            raise ConfigurationError("breaker.fail_max and success_threshold must be >= 1")
        _positive("breaker", reset_timeout=self.reset_timeout)


RescueStrategy: TypeAlias = Literal["continue", "replay"]
"""How a committed stream that broke is rescued (DESIGN §4.5)."""

RESCUE_STRATEGIES: tuple[RescueStrategy, ...] = ("continue", "replay")


@dataclass(frozen=True, slots=True)
class RescueConfig:
    """Stream rescue after commit (DESIGN §4.5): the ``strategies`` tried in order
    (``continue`` with an assistant prefill, ``replay`` verified against what was
    delivered) and at most ``max`` rescue streams per request. No strategies or
    ``max=0`` turns rescue off (:meth:`off`)."""

    strategies: tuple[RescueStrategy, ...] = RESCUE_STRATEGIES
    max: int = 2

    def __post_init__(self) -> None:
        unknown = [s for s in self.strategies if s not in RESCUE_STRATEGIES]
        if unknown:
            raise ConfigurationError(
                f"rescue strategies must be continue or replay, got {unknown!r}"
            )
        if len(set(self.strategies)) != len(self.strategies):
            raise ConfigurationError(f"rescue strategies repeat: {list(self.strategies)!r}")
        if self.max < 0:
            raise ConfigurationError(f"rescue max must be >= 0, got {self.max!r}")

    @property
    def enabled(self) -> bool:
        """Whether a broken stream is rescued at all."""
        return bool(self.strategies) and self.max > 0

    @classmethod
    def off(cls) -> RescueConfig:
        """Rescue turned off: a failure after commit surfaces as StreamInterrupted."""
        return cls(strategies=(), max=0)
