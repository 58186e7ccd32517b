"""The adaptive open period of one breaker (docs/DESIGN.md §4.1).

A breaker that opens for a fixed, long time ignores a provider that is back after a
blip; one that opens for a short time probes a provider that is down too often. So the
period starts at ``reset_timeout`` and doubles with each failed trial up to the cap
(``BreakerConfig.cap``), and a close starts it over. Each period is stretched by a
random fraction up to ``jitter`` (never shortened: a dead provider is probed at most
once per cap), and a ``Retry-After`` on the failure that opens the breaker is honoured
up to the cap.

The *nominal* period (before jitter and ``Retry-After``) is what doubles, and what
replicas share through Redis so that the next failed trial anywhere doubles the same
value.
"""

from __future__ import annotations

from collections.abc import Callable

from llm_router.config import BreakerConfig


class OpenPeriod:
    """The nominal open period and the period drawn for the current opening."""

    __slots__ = ("config", "current", "nominal", "rng")

    def __init__(self, config: BreakerConfig, rng: Callable[[], float]) -> None:
        self.config = config
        self.rng = rng
        self.nominal = config.reset_timeout
        """The period before jitter and ``Retry-After``."""
        self.current = config.reset_timeout
        """The length of the current (or last) opening, as drawn."""

    def open(self, after_trial: bool, retry_after: float | None) -> float:
        """The length of a new opening: the first one after closed (``after_trial``
        false) or the next one after a failed trial (doubled)."""
        config = self.config
        if after_trial:
            self.nominal = min(config.cap, 2.0 * self.nominal)
        else:
            self.nominal = config.reset_timeout
        period = self.nominal * (1.0 + config.jitter * self.rng())
        if retry_after is not None and retry_after > 0:
            period = max(period, min(retry_after, config.cap))
        self.current = period
        return period

    def adopt(self, retry_in: float | None, nominal: float | None) -> float:
        """A period another process decided: its time left ``retry_in`` (clamped to what
        this breaker could have drawn) and its ``nominal`` period (clamped likewise)."""
        config = self.config
        longest = config.cap * (1.0 + config.jitter)
        if nominal is not None:
            self.nominal = min(max(nominal, config.reset_timeout), config.cap)
        wait = self.nominal if retry_in is None else retry_in
        self.current = min(max(wait, 0.0), longest)
        return self.current

    def reset(self) -> None:
        """Closed: the next opening is short again."""
        self.nominal = self.current = self.config.reset_timeout
