"""The full stack from the builder: Router → CircuitBreaker → Retry → scripted providers."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from llm_router import ChatRequest, Provider, complete, errors
from llm_router._aio import closing
from llm_router.builder import RouteEntry, build_router, candidate, stack
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.retry import Retry
from llm_router.layers.routing import Router
from llm_router.providers import Fault, Script, ScriptedProvider
from tests.conftest import FakeClock
from tests.layers.test_router import Detection, Recorder


def req(model: str | None = None) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "hi"}], model=model)


def sp(name: str, *scripts: Script, clock: FakeClock) -> ScriptedProvider:
    return ScriptedProvider(
        name=name,
        model=f"{name}-model",
        scripts=scripts or (Script(text=f"answer from {name}"),),
        sleep=clock.sleep,
    )


def fail(kind: str, after: int = 0, **kw: float) -> Script:
    return Script(text="partial answer text", fault=Fault(kind, after, **kw))  # type: ignore[arg-type]


def build(
    clock: FakeClock,
    *providers: ScriptedProvider,
    obs: Recorder | None = None,
    fail_max: int = 2,
    retry: RetryConfig | None = None,
    rescue: RescueConfig | None = None,
) -> Router:
    return build_router(
        {"default": list(providers)},
        retry=retry or RetryConfig(attempts=2, initial=0.1, max_wait=0.1),
        breaker=BreakerConfig(fail_max=fail_max, reset_timeout=30.0, jitter=0.0),
        detector=lambda r: Detection("chat"),
        hook=obs or Recorder(),
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 1.0,
        rescue=rescue or RescueConfig(),
    )


def test_stack_order_is_breaker_then_retry(clock: FakeClock) -> None:
    """stack() puts the breaker outermost, then retry, then the provider."""
    p = sp("p", clock=clock)
    full = stack(p, deployment="p/x", clock=clock, sleep=clock.sleep)
    assert isinstance(full, CircuitBreaker) and full.deployment == "p/x"
    assert isinstance(full._inner, Retry) and full._inner.inner is p
    assert isinstance(stack(p, breaker=None), Retry)
    assert stack(p, retry=None, breaker=None) is p
    assert isinstance(full, Provider) and isinstance(build(clock, p), Provider)


async def test_rate_limited_retried_in_place(clock: FakeClock) -> None:
    """A 429 with Retry-After 0 is retried on the same provider; no failover."""
    obs = Recorder()
    a = sp("a", fail("rate_limited", retry_after=0.0), Script(text="from a"), clock=clock)
    b = sp("b", clock=clock)
    out = await complete(build(clock, a, b, obs=obs), req())
    assert out.text == "from a" and len(a.calls) == 2 and b.calls == []
    assert obs.of("retry") == [("a", "rate_limited", 1)] and obs.of("fallback") == []


async def test_failing_primary_retried_then_fails_over_then_breaker_opens(
    clock: FakeClock,
) -> None:
    """500s: retried, failed over; after fail_max streams the breaker skips the primary."""
    obs = Recorder()
    a, b = sp("a", fail("server_error"), clock=clock), sp("b", clock=clock)
    router = build(clock, a, b, obs=obs, fail_max=2)
    for _ in range(2):
        assert (await complete(router, req())).text == "answer from b"
    assert len(a.calls) == 4  # two streams x two attempts
    assert router.status()["deployments"]["a"]["breaker"] == "open"
    assert (await complete(router, req())).text == "answer from b"
    assert len(a.calls) == 4
    assert obs.of("fallback")[-1] == ("a", "b", "circuit_open")
    assert a.opened == a.closed and b.opened == b.closed
    would_be = [c["would_be"] for c in router.explain(req()).to_dict()["candidates"]]
    assert would_be == ["skipped: circuit open (retry in 30 s)", "chosen"]


async def test_stalled_primary_costs_only_its_first_token_timeout(clock: FakeClock) -> None:
    """A silent primary costs its first_token timeout once, then the fallback answers."""
    obs = Recorder()
    stall = Script(first_token_delay_s=0.5, fault=Fault("first_token_timeout"))
    a, b = sp("a", stall, clock=clock), sp("b", clock=clock)
    router = build(clock, a, b, obs=obs, retry=RetryConfig(attempts=3))
    start = clock()
    stream = router.stream_complete(req())
    first = await anext(stream)
    assert first.provider == "b" and clock() - start <= 0.5 + 1e-9
    await stream.aclose()  # type: ignore[attr-defined]
    assert len(a.calls) == 1
    assert obs.of("fallback") == [("a", "b", "first_token_timeout")]


async def test_interrupted_through_stack_is_not_retried(clock: FakeClock) -> None:
    """With rescue off, a fault after commit crosses every layer as StreamInterrupted
    after one call."""
    a, b = sp("a", fail("server_error", 2), clock=clock), sp("b", clock=clock)
    with pytest.raises(errors.StreamInterrupted) as info:
        router = build(clock, a, b, rescue=RescueConfig.off())
        async with closing(router.stream_complete(req())) as stream:
            async for _ in stream:
                pass
    assert info.value.partial.text == "partial answer " and len(a.calls) == 1
    assert b.calls == [] and a.opened == a.closed == 1


@pytest.mark.parametrize(
    "how",
    [pytest.param("break", id="break"), pytest.param("cancel", id="cancel")],
)
async def test_every_stream_closed_through_stack(clock: FakeClock, how: str) -> None:
    """After a break or a cancellation every scripted stream is closed, once recorded."""
    obs = Recorder()
    a = sp("a", fail("server_error"), clock=clock)
    b = sp("b", Script(text="x y z", fault=Fault("stall", 1)), clock=clock)
    router = build(clock, a, b, obs=obs)
    if how == "break":
        stream = router.stream_complete(req())
        async for _ in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
    else:
        task = asyncio.create_task(complete(router, req()))
        for _ in range(20):
            await asyncio.sleep(0)
        assert b.opened == 1
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert a.opened == a.closed == 2 and b.opened == b.closed == 1
    assert [r.outcome for r in obs.records] == ["cancelled"]


async def test_deployment_shared_across_routes_and_default_alias(clock: FakeClock) -> None:
    """One deployment in two routes shares its breaker; `default=` aliases a route."""
    a, b = sp("a", clock=clock), sp("b", clock=clock)
    router = build_router(
        {"code": [a, RouteEntry(b, model="big")], "chat": [RouteEntry(b, model="big"), a]},
        default="chat",
        detector=lambda r: Detection("code"),
        clock=clock,
        sleep=clock.sleep,
    )
    code, chat = router.routes["code"].candidates, router.routes["chat"].candidates
    assert code[1].deployment == "b/big" and code[1].provider is chat[0].provider
    assert code[0].breaker is chat[1].breaker is not None
    assert [c.deployment for c in router.routes["default"].candidates] == ["b/big", "a"]
    out = await complete(router, req("b/big"))
    assert out.model == "big" and b.calls[0].model == "big"


def test_two_providers_one_deployment_name_rejected(clock: FakeClock) -> None:
    """Two different providers under one deployment name are a configuration error."""
    with pytest.raises(errors.ConfigurationError):
        build_router({"default": [sp("a", clock=clock), sp("a", clock=clock)]})


def test_candidate_helper_names_deployment_and_attaches_breaker(clock: FakeClock) -> None:
    """candidate() stacks one deployment and exposes its breaker to the router."""
    p = sp("p", clock=clock)
    c = candidate(p, model="big", context_window=128000, clock=clock, sleep=clock.sleep)
    assert c.deployment == "p/big" and c.model == "big" and c.context_window == 128000
    assert isinstance(c.provider, CircuitBreaker) and c.breaker is c.provider
    assert c.provider.deployment == "p/big"
    bare = candidate(p, breaker=None)
    assert bare.breaker is None and isinstance(bare.provider, Retry)
