"""Policy → the builder's inputs → :class:`~llm_router.builder.Assembly`.

The layers are built in one place, :func:`llm_router.builder.assemble`; this module
maps a :class:`~llm_router.policy.model.Policy` into its inputs: each declared provider
built once, one :class:`~llm_router.builder.RouteEntry` per candidate (the provider, or
``provider/model`` where a route overrides the model) with that provider's own retry,
breaker and bulkhead settings (:class:`~llm_router.builder.Layers`), the task
detector, the deadline and the shared breaker state (Redis when ``breaker_storage``
says so). A deployment that appears in several routes shares one breaker; a provider
with ``max_concurrency`` gets one :class:`~llm_router.layers.bulkhead.Slots` that all
its deployments share. On reload the previous assembly hands over what did not change.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from llm_router.builder import Assembly, Deployment, Layers, RouteEntry, assemble
from llm_router.layers.breaker import SharedBreakerState
from llm_router.layers.bulkhead import Slots
from llm_router.layers.routing import Router
from llm_router.observe import Hook, default_hook, fan_out
from llm_router.policy.model import CandidateSpec, Policy, ProviderSpec
from llm_router.policy.providers import build_provider, deployment_capabilities
from llm_router.policy.validate import load_policy
from llm_router.tasks import DetectorConfig, Rule, TaskDetector
from llm_router.types import Clock, Provider, Sleep


def detector_config(policy: Policy) -> DetectorConfig:
    """The task detector's configuration from the policy's ``tasks`` section."""
    tasks = policy.tasks
    return DetectorConfig(
        long_context_tokens=tasks.long_context_tokens,
        rules=tuple(Rule(r.task, r.pattern, r.weight) for r in tasks.rules),
        disabled=tasks.disabled,
    )


def shared_breaker_state(policy: Policy) -> SharedBreakerState | None:
    """The Redis-backed shared breaker state the policy asks for, or ``None``.

    Called inside a running event loop it is started at once (in the background: the
    hot path never waits on Redis); otherwise ``await state.start()`` before use. Its
    owner closes it with ``await state.aclose()`` (an assembly from
    :func:`assemble_policy` owns the state it makes).
    """
    storage = policy.breaker_storage
    if storage.kind != "redis" or storage.url is None:
        return None
    module = importlib.import_module("llm_router.layers.breaker.redis")
    prefix = storage.key_prefix.rstrip(":") + ":"
    shared: Any = module.RedisBreakerState(storage.url, prefix=prefix)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return cast(SharedBreakerState, shared)
    task = loop.create_task(shared.start(), name="llm_router.policy.redis_start")
    _STARTING.add(task)
    task.add_done_callback(_STARTING.discard)
    return cast(SharedBreakerState, shared)


_STARTING: set[asyncio.Task[None]] = set()


def metrics_hook(policy: Policy, registry: Any = None) -> Hook:
    """A Prometheus :class:`~llm_router.observe.metrics.Metrics` hook whose label sets
    and prices come from the policy's deployments."""
    metrics = importlib.import_module("llm_router.observe.metrics")
    models: dict[str, str] = {}
    prices: dict[str, Any] = {}
    for dep, provider, model in deployments(policy):
        models[dep] = model
        if provider.prices is not None:
            p = provider.prices
            prices[dep] = metrics.Price(
                input=p.input_per_mtok,
                output=p.output_per_mtok,
                cached_input=p.cached_input_per_mtok,
                cache_write=p.cache_write_per_mtok,
            )
    hook: Hook = metrics.Metrics(registry, prices=prices, providers=list(models), models=models)
    return hook


def deployments(policy: Policy) -> list[tuple[str, ProviderSpec, str]]:
    """Every deployment of the policy: ``(name, provider, model)``, providers first."""
    out = {name: (name, spec, spec.model) for name, spec in policy.providers.items()}
    for route in policy.routes.values():
        for cand in route.candidates:
            spec = policy.providers[cand.provider]
            out.setdefault(cand.deployment, (cand.deployment, spec, cand.model or spec.model))
    return list(out.values())


def assemble_policy(
    policy: Policy,
    *,
    hook: Hook | None = None,
    registry: Any = None,
    shared: SharedBreakerState | None = None,
    providers: Mapping[str, Provider] | None = None,
    previous: Assembly | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Assembly:
    """The :class:`~llm_router.builder.Assembly` (router, deployments, shared breaker
    state) that ``policy`` describes, built by :func:`llm_router.builder.assemble`.

    ``hook`` receives every event (``None``: :func:`~llm_router.observe.default_hook`).
    With a Prometheus ``registry``, a
    :class:`~llm_router.observe.metrics.Metrics` hook whose label sets come from the
    policy records there too. ``shared`` overrides the policy's ``breaker_storage``
    (the caller keeps closing it); otherwise the assembly owns the state it makes.
    ``providers`` replaces declared providers by name with your own concrete ones
    (tests, custom clients). ``previous`` (an assembly built here, on reload) hands
    over its deployments whose provider settings did not change, so their breakers
    keep their state and their bulkheads their slots, and its shared breaker state
    while ``breaker_storage`` is unchanged. ``clock``, ``sleep`` and ``rng`` are
    injected into every layer.
    """
    hooks = [] if registry is None else [metrics_hook(policy, registry)]
    hook = default_hook() if hook is None else hook
    hooks += [] if hook is None else [hook]
    before = previous.source if previous is not None else None
    before = before if isinstance(before, Policy) else None
    inherit = (
        shared is None and before is not None and before.breaker_storage == policy.breaker_storage
    )
    if inherit and previous is not None:
        shared = previous.shared  # reload: keep one Redis connection, not one per build
    owns = shared is None
    if shared is None:
        shared = shared_breaker_state(policy)
    given = providers or {}
    was = {dep: (spec, model) for dep, spec, model in deployments(before)} if before else {}
    keep: dict[str, Deployment] = {}
    pools: dict[str, Slots] = {}  # a provider keeps its slots while a deployment is kept
    for dep, spec, model in deployments(policy):
        old = previous.deployments.get(dep) if previous is not None else None
        if old is None or was.get(dep) != (spec, model) or spec.name in given:
            continue
        keep[dep] = old
        if old.layers.slots is not None:
            pools.setdefault(spec.name, old.layers.slots)
    layers = {name: _layers(spec, pools) for name, spec in policy.providers.items()}
    raw: dict[str, Provider] = {}

    def entry(dep: str, spec: ProviderSpec, cand: CandidateSpec | None) -> RouteEntry:
        kept = keep.get(dep)
        if kept is not None:
            bare = kept.provider
        else:
            if spec.name not in raw:
                raw[spec.name] = given.get(spec.name) or build_provider(spec, sleep=sleep)
            bare = raw[spec.name]
        if cand is None:
            return RouteEntry(
                bare,
                deployment=dep,
                layers=layers[spec.name],
                capabilities=deployment_capabilities(spec, bare),  # prefill, window too
            )
        return RouteEntry(
            bare,
            model=cand.model,
            weight=cand.weight,
            deployment=dep,
            layers=layers[spec.name],
            capabilities=deployment_capabilities(spec, bare, cand),  # prefill, window too
        )

    direct = [entry(name, spec, None) for name, spec in policy.providers.items()]
    routes = {
        name: [entry(c.deployment, policy.providers[c.provider], c) for c in route.candidates]
        for name, route in policy.routes.items()
    }
    assembly = assemble(
        routes,
        direct=direct,
        failover_on_content_filter={
            n for n, r in policy.routes.items() if r.failover_on_content_filter
        },
        detector=TaskDetector(detector_config(policy)),
        hook=fan_out(*hooks) if hooks else None,
        deadline_s=policy.deadline,
        rescue=policy.rescue,
        route_rescue={n: r.rescue for n, r in policy.routes.items() if r.rescue is not None},
        shared=shared,
        owns_shared=owns,
        keep=keep,
        source=policy,
        clock=clock,
        sleep=sleep,
        rng=rng,
    )
    if inherit and previous is not None:
        assembly.owns_shared = previous.release_shared()
    return assembly


def _layers(spec: ProviderSpec, pools: dict[str, Slots]) -> Layers:
    """The provider's layer settings; its one bulkhead pool (``None`` without
    ``max_concurrency``), reused from ``pools`` when kept."""
    slots = pools.get(spec.name)
    if slots is None and spec.max_concurrency is not None:
        slots = Slots(spec.max_concurrency, spec.max_waiting, spec.wait_timeout)
    return Layers(spec.retry, spec.breaker, slots)


def load_router(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> Router:
    """The router of ``assemble_policy(load_policy(path, env=env), **options)``;
    ``router.aclose()`` (or ``async with``) closes what its assembly owns."""
    return assemble_policy(load_policy(path, env=env), **options).router


__all__ = [
    "assemble_policy",
    "deployments",
    "detector_config",
    "load_router",
    "metrics_hook",
    "shared_breaker_state",
]
