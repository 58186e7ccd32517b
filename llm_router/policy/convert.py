"""Convert checked policy data (plain dicts from YAML) into :mod:`.model` values.

Runs only on data that passed every check of :mod:`.validate`, so it can index
without guarding; a value the frozen config classes still refuse raises
:class:`~llm_router.errors.ConfigurationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

from llm_router.config import BreakerConfig, RescueConfig, RetryConfig, Timeouts
from llm_router.policy.model import (
    BreakerStorageSpec,
    CandidateSpec,
    LoggingSpec,
    LogLevel,
    Policy,
    Prices,
    ProviderSpec,
    ProviderType,
    RouteSpec,
    RuleSpec,
    ServerSpec,
    TasksSpec,
)
from llm_router.providers.scripted import Fault, FaultKind, Script

_SCRIPT_KEYS = {"text": "text", "chunk_delay": "chunk_delay_s"}
_SCRIPT_KEYS["first_token_delay"] = "first_token_delay_s"


def to_policy(data: Mapping[str, Any], file: str) -> Policy:
    """Build the :class:`Policy` of checked ``data`` read from ``file``."""
    defaults = data.get("defaults") or {}
    providers = {name: _provider(name, spec, defaults) for name, spec in data["providers"].items()}
    routes = {name: _route(name, spec) for name, spec in data["routes"].items()}
    return Policy(
        file=file,
        providers=MappingProxyType(providers),
        routes=MappingProxyType(routes),
        tasks=_tasks(data.get("tasks") or {}),
        breaker_storage=_storage(data.get("breaker_storage", "memory")),
        server=_server(data.get("server") or {}),
        logging=_logging(data.get("logging") or {}),
        deadline=float(data.get("deadline", 60.0)),
        rescue=_rescue(data.get("rescue")) or RescueConfig(),
    )


def _rescue(spec: Any) -> RescueConfig | None:
    """``off``, or ``{strategies: [...], max: N}`` (either key may be left out)."""
    if spec is None:
        return None
    if spec == "off" or spec is False:
        return RescueConfig.off()
    if spec is True:
        return RescueConfig()
    base = RescueConfig()
    strategies = tuple(spec.get("strategies", base.strategies))
    return RescueConfig(strategies=strategies, max=spec.get("max", base.max))


def _merged(spec: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {**(defaults.get(key) or {}), **(spec.get(key) or {})}


def _provider(name: str, spec: Mapping[str, Any], defaults: Mapping[str, Any]) -> ProviderSpec:
    kind = cast(ProviderType, spec["type"])
    prices = spec.get("prices")
    return ProviderSpec(
        name=name,
        type=kind,
        model=spec.get("model") or ("scripted-1" if kind == "scripted" else ""),
        base_url=spec.get("base_url"),
        api_key=spec.get("api_key"),
        api_version=spec.get("api_version"),
        headers=MappingProxyType(dict(spec.get("headers") or {})),
        timeouts=Timeouts(**_floats(_merged(spec, defaults, "timeouts"))),
        retry=_retry(_merged(spec, defaults, "retry")),
        breaker=_breaker(_merged(spec, defaults, "breaker")),
        max_concurrency=spec.get("max_concurrency"),
        max_waiting=spec.get("max_waiting"),
        wait_timeout=None if spec.get("wait_timeout") is None else float(spec["wait_timeout"]),
        prices=None if prices is None else Prices(**_floats(prices)),
        context_window=spec.get("context_window"),
        scripts=_scripts(spec) if kind == "scripted" else (),
        prefill=spec.get("prefill"),
        capabilities=MappingProxyType(dict(spec.get("capabilities") or {})),
    )


def _retry(values: Mapping[str, Any]) -> RetryConfig:
    base = RetryConfig()
    return RetryConfig(
        attempts=values.get("attempts", base.attempts),
        initial=float(values.get("initial", base.initial)),
        max_wait=float(values.get("max_wait", base.max_wait)),
        max_retry_after=float(values.get("max_retry_after", base.max_retry_after)),
        retry_timeouts=values.get("retry_timeouts", base.retry_timeouts),
    )


def _breaker(values: Mapping[str, Any]) -> BreakerConfig:
    base = BreakerConfig()
    cap = values.get("max_reset_timeout")
    return BreakerConfig(
        fail_max=values.get("fail_max", base.fail_max),
        reset_timeout=float(values.get("reset_timeout", base.reset_timeout)),
        success_threshold=values.get("success_threshold", base.success_threshold),
        max_reset_timeout=None if cap is None else float(cap),
        jitter=float(values.get("jitter", base.jitter)),
    )


def _floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items()}


def _scripts(spec: Mapping[str, Any]) -> tuple[Script, ...]:
    """Each script inherits the provider's ``text`` and delays unless it sets its own."""
    base = {_SCRIPT_KEYS[k]: spec[k] for k in _SCRIPT_KEYS if k in spec}
    out = []
    for entry in spec.get("scripts") or [{}]:
        values = {**base, **{_SCRIPT_KEYS[k]: entry[k] for k in _SCRIPT_KEYS if k in entry}}
        for key in ("chunk_delay_s", "first_token_delay_s"):
            if key in values:
                values[key] = float(values[key])
        fault = entry.get("fault")
        out.append(
            Script(
                **values,
                model=entry.get("model"),
                fault=None if fault is None else _fault(fault),
            )
        )
    return tuple(out)


def _fault(spec: Mapping[str, Any]) -> Fault:
    retry_after = spec.get("retry_after")
    return Fault(
        kind=cast(FaultKind, spec["kind"]),
        after_chunks=spec.get("after_chunks", 0),
        retry_after=None if retry_after is None else float(retry_after),
        message=spec.get("message", ""),
    )


def _route(name: str, spec: Any) -> RouteSpec:
    options: Mapping[str, Any] = spec if isinstance(spec, dict) else {"candidates": spec}
    return RouteSpec(
        name=name,
        candidates=tuple(_candidate(c) for c in options["candidates"]),
        failover_on_content_filter=options.get("failover_on_content_filter", False),
        rescue=_rescue(options.get("rescue")),
    )


def _candidate(spec: Any) -> CandidateSpec:
    if isinstance(spec, str):
        return CandidateSpec(provider=spec)
    return CandidateSpec(
        provider=spec["provider"],
        model=spec.get("model"),
        weight=float(spec.get("weight", 1.0)),
        context_window=spec.get("context_window"),
        capabilities=MappingProxyType(dict(spec.get("capabilities") or {})),
    )


def _tasks(spec: Mapping[str, Any]) -> TasksSpec:
    rules = tuple(
        RuleSpec(task=r["task"], pattern=r["pattern"], weight=float(r.get("weight", 1.0)))
        for r in spec.get("rules") or ()
    )
    return TasksSpec(
        long_context_tokens=spec.get("long_context_tokens", 32000),
        rules=rules,
        disabled=frozenset(spec.get("disabled") or ()),
    )


def _storage(spec: Any) -> BreakerStorageSpec:
    if spec == "memory":
        return BreakerStorageSpec()
    return BreakerStorageSpec(
        kind="redis", url=spec["redis"], key_prefix=spec.get("key_prefix", "llm_router:breaker")
    )


def _server(spec: Mapping[str, Any]) -> ServerSpec:
    base = ServerSpec()
    return ServerSpec(
        host=spec.get("host", base.host),
        port=spec.get("port", base.port),
        api_keys=tuple(spec.get("api_keys") or ()),
        max_body_bytes=spec.get("max_body_bytes", base.max_body_bytes),
        shutdown_grace=float(spec.get("shutdown_grace", base.shutdown_grace)),
        header_timeout=float(spec.get("header_timeout", base.header_timeout)),
        body_timeout=float(spec.get("body_timeout", base.body_timeout)),
        keepalive_timeout=float(spec.get("keepalive_timeout", base.keepalive_timeout)),
    )


def _logging(spec: Mapping[str, Any]) -> LoggingSpec:
    return LoggingSpec(
        level=cast(LogLevel, spec.get("level", "info")),
        json=spec.get("json"),
        include_content=spec.get("include_content", False),
    )
