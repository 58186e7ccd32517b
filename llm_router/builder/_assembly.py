"""What the builder takes and what it returns: route entries, per-provider layer
settings, and the :class:`Assembly` — the router with every deployment it stacked and
the resources it owns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from llm_router._aio import AsyncClosing
from llm_router.capabilities import Capabilities
from llm_router.config import BreakerConfig, RetryConfig
from llm_router.layers.breaker import CircuitBreaker, SharedBreakerState
from llm_router.layers.bulkhead import Bulkhead, Slots
from llm_router.layers.routing import Candidate, Router
from llm_router.providers.session import close_shared_sessions
from llm_router.types import Provider


@dataclass(frozen=True, slots=True)
class Layers:
    """How one provider is stacked (see :func:`~llm_router.builder.stack`): its retry
    and breaker settings (``None`` leaves that layer out) and the bulkhead
    :class:`~llm_router.layers.bulkhead.Slots` its deployments share (``None``: no
    bulkhead)."""

    retry: RetryConfig | None = RetryConfig()
    breaker: BreakerConfig | None = BreakerConfig()
    slots: Slots | None = None


@dataclass(frozen=True, slots=True, eq=False)
class RouteEntry:
    """A route entry for :func:`~llm_router.builder.build_router`: a bare (unstacked)
    provider, with an optional model override, context window (tokens), weight,
    deployment name (default: ``provider.name``, or ``"<provider.name>/<model>"`` with
    an override) and layer settings (default: the builder's ``retry``, ``breaker`` and
    ``bulkheads``)."""

    provider: Provider
    model: str | None = None
    context_window: int | None = None
    weight: float = 1.0
    deployment: str | None = None
    layers: Layers | None = None
    prefill: bool | None = None
    """Whether the deployment continues a final assistant message (stream rescue);
    ``None``: the provider's own ``prefill`` attribute, else ``False``."""
    capabilities: Capabilities | None = None
    """What the deployment can serve (docs/DESIGN.md §4.6); ``None``: the provider's
    own ``capabilities`` (its type's defaults). ``context_window`` and ``prefill``,
    when given, override the values of the same name."""

    @property
    def deployment_name(self) -> str:
        """The deployment this entry names (one breaker per deployment)."""
        if self.deployment:
            return self.deployment
        base = self.provider.name
        return base if self.model is None else f"{base}/{self.model}"


@dataclass(frozen=True, slots=True, eq=False)
class Deployment:
    """One deployment as assembled: a bare ``provider`` (with its ``model`` override)
    stacked once with ``layers``; ``stacked`` is the top of that stack, ``breaker`` and
    ``bulkhead`` its layers of those kinds (``None`` where left out)."""

    name: str
    provider: Provider
    model: str | None
    layers: Layers
    stacked: Provider
    breaker: CircuitBreaker | None
    bulkhead: Bulkhead | None

    def candidate(
        self,
        context_window: int | None = None,
        weight: float = 1.0,
        prefill: bool | None = None,
        capabilities: Capabilities | None = None,
    ) -> Candidate:
        """This deployment as a route :class:`~llm_router.layers.routing.Candidate`:
        ``capabilities`` (default: :func:`capabilities_of` the provider) with
        ``context_window`` and ``prefill`` applied when given, and the provider's
        ``unsupported`` check as the candidate's ``screen``."""
        caps = capabilities or capabilities_of(self.provider)
        if context_window is not None:
            caps = caps.replace(context_window=context_window)
        if prefill is not None:
            caps = caps.replace(prefill=prefill)
        screen = getattr(self.provider, "unsupported", None)
        return Candidate(
            self.stacked,
            self.name,
            self.model,
            weight=weight,
            breaker=self.breaker,
            bulkhead=self.bulkhead,
            capabilities=caps,
            screen=screen if callable(screen) else None,
        )


def capabilities_of(provider: Provider) -> Capabilities:
    """A bare provider's capabilities: its ``capabilities`` attribute (the HTTP
    providers' type defaults), else everything allowed; a boolean ``prefill``
    attribute (``ScriptedProvider``, ``OpenAIProvider(prefill=…)``) sets ``prefill``."""
    caps = getattr(provider, "capabilities", None)
    if not isinstance(caps, Capabilities):
        caps = Capabilities()
    prefill = getattr(provider, "prefill", None)
    return caps.replace(prefill=prefill) if isinstance(prefill, bool) else caps


@dataclass(eq=False)
class Assembly(AsyncClosing):
    """What :func:`~llm_router.builder.assemble` built: the ``router``, every
    ``deployment`` it stacked (by name), and the ``shared`` breaker state the breakers
    publish to.

    The assembly owns what it must close: the event loop's shared HTTP session (its
    providers' connections) and ``shared`` when it was made for this assembly
    (``owns_shared``, e.g. the Redis state a policy asks for). :meth:`aclose` closes
    them; so does ``router.aclose()``, and ``async with`` on either. ``source`` is what
    the assembly was built from (the :class:`~llm_router.policy.Policy`, for the
    policy loader's reloads).
    """

    router: Router
    deployments: Mapping[str, Deployment]
    shared: SharedBreakerState | None = None
    owns_shared: bool = False
    source: object = field(default=None, repr=False)

    @property
    def breakers(self) -> dict[str, CircuitBreaker]:
        """Each deployment's circuit breaker, by deployment name."""
        return {n: d.breaker for n, d in self.deployments.items() if d.breaker is not None}

    @property
    def bulkheads(self) -> dict[str, Slots]:
        """Each bulkhead-limited provider's slots, by provider name."""
        return {
            d.provider.name: d.layers.slots
            for d in self.deployments.values()
            if d.layers.slots is not None
        }

    @property
    def providers(self) -> dict[str, Provider]:
        """The bare providers, by name."""
        return {d.provider.name: d.provider for d in self.deployments.values()}

    def release_shared(self) -> bool:
        """Hand :attr:`shared` over to a successor (a reload that keeps using it):
        returns whether this assembly owned it; it no longer closes it."""
        owned, self.owns_shared = self.owns_shared, False
        return owned

    async def aclose(self) -> None:
        """Close the current event loop's shared HTTP session and, if owned, the
        shared breaker state (once)."""
        await close_shared_sessions()
        if self.release_shared():
            aclose = getattr(self.shared, "aclose", None)
            if aclose is not None:  # e.g. the Redis connection of RedisBreakerState
                await aclose()
