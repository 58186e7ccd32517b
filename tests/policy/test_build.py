"""Policy → Router: providers, per-provider layers, routes, detector, reload reuse."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from llm_router import ChatRequest, Router, complete
from llm_router._aio import closing
from llm_router.errors import ConfigurationError, StreamInterrupted
from llm_router.layers.breaker import CircuitBreaker
from llm_router.policy import (
    assemble_policy,
    build_provider,
    demo_policy_path,
    load_policy,
    parse_policy,
)
from llm_router.providers.anthropic import AnthropicProvider
from llm_router.providers.openai import OpenAIProvider
from tests.conftest import FakeClock


def _request(model: str | None = None, text: str = "hello") -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], model=model)


@pytest.fixture
def demo_router(clock: FakeClock):  # type: ignore[no-untyped-def]
    """The demo policy's router on a fake clock."""
    policy = load_policy(demo_policy_path())
    return assemble_policy(policy, clock=clock, sleep=clock.sleep).router


async def test_demo_healthy_route(demo_router) -> None:  # type: ignore[no-untyped-def]
    """The default route answers from the healthy `fast` provider."""
    answer = await complete(demo_router, _request("default"))
    assert answer.provider == "fast"
    assert answer.text.startswith("Hello!")


async def test_demo_rate_limit_is_retried_after_retry_after(demo_router, clock) -> None:  # type: ignore[no-untyped-def]
    """`ratelimited` answers 429 with Retry-After 1 s once; the retry waits it out."""
    answer = await complete(demo_router, _request("chat"))
    assert answer.provider == "ratelimited"
    assert 1.0 in clock.sleeps


async def test_demo_failover_before_first_token(demo_router) -> None:  # type: ignore[no-untyped-def]
    """`down` fails before its first token; the code route fails over to `fast`."""
    answer = await complete(demo_router, _request("code"))
    assert answer.provider == "fast"


async def test_demo_breaker_opens_and_recovers(demo_router, clock) -> None:  # type: ignore[no-untyped-def]
    """`flaky` fails twice (breaker opens), is skipped, then recovers after 2 s."""
    for _ in range(2):
        assert (await complete(demo_router, _request("summarization"))).provider == "fast"
    breaker = demo_router.providers["flaky"]
    assert isinstance(breaker, CircuitBreaker) and breaker.state == "open"
    assert (await complete(demo_router, _request("summarization"))).provider == "fast"
    clock.advance(2.5)
    assert (await complete(demo_router, _request("summarization"))).provider == "flaky"
    assert breaker.state == "closed"


async def _streamed(router: Router, request: ChatRequest) -> str:
    async with closing(router.stream_complete(request)) as stream:
        return "".join([chunk.text async for chunk in stream])


async def test_demo_interrupt_route(demo_router) -> None:  # type: ignore[no-untyped-def]
    """`cutting` fails after three chunks on a route with rescue off: StreamInterrupted."""
    with pytest.raises(StreamInterrupted) as caught:
        await _streamed(demo_router, _request("interrupt-demo"))
    assert caught.value.partial.text == "This answer will " and caught.value.rescues == ()


async def test_demo_rescue_route(demo_router) -> None:  # type: ignore[no-untyped-def]
    """`interrupting` breaks after three chunks; it continues its own answer (prefill)."""
    text = await _streamed(demo_router, _request("rescue-demo"))
    assert text == "This answer is cut off after three words, then rescued in mid-sentence."
    assert demo_router.providers["interrupting"].name == "interrupting"


async def test_a_non_streaming_call_through_a_route_without_rescue_starts_afresh(
    demo_router,  # type: ignore[no-untyped-def]
) -> None:
    """For ``complete`` the whole stream is setup: the cut stream fails over to `fast`."""
    out = await complete(demo_router, _request("interrupt-demo"))
    assert out.provider == "fast" and out.finish_reason == "stop"


def test_per_provider_layers_and_deployments() -> None:
    """Each deployment gets its provider's breaker config; model overrides are separate."""
    policy = parse_policy(
        """\
providers:
  a: {type: scripted, breaker: {fail_max: 7}}
  b: {type: scripted, context_window: 100}
routes:
  default: [a, {provider: b, model: big}]
""",
        env={},
    )
    router = assemble_policy(policy).router
    cands = router.routes["default"].candidates
    assert [c.deployment for c in cands] == ["a", "b/big"]
    assert isinstance(cands[0].provider, CircuitBreaker)
    assert cands[0].provider.config.fail_max == 7
    assert (cands[1].model, cands[1].context_window) == ("big", 100)


def test_task_rules_reach_the_detector() -> None:
    """tasks.rules from the policy change detection."""
    policy = parse_policy(
        """\
providers: {a: {type: scripted}}
tasks:
  rules: [{task: translation, pattern: '\\bklingon\\b', weight: 9}]
routes: {default: [a], translation: [a]}
""",
        env={},
    )
    explanation = assemble_policy(policy).router.explain(_request(text="say it in klingon"))
    assert explanation.task == "translation"


async def test_metrics_on_a_given_registry() -> None:
    """With a registry, the policy's deployments are recorded there."""
    registry = CollectorRegistry()
    router = assemble_policy(load_policy(demo_policy_path()), registry=registry).router
    await complete(router, _request("default"))
    value = registry.get_sample_value(
        "llm_router_requests_total",
        {"task": "chat", "provider": "fast", "model": "fast-1", "outcome": "success"},
    )
    assert value == 1.0


def test_previous_assembly_lends_unchanged_deployments() -> None:
    """On reload, unchanged deployments keep their layers (and breaker state)."""
    text = "providers:\n  a: {type: scripted}\n  b: {type: scripted}\nroutes:\n  default: [a, b]\n"
    first = assemble_policy(parse_policy(text, env={}))
    changed = text.replace("b: {type: scripted}", "b: {type: scripted, text: new}")
    second = assemble_policy(parse_policy(changed, env={}), previous=first)
    assert second.router.providers["a"] is first.router.providers["a"]
    assert second.router.providers["b"] is not first.router.providers["b"]
    assert second.breakers["a"] is first.breakers["a"]
    assert second.breakers["b"] is not first.breakers["b"]


@pytest.mark.parametrize(
    ("kind", "extra", "cls", "env"),
    [
        pytest.param("openai", "", OpenAIProvider, "OPENAI_API_KEY", id="openai"),
        pytest.param(
            "azure",
            "base_url: https://r.openai.azure.com\n    api_version: '2024-10-21'",
            OpenAIProvider,
            "AZURE_OPENAI_API_KEY",
            id="azure",
        ),
        pytest.param("openrouter", "", OpenAIProvider, "OPENROUTER_API_KEY", id="openrouter"),
        pytest.param("anthropic", "", AnthropicProvider, "ANTHROPIC_API_KEY", id="anthropic"),
    ],
)
def test_http_providers_are_built_and_need_their_keys(
    kind: str, extra: str, cls: type, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each type builds its provider class; a missing key names the variable."""
    text = (
        f"providers:\n  p:\n    type: {kind}\n    model: m\n    {extra}\nroutes: {{default: [p]}}\n"
    )
    spec = parse_policy(text, env={}).providers["p"]
    monkeypatch.delenv(env, raising=False)
    with pytest.raises(ConfigurationError, match=env):
        build_provider(spec)
    monkeypatch.setenv(env, "dummy")
    provider = build_provider(spec)
    assert isinstance(provider, cls)
    assert provider.name == "p"


def test_openai_compatible_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """openai_compatible without api_key sends none and needs none."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    text = (
        "providers:\n  v: {type: openai_compatible, base_url: 'http://localhost:8000/v1', "
        "model: m}\nroutes: {default: [v]}\n"
    )
    assert isinstance(build_provider(parse_policy(text, env={}).providers["v"]), OpenAIProvider)


def test_redis_storage_builds_a_shared_state_without_connecting() -> None:
    """breaker_storage.redis yields a RedisBreakerState with the policy's key prefix."""
    from llm_router.layers.breaker import RedisBreakerState
    from llm_router.policy.build import shared_breaker_state

    text = (
        "providers: {a: {type: scripted}}\nroutes: {default: [a]}\n"
        "breaker_storage: {redis: 'redis://127.0.0.1:1/0', key_prefix: 'app:prod'}\n"
    )
    shared = shared_breaker_state(parse_policy(text, env={}))
    assert isinstance(shared, RedisBreakerState)
    assert shared.prefix == "app:prod:"
