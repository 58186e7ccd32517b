"""Routes, candidates and how a request's ``model`` picks a route (docs/DESIGN.md §4.3).

Re-exported by :mod:`llm_router.layers.routing`; import them from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from llm_router.capabilities import Capabilities
from llm_router.config import RescueConfig
from llm_router.errors import ConfigurationError, Unsupported
from llm_router.observe import BreakerState
from llm_router.types import ChatRequest, Provider


class BreakerView(Protocol):
    """What the router reads from a deployment's breaker (``CircuitBreaker`` has it)."""

    @property
    def state(self) -> BreakerState:
        """``closed``, ``half_open`` or ``open``."""
        ...

    @property
    def retry_at(self) -> float | None:
        """Clock time at which an open breaker admits a trial."""
        ...

    def would_admit(self) -> bool:
        """Whether a stream started now would be let through (no side effect)."""
        ...


class BulkheadView(Protocol):
    """What the router reads from a deployment's bulkhead (``Bulkhead`` has it)."""

    @property
    def max_concurrency(self) -> int:
        """Most streams at once."""
        ...

    @property
    def max_waiting(self) -> int:
        """Most streams queued for a slot."""
        ...

    @property
    def in_use(self) -> int:
        """Slots held by open streams."""
        ...

    @property
    def waiting(self) -> int:
        """Streams queued for a slot."""
        ...


_UNDECLARED = Capabilities()

Screen = Callable[[ChatRequest], Unsupported | None]
"""A provider's check of a request before any call (``unsupported`` of the HTTP
providers): the option it cannot honour, or ``None``."""


@dataclass(frozen=True, slots=True, eq=False)
class Candidate:
    """One deployment a route may send a request to.

    ``provider`` is the stacked provider (breaker → retry → concrete provider);
    ``deployment`` its label-safe name (one breaker per deployment); ``model``
    overrides the provider's own model; ``breaker`` is the deployment's breaker, read
    to skip an open circuit without calling anything; ``bulkhead`` its concurrency
    slots (shared by the provider's deployments), read by ``status()`` and ``explain()``.

    ``capabilities`` (docs/DESIGN.md §4.6) is what the deployment can serve: the router
    skips it, before any call, for a request it cannot serve. ``context_window`` and
    ``prefill`` are the capabilities of those names, kept as plain fields: given
    beside ``capabilities`` they override its values (a ``context_window`` that is not
    ``None``, a ``prefill`` that is true), and they always read the same as
    ``capabilities`` after construction. The default declares nothing (no window, no
    limit): every request is let through. ``screen`` is the provider's own check
    of the request's options (see :data:`Screen`).
    """

    provider: Provider
    deployment: str
    model: str | None = None
    context_window: int | None = None
    weight: float = 1.0
    breaker: BreakerView | None = None
    bulkhead: BulkheadView | None = None
    prefill: bool = False
    """The deployment accepts a final assistant message to continue (stream rescue)."""
    capabilities: Capabilities = _UNDECLARED
    screen: Screen | None = None

    def __post_init__(self) -> None:
        if not self.deployment:
            raise ConfigurationError("candidate deployment name must not be empty")
        if self.weight <= 0:
            raise ConfigurationError(f"{self.deployment}: weight must be > 0")
        if self.context_window is not None and self.context_window <= 0:
            raise ConfigurationError(f"{self.deployment}: context_window must be > 0")
        caps = self.capabilities
        if self.context_window is not None:
            caps = caps.replace(context_window=self.context_window)
        if self.prefill:
            caps = caps.replace(prefill=True)
        object.__setattr__(self, "capabilities", caps)
        object.__setattr__(self, "context_window", caps.context_window)
        object.__setattr__(self, "prefill", caps.prefill)


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """A named, ordered list of candidates; the first that commits answers.

    The name is a task name, ``default``, or any alias clients send as ``model``.
    ``failover_on_content_filter``: a content-policy refusal moves on to the next
    candidate instead of reaching the caller.
    """

    name: str
    candidates: tuple[Candidate, ...]
    failover_on_content_filter: bool = False
    rescue: RescueConfig | None = None
    """How a stream of this route that breaks after commit is rescued (``None``: the
    router's default)."""

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ConfigurationError(f"route {self.name!r} has no candidates")
        object.__setattr__(self, "candidates", tuple(self.candidates))

    @property
    def deployments(self) -> tuple[str, ...]:
        """The candidates' deployment names, in order."""
        return tuple(c.deployment for c in self.candidates)
