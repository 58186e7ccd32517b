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


DEFAULT_MAX_RESET_TIMEOUT = 30.0
"""The open period's cap when ``BreakerConfig.max_reset_timeout`` is not given."""


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """Circuit breaker knobs (docs/DESIGN.md §4.1): ``fail_max`` consecutive failures open it;
    once its open period has passed, one trial stream (one attempt) is admitted;
    ``success_threshold`` successes close it.

    The open period is adaptive: ``reset_timeout`` seconds the first time, doubled after
    each failed trial up to :attr:`cap` (``max_reset_timeout``; by default 30 s, or
    ``reset_timeout`` if longer), back to ``reset_timeout`` once closed; each period is
    stretched by a random ``0..jitter`` fraction (so replicas and deployments do not
    probe in step). A ``Retry-After`` on the failure that opens it (a 429) is honoured:
    the period is at least that long (up to the cap). The defaults bring a provider that
    blipped back within about a second, and probe one that stays down about twice a
    minute.
    """

    fail_max: int = 5
    reset_timeout: float = 1.0
    success_threshold: int = 1
    max_reset_timeout: float | None = None
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.fail_max < 1 or self.success_threshold < 1:
            raise ConfigurationError("breaker.fail_max and success_threshold must be >= 1")
        _positive("breaker", reset_timeout=self.reset_timeout)
        if self.max_reset_timeout is not None and self.max_reset_timeout < self.reset_timeout:
            raise ConfigurationError(
                f"breaker.max_reset_timeout ({self.max_reset_timeout!r}) must be >= "
                f"reset_timeout ({self.reset_timeout!r})"
            )
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"breaker.jitter must be in [0, 1], got {self.jitter!r}")

    @property
    def cap(self) -> float:
        """The longest open period before jitter: ``max_reset_timeout``, by default
        30 s or ``reset_timeout`` if that is longer."""
        if self.max_reset_timeout is not None:
            return self.max_reset_timeout
        return max(DEFAULT_MAX_RESET_TIMEOUT, self.reset_timeout)


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
