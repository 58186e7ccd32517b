"""What the library benchmarks run, built once and used twice: timed by ``_lib.py``
(wall clock, interleaved) and counted by ``instr_worker.py`` (instructions under
callgrind). A *case* is an async callable doing one unit of work (one stream, one
request to first token) plus what it needs closed afterwards.

Case names: ``<variant>@<chunks>`` for the library variants (``floor``,
``copying floor``, ``provider``, ``full stack``), ``failover:<scenario>`` and
``failover:fallback alone``, ``rescue:<strategy>`` and ``rescue:fallback alone``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from _procs import free_port
from floor import bare_stream, copying_stream
from prometheus_client import CollectorRegistry

from llm_router import ChatRequest
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RescueConfig, RetryConfig, Timeouts
from llm_router.observe import fan_out
from llm_router.observe.logs import Logs
from llm_router.observe.metrics import Metrics
from llm_router.providers import OpenAIProvider
from llm_router.types import Provider

REQUEST_TEXT = "Stream a long answer, please."
VARIANTS = {
    "floor": "bare aiohttp, lean reader (floor)",
    "copying floor": "bare aiohttp, previous floor (copies per event)",
    "provider": "OpenAIProvider",
    "full stack": "full stack (router + breaker + retry + metrics + logs), model auto",
    "full stack named": "full stack, model names the route (no task detection)",
}
FIRST_TOKEN = 0.2
FAILOVER = {
    "primary refuses connections": "refused",
    "primary answers 500": "500",
    "primary answers 429 + Retry-After: 0": "429-0",
    f"primary stalls (first_token {FIRST_TOKEN}s)": "stall",
    "primary behind an open breaker": "500",
}
RESCUE_CUT_AT = 50
RESCUE = {
    "continue on the fallback (prefill)": "continue",
    "replay on the same deployment": "replay",
}


def scenario_base(
    port: int, chunks: int = 200, size: int = 20, first_ms: int = 0, delay_ms: int = 0,
    fault: str = "ok",
) -> str:  # fmt: skip
    """Base URL (ending in ``/v1``) of one scenario of ``benchmarks/upstream.py``."""
    return f"http://127.0.0.1:{port}/s/{chunks}/{size}/{first_ms}/{delay_ms}/{fault}/v1"


def request(model: str | None = None) -> ChatRequest:
    """The request every library case sends (``model=None``: ``auto``, the task is
    detected; a route's name: it is not)."""
    return ChatRequest(messages=[{"role": "user", "content": REQUEST_TEXT}], model=model)


def provider(base: str, name: str = "up", **kw: Any) -> OpenAIProvider:
    """An OpenAI-compatible provider on ``base`` (no API key)."""
    return OpenAIProvider(
        base_url=base, model="bench-model", name=name, require_api_key=False, **kw
    )


async def drain(p: Provider, model: str | None = None) -> int:
    """Read one stream to its end; the number of chunks."""
    n = 0
    async with aclosing(p.stream_complete(request(model))) as s:  # type: ignore[type-var]
        async for _ in s:
            n += 1
    return n


async def ttft(p: Provider) -> float:
    """Seconds to the first chunk of one stream (then closed)."""
    t = time.perf_counter()
    first = 0.0
    async with aclosing(p.stream_complete(request())) as s:  # type: ignore[type-var]
        async for _ in s:
            first = time.perf_counter() - t
            break
    return first


async def largest_gap(p: Provider) -> float:
    """Read one stream to its end; the longest wait between two chunks (seconds) —
    for a rescued stream, from the last chunk before the cut to the first rescued one."""
    gap = 0.0
    async with aclosing(p.stream_complete(request())) as s:  # type: ignore[type-var]
        last = time.perf_counter()
        async for _ in s:
            now = time.perf_counter()
            gap = max(gap, now - last)
            last = now
    return gap


@dataclass
class Case:
    """One unit of work and what to close after it."""

    run: Callable[[], Awaitable[Any]]
    closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    prepare: Callable[[], Awaitable[Any]] | None = None

    async def close(self) -> None:
        """Close whatever the case opened."""
        for c in self.closers:
            await c()


def full_stack(base: str, registry: CollectorRegistry | None = None) -> Any:
    """Routing + breaker + retry + metrics + logs over one OpenAI-style provider."""
    hook = fan_out(Metrics(registry or CollectorRegistry(), providers=["up"]), Logs())
    return build_router({"default": [provider(base)]}, hook=hook)


def library(name: str, port: int) -> Case:
    """``<variant>@<chunks>``: one stream of ``chunks`` text deltas."""
    variant, _, chunks = name.partition("@")
    base = scenario_base(port, chunks=int(chunks))
    url = base + "/chat/completions"
    if variant in ("floor", "copying floor"):
        session = aiohttp.ClientSession()
        read = bare_stream if variant == "floor" else copying_stream
        return Case(lambda: read(session, url), [session.close])
    if variant == "provider":
        bare = provider(base)
        return Case(lambda: drain(bare))
    router = full_stack(base)
    model = "default" if variant == "full stack named" else None
    return Case(lambda: drain(router, model), [router.aclose])


def failover(scenario: str, port: int) -> Case:
    """Time to first token through the fallback when the primary fails that way."""
    fallback_base = scenario_base(port, chunks=20)
    if scenario == "fallback alone":
        fb = provider(fallback_base, name="fallback")
        return Case(lambda: ttft(fb))
    fault = FAILOVER[scenario]
    primary_base = (
        f"http://127.0.0.1:{free_port()}/v1"
        if fault == "refused"
        else scenario_base(port, fault=fault)
    )
    primary = provider(primary_base, name="primary", timeouts=Timeouts(first_token=FIRST_TOKEN))
    router = build_router(
        {"default": [primary, provider(fallback_base, name="fallback")]},
        retry=RetryConfig(attempts=2, initial=0.01, max_wait=0.05),
        breaker=BreakerConfig(fail_max=1 if "breaker" in scenario else 10**6, reset_timeout=3600),
    )
    case = Case(lambda: ttft(router), [router.aclose])
    if "breaker" in scenario:  # one 500 opens the primary's breaker (fail_max 1)
        case.prepare = case.run
    return case


def rescue(strategy: str, port: int) -> Case:
    """A stream cut after ``RESCUE_CUT_AT`` chunks and rescued: the longest gap between
    two chunks. ``continue``: the primary (no prefill) cuts every stream, the fallback
    (prefill) continues it. ``replay``: the one deployment cuts every other stream, and
    the replay on it re-reads the delivered chunks silently before delivering more."""
    ok = scenario_base(port, chunks=200)
    if strategy == "fallback alone":
        fb = provider(ok, name="fallback")
        return Case(lambda: ttft(fb))
    cut = f"cut-{RESCUE_CUT_AT}" if strategy == "continue" else f"flaky-{RESCUE_CUT_AT}"
    primary = provider(scenario_base(port, chunks=200, fault=cut), name="primary")
    routes = [primary, provider(ok, name="fallback", prefill=True)]
    router = build_router(
        {"default": routes if strategy == "continue" else [primary]},
        rescue=RescueConfig(strategies=(strategy,), max=1),  # type: ignore[arg-type]
    )
    return Case(lambda: largest_gap(router), [router.aclose])


def make(name: str, port: int) -> Case:
    """The case called ``name`` against the upstream on ``port``."""
    kind, sep, rest = name.partition(":")
    if not sep:
        return library(name, port)
    return {"failover": failover, "rescue": rescue}[kind](rest, port)
