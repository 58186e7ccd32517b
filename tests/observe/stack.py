"""A real routed stack (Router → CircuitBreaker → Retry → ScriptedProvider) observed by
Metrics and Logs, on a fake clock, for the integration tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig
from llm_router.layers.routing import Router
from llm_router.observe import fan_out
from llm_router.observe.logs import Logs
from llm_router.observe.metrics import Metrics, Price
from llm_router.providers import Script, ScriptedProvider
from llm_router.types import ChatRequest, StreamChunk
from tests.conftest import FakeClock

PROMPT = "please refactor this secret prompt text"


@dataclass
class Stack:
    """The router, its providers and where its metrics go."""

    router: Router
    a: ScriptedProvider
    b: ScriptedProvider
    registry: CollectorRegistry
    metrics: Metrics
    chunks: list[StreamChunk] = field(default_factory=list)

    def value(self, name: str, **labels: str) -> float | None:
        """One sample of an llm_router metric (``None`` when absent)."""
        return self.registry.get_sample_value("llm_router_" + name, labels)


def build(
    clock: FakeClock,
    a: Sequence[Script],
    b: Sequence[Script] = (Script(text="From b."),),
    *,
    fail_max: int = 5,
    attempts: int = 2,
    registry: CollectorRegistry | None = None,
    rescue: RescueConfig | None = None,
) -> Stack:
    """Deployments ``a`` (model m-a) then ``b`` (model m-b) on the ``default`` route;
    stream rescue off unless given (the interruption tests pin what is recorded when
    a stream breaks after commit)."""
    pa = ScriptedProvider(name="a", model="m-a", scripts=tuple(a), sleep=clock.sleep)
    pb = ScriptedProvider(name="b", model="m-b", scripts=tuple(b), sleep=clock.sleep)
    registry = CollectorRegistry() if registry is None else registry
    metrics = Metrics(
        registry,
        providers=("a", "b"),
        models={"a": "m-a", "b": "m-b"},
        prices={"a": Price(input=1.0, output=2.0), "b": Price(input=1.0, output=2.0)},
    )
    router = build_router(
        {"default": [pa, pb]},
        retry=RetryConfig(attempts=attempts, initial=0.2),
        breaker=BreakerConfig(fail_max=fail_max, reset_timeout=600.0),
        hook=fan_out(metrics, Logs()),
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 0.5,
        rescue=rescue or RescueConfig.off(),
    )
    return Stack(router, pa, pb, registry, metrics)


def request(**changes: Any) -> ChatRequest:
    """A code request (explicit task, so no detector guesswork) with a known id."""
    fields: dict[str, Any] = {
        "messages": [{"role": "user", "content": PROMPT}],
        "task": "code",
        "request_id": "rid-1",
    }
    fields.update(changes)
    return ChatRequest(**fields)


async def drain(stack: Stack, req: ChatRequest | None = None) -> None:
    """Consume one routed stream into ``stack.chunks``."""
    async for chunk in stack.router.stream_complete(req or request()):
        stack.chunks.append(chunk)
