"""Policy → providers → layers → :class:`~llm_router.layers.router.Router`.

Each declared provider is built once and stacked once per deployment (the provider,
or ``provider/model`` where a route overrides the model) with its own retry and
breaker settings, using :func:`llm_router.builder.stack` — so the layer order is
still written in one place. A deployment that appears in several routes shares one
breaker. Breakers share state through Redis when ``breaker_storage`` says so. A
provider with ``max_concurrency`` gets one :class:`~llm_router.layers.bulkhead.Slots`
that all its deployments share (on reload, kept while its settings are unchanged).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, cast

from llm_router.builder import stack
from llm_router.layers._walk import layer_views
from llm_router.layers.breaker import SharedBreakerState
from llm_router.layers.bulkhead import Bulkhead, Slots
from llm_router.layers.router import Candidate, Route, Router
from llm_router.observe import MultiObserver, Observer
from llm_router.policy.model import BreakerStorageSpec, CandidateSpec, Policy, ProviderSpec
from llm_router.policy.validate import load_policy
from llm_router.providers.scripted import ScriptedProvider
from llm_router.tasks import DetectorConfig, Rule, TaskDetector
from llm_router.types import Clock, Provider, Sleep

DEFAULT_BASE_URLS: Mapping[str, str] = {"openrouter": "https://openrouter.ai/api/v1"}
"""``base_url`` of provider types whose class has no fitting default; the others use
their class's own (api.openai.com, api.anthropic.com, Gemini's v1beta, localhost
Ollama)."""

_CLASSES = {
    "openai": ("openai", "OpenAIProvider"),
    "azure": ("openai", "OpenAIProvider"),
    "openrouter": ("openai", "OpenAIProvider"),
    "openai_compatible": ("openai", "OpenAIProvider"),
    "anthropic": ("anthropic", "AnthropicProvider"),
    "gemini": ("gemini", "GeminiProvider"),
    "ollama": ("ollama", "OllamaProvider"),
}


def build_provider(spec: ProviderSpec, *, sleep: Sleep = asyncio.sleep) -> Provider:
    """The concrete (unlayered) provider of ``spec``.

    A missing API key raises :class:`~llm_router.errors.ConfigurationError` naming
    the provider and the variable to set.
    """
    if spec.type == "scripted":
        return ScriptedProvider(name=spec.name, model=spec.model, scripts=spec.scripts, sleep=sleep)
    module, cls_name = _CLASSES[spec.type]
    cls = getattr(importlib.import_module(f"llm_router.providers.{module}"), cls_name)
    options: dict[str, Any] = {
        "name": spec.name,
        "model": spec.model,
        "api_key": spec.api_key,
        "timeouts": spec.timeouts,
        "extra_headers": dict(spec.headers) or None,
    }
    base_url = spec.base_url or DEFAULT_BASE_URLS.get(spec.type)
    if base_url is not None:
        options["base_url"] = base_url
    if spec.type == "azure":
        options["api_style"] = "azure"
        if spec.api_version:
            options["api_version"] = spec.api_version
    elif spec.type == "openai_compatible":
        options["require_api_key"] = spec.api_key is not None
    provider: Provider = cls(**options)
    return provider


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
    owner closes it with ``await state.aclose()`` (see :func:`shared_state_of`).
    """
    storage = policy.breaker_storage
    if storage.kind != "redis" or storage.url is None:
        return None
    module = importlib.import_module("llm_router.layers.breaker_redis")
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


def metrics_observer(policy: Policy, registry: Any = None) -> Observer:
    """A Prometheus :class:`~llm_router.obs.metrics.Metrics` observer whose label sets
    and prices come from the policy's deployments."""
    metrics = importlib.import_module("llm_router.obs.metrics")
    models: dict[str, str] = {}
    prices: dict[str, Any] = {}
    for dep, provider, model in deployments(policy):
        models[dep] = model
        if provider.prices is not None:
            p = provider.prices
            prices[dep] = metrics.Price(input=p.input_per_mtok, output=p.output_per_mtok)
    observer: Observer = metrics.Metrics(
        registry, prices=prices, providers=list(models), models=models
    )
    return observer


def deployments(policy: Policy) -> list[tuple[str, ProviderSpec, str]]:
    """Every deployment of the policy: ``(name, provider, model)``, providers first."""
    out = {name: (name, spec, spec.model) for name, spec in policy.providers.items()}
    for route in policy.routes.values():
        for cand in route.candidates:
            spec = policy.providers[cand.provider]
            out.setdefault(cand.deployment, (cand.deployment, spec, cand.model or spec.model))
    return list(out.values())


_BUILT: weakref.WeakKeyDictionary[Router, dict[str, tuple[ProviderSpec, str, Provider]]] = (
    weakref.WeakKeyDictionary()
)
"""Per router built here: deployment → (spec, model, stacked provider), for ``previous``."""


def build_router(
    policy: Policy,
    *,
    observer: Observer | None = None,
    registry: Any = None,
    shared: SharedBreakerState | None = None,
    providers: Mapping[str, Provider] | None = None,
    previous: Router | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] | None = None,
) -> Router:
    """The :class:`Router` that ``policy`` describes.

    ``observer`` receives every event. With a Prometheus ``registry``, a
    :class:`~llm_router.obs.metrics.Metrics` observer whose label sets come from the
    policy records there too. ``shared`` overrides the policy's ``breaker_storage``;
    ``providers`` replaces declared providers by name with your own concrete ones
    (tests, custom clients). ``previous`` (a router built here, on reload) lends its
    deployments whose provider settings did not change, so their breakers keep their
    state and their bulkheads their slots. ``clock``, ``sleep`` and ``rng`` are
    injected into every layer.
    """
    observers: list[Observer] = [] if registry is None else [metrics_observer(policy, registry)]
    if observer is not None:
        observers.append(observer)
    obs: Observer = observers[0] if len(observers) == 1 else MultiObserver(observers)
    if shared is None and previous is not None and _STORAGE.get(previous) == policy.breaker_storage:
        shared = _SHARED.get(previous)  # reload: keep one Redis connection, not one per build
    if shared is None:
        shared = shared_breaker_state(policy)
    given = providers or {}
    old = _BUILT.get(previous, {}) if previous is not None else {}
    extra: dict[str, Any] = {} if rng is None else {"rng": rng}
    raw: dict[str, Provider] = {}
    built: dict[str, tuple[ProviderSpec, str, Provider]] = {}
    pools: dict[str, Slots] = {}
    for dep, spec, model in deployments(policy):
        kept = old.get(dep)
        if kept is not None and kept[:2] == (spec, model) and spec.name not in given:
            built[dep] = kept
            if isinstance(kept[2], Bulkhead):
                pools.setdefault(spec.name, kept[2].slots)
    for dep, spec, model in deployments(policy):
        if dep in built:
            continue
        if spec.name not in raw:
            raw[spec.name] = given.get(spec.name) or build_provider(spec, sleep=sleep)
        layer = stack(
            raw[spec.name],
            retry=spec.retry,
            breaker=spec.breaker,
            deployment=dep,
            shared=shared,
            slots=_slots(spec, pools),
            observer=obs,
            clock=clock,
            sleep=sleep,
            **extra,
        )
        built[dep] = (spec, model, layer)
    stacked = {dep: entry[2] for dep, entry in built.items()}
    routes = {
        name: Route(
            name,
            tuple(_candidate(c, policy, stacked) for c in route.candidates),
            route.failover_on_content_filter,
        )
        for name, route in policy.routes.items()
    }
    router = Router(
        routes,
        detector=TaskDetector(detector_config(policy)),
        observer=obs,
        clock=clock,
        deadline_s=policy.deadline,
        providers={name: stacked[name] for name in policy.providers},
    )
    _BUILT[router] = built
    if shared is not None:
        _SHARED[router] = shared
    _STORAGE[router] = policy.breaker_storage
    return router


_SHARED: weakref.WeakKeyDictionary[Router, SharedBreakerState] = weakref.WeakKeyDictionary()
_STORAGE: weakref.WeakKeyDictionary[Router, BreakerStorageSpec] = weakref.WeakKeyDictionary()


def shared_state_of(router: Router) -> SharedBreakerState | None:
    """The shared breaker state a router built here uses (its owner closes it)."""
    return _SHARED.get(router)


def _slots(spec: ProviderSpec, pools: dict[str, Slots]) -> Slots | None:
    """The provider's one bulkhead pool (``None`` without ``max_concurrency``)."""
    if spec.max_concurrency is None:
        return None
    if spec.name not in pools:
        pools[spec.name] = Slots(spec.max_concurrency, spec.max_waiting, spec.wait_timeout)
    return pools[spec.name]


def _candidate(cand: CandidateSpec, policy: Policy, stacked: Mapping[str, Provider]) -> Candidate:
    dep = cand.deployment
    layer = stacked[dep]
    breaker, bulkhead = layer_views(layer)
    return Candidate(
        layer,
        dep,
        model=cand.model,
        context_window=cand.context_window or policy.providers[cand.provider].context_window,
        weight=cand.weight,
        breaker=breaker,
        bulkhead=bulkhead,
    )


def load_router(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> Router:
    """``build_router(load_policy(path, env=env), **options)``."""
    return build_router(load_policy(path, env=env), **options)


__all__ = [
    "DEFAULT_BASE_URLS",
    "build_provider",
    "build_router",
    "deployments",
    "detector_config",
    "load_router",
    "metrics_observer",
    "shared_breaker_state",
    "shared_state_of",
]
