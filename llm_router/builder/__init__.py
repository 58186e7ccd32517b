"""The one place the layers are assembled:
Router → [Bulkhead →] CircuitBreaker → Retry → provider.

The order of the layers is written here, once (docs/DESIGN.md §1). The bulkhead
(docs/DESIGN.md §4.4, only where a provider has a concurrency limit) is outermost so
that a stream waiting for a slot holds neither the breaker's half-open trial nor a
retry attempt; see
:mod:`llm_router.layers.bulkhead`. :func:`assemble` returns what it built (an
:class:`Assembly`); the policy loader (:func:`llm_router.policy.assemble_policy`) maps
a policy into its inputs.

Example — two providers, code requests to Claude first, everything else to GPT::

    from llm_router import ChatRequest, complete
    from llm_router.builder import RouteEntry, build_router
    from llm_router.providers import AnthropicProvider, OpenAIProvider

    gpt = OpenAIProvider(base_url="https://api.openai.com/v1", model="gpt-4o-mini", name="gpt")
    claude = AnthropicProvider(
        base_url="https://api.anthropic.com", model="claude-sonnet-4-5", name="claude"
    )
    routes = {"code": [claude, gpt], "default": [gpt, RouteEntry(claude)]}
    async with build_router(routes) as router:
        answer = await complete(router, ChatRequest(messages=[{"role": "user", "content": "hi"}]))
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from llm_router.builder._assembly import (
    Assembly,
    Deployment,
    Layers,
    RouteEntry,
    capabilities_of,
)
from llm_router.builder._resilient import resilient
from llm_router.builder._stack import candidate, deploy, stack
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.errors import ConfigurationError
from llm_router.layers.breaker import SharedBreakerState
from llm_router.layers.bulkhead import Slots
from llm_router.layers.routing import Candidate, Detector, Route, Router
from llm_router.observe import Hook, default_hook
from llm_router.types import Clock, Provider, Sleep

_RETRY = RetryConfig()
_BREAKER = BreakerConfig()
_RESCUE = RescueConfig()


def assemble(
    routes: Mapping[str, Sequence[RouteEntry | Provider]],
    *,
    default: str | None = None,
    direct: Sequence[RouteEntry | Provider] = (),
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    bulkheads: Mapping[str, int | Slots] | None = None,
    failover_on_content_filter: Collection[str] = (),
    detector: Detector | None = None,
    hook: Hook | None = None,
    deadline_s: float = 60.0,
    shared: SharedBreakerState | None = None,
    owns_shared: bool = False,
    keep: Mapping[str, Deployment] | None = None,
    source: object = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    rescue: RescueConfig = _RESCUE,
    route_rescue: Mapping[str, RescueConfig] | None = None,
) -> Assembly:
    """An :class:`Assembly`: a :class:`Router` over ``routes`` (route name →
    candidates in order), each deployment stacked once — a deployment in several
    routes shares one breaker — and everything it built.

    An entry's layers are its :attr:`RouteEntry.layers`, else ``retry``, ``breaker``
    and the provider's ``bulkheads`` entry: ``{"vllm": 8}`` limits the provider to 8
    concurrent streams (a queue of 8 too), or a :class:`Slots` for other queue
    settings (``Slots(8, max_waiting=0, wait_timeout=2.0)``); its deployments share it.
    ``default`` names the route that also serves as ``default`` when ``routes`` has
    no route of that name; ``direct`` adds deployments that a request's ``model`` may
    name without a route. ``failover_on_content_filter`` lists the routes that fail
    over on a content-policy refusal. ``rescue`` is how a stream that breaks after its
    first token is rescued (docs/DESIGN.md §4.5; ``RescueConfig.off()`` turns it off),
    ``route_rescue`` overrides it per route. ``keep`` hands over deployments built before
    (by name, from a previous assembly): they are used as they are, breaker state and
    bulkhead slots included. The assembly closes ``shared`` only if ``owns_shared``.
    ``hook`` receives every layer's events (:mod:`llm_router.observe`; several hooks
    combine with :func:`~llm_router.observe.fan_out`); ``None`` takes
    :func:`~llm_router.observe.default_hook` (``Logs`` once
    :func:`~llm_router.configure_logging` was called).
    """
    if not isinstance(routes, Mapping):
        hint = (
            "; build a policy's router with llm_router.load_router(path) or "
            "llm_router.policy.assemble_policy(policy)"
            if type(routes).__name__ == "Policy"
            else ""
        )
        raise TypeError(
            "build_router() takes routes as {route name: [providers]}, "
            f"got {type(routes).__name__}{hint}"
        )
    hook = default_hook() if hook is None else hook
    pools = {
        name: value if isinstance(value, Slots) else Slots(value)
        for name, value in (bulkheads or {}).items()
    }
    every = [*direct, *(e for entries in routes.values() for e in entries)]
    unknown = sorted(set(pools) - {_entry(e).provider.name for e in every})
    if unknown:
        raise ConfigurationError(f"bulkheads name unknown providers: {', '.join(unknown)}")
    built: dict[str, Deployment] = dict(keep or {})

    def place(entry: RouteEntry | Provider) -> Candidate:
        spec = _entry(entry)
        name, layers = spec.deployment_name, spec.layers
        if layers is None:
            layers = Layers(retry, breaker, pools.get(spec.provider.name))
        if name not in built:
            built[name] = deploy(
                name, spec.provider, spec.model, layers, shared, hook, clock, sleep, rng
            )
        dep = built[name]
        if dep.provider is not spec.provider or (dep.model, dep.layers) != (spec.model, layers):
            raise ConfigurationError(
                f"deployment {name!r} names two different providers, models or layer settings"
            )
        return dep.candidate(spec.context_window, spec.weight, spec.prefill, spec.capabilities)

    singles = {_entry(e).deployment_name: place(e) for e in direct}
    table: dict[str, Route] = {}
    for name, entries in routes.items():
        candidates = tuple(place(e) for e in entries)
        table[name] = Route(
            name, candidates, name in failover_on_content_filter, (route_rescue or {}).get(name)
        )
    if default is not None and "default" not in table:
        if default not in table:
            raise ConfigurationError(f"default route {default!r} is not among the routes")
        source_route = table[default]
        table["default"] = Route(
            "default",
            source_route.candidates,
            source_route.failover_on_content_filter,
            source_route.rescue,
        )
    router = Router(
        table,
        detector=detector,
        hook=hook,
        clock=clock,
        deadline_s=deadline_s,
        providers=singles,
        rng=rng,
        rescue=rescue,
    )
    used = {c.deployment for c in singles.values()} | {
        c.deployment for r in table.values() for c in r.candidates
    }
    deployments = {name: dep for name, dep in built.items() if name in used}
    assembly = Assembly(router, deployments, shared, owns_shared, source)
    router.on_close = assembly.aclose
    return assembly


def build_router(
    routes: Mapping[str, Sequence[RouteEntry | Provider]],
    *,
    default: str | None = None,
    retry: RetryConfig | None = _RETRY,
    breaker: BreakerConfig | None = _BREAKER,
    failover_on_content_filter: Collection[str] = (),
    detector: Detector | None = None,
    hook: Hook | None = None,
    deadline_s: float = 60.0,
    shared: SharedBreakerState | None = None,
    bulkheads: Mapping[str, int | Slots] | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    rescue: RescueConfig = _RESCUE,
) -> Router:
    """The :class:`Router` of :func:`assemble` (same arguments): for code that needs
    only the router. ``router.aclose()`` (or ``async with router``) closes what the
    assembly owns."""
    return assemble(
        routes,
        default=default,
        retry=retry,
        breaker=breaker,
        failover_on_content_filter=failover_on_content_filter,
        detector=detector,
        hook=hook,
        deadline_s=deadline_s,
        shared=shared,
        bulkheads=bulkheads,
        clock=clock,
        sleep=sleep,
        rng=rng,
        rescue=rescue,
    ).router


def _entry(entry: RouteEntry | Provider) -> RouteEntry:
    if isinstance(entry, RouteEntry):
        return entry
    if not callable(getattr(entry, "stream_complete", None)) or not isinstance(
        getattr(entry, "name", None), str
    ):
        raise TypeError(
            f"a route entry must be a provider (a name and stream_complete) or a "
            f"RouteEntry, got {type(entry).__name__}"
        )
    return RouteEntry(entry)


__all__ = [
    "Assembly",
    "Deployment",
    "Layers",
    "RouteEntry",
    "assemble",
    "build_router",
    "candidate",
    "capabilities_of",
    "resilient",
    "stack",
]
