"""Library benchmarks: per-stream overhead (interleaved) and failover time to first token."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import aiohttp
from _procs import HERE, Upstream, free_port
from floor import bare_stream
from prometheus_client import CollectorRegistry

from llm_router import ChatRequest
from llm_router.builder import build_router
from llm_router.config import BreakerConfig, RetryConfig, Timeouts
from llm_router.layers.routing import Router
from llm_router.observe import fan_out
from llm_router.observe.logs import Logs, configure_logging
from llm_router.observe.metrics import Metrics
from llm_router.providers import OpenAIProvider
from llm_router.types import Provider

Row = dict[str, Any]
REQUEST_TEXT = "Stream a long answer, please."


def _req() -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": REQUEST_TEXT}])


def _provider(base: str, name: str = "up", **kw: Any) -> OpenAIProvider:
    return OpenAIProvider(
        base_url=base, model="bench-model", name=name, require_api_key=False, **kw
    )


async def _drain(p: Provider) -> int:
    n = 0
    async with aclosing(p.stream_complete(_req())) as s:  # type: ignore[type-var]
        async for _ in s:
            n += 1
    return n


class _LiteLLM:
    """A LiteLLM worker process in the benchmark's own virtualenv."""

    def __init__(self, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), str(HERE / "litellm_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.version = json.loads(self.proc.stdout.readline()).get("version", "?")

    def run(self, base: str, n: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"url": base, "n": n}) + "\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline())["seconds"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def full_stack(base: str, registry: CollectorRegistry) -> Router:
    """Routing + breaker + retry + metrics + logs over one OpenAI-style provider."""
    hook = fan_out(Metrics(registry, providers=["up"]), Logs())
    return build_router({"default": [_provider(base)]}, hook=hook)


def _summary(name: str, per_stream: list[float], floor: list[float], chunks: int) -> Row:
    med = statistics.median(per_stream)
    fmed = statistics.median(floor)
    return {
        "section": "library overhead",
        "variant": name,
        "ms_per_stream": round(med * 1e3, 3),
        "noise_ms": f"{min(per_stream) * 1e3:.2f}-{max(per_stream) * 1e3:.2f}",
        "us_per_chunk": round(med / chunks * 1e6, 2),
        "overhead_us_per_chunk": round((med - fmed) / chunks * 1e6, 2),
        "ratio_to_floor": round(med / fmed, 3),
    }


async def library_overhead(
    up: Upstream, *, streams: int, rounds: int, litellm_python: Path | None, chunks: int = 200
) -> list[Row]:
    """Floor vs OpenAIProvider vs full stack (vs LiteLLM), interleaved A B C D A B C D …"""
    base = up.base(chunks=chunks)
    url = base + "/chat/completions"
    devnull = open(os.devnull, "w")  # noqa: SIM115, ASYNC230 - once, before timing
    configure_logging(json=True, level="info", stream=devnull)
    registry = CollectorRegistry()
    session = aiohttp.ClientSession()
    provider = _provider(base)
    router = full_stack(base, registry)
    lite = _LiteLLM(litellm_python) if litellm_python else None

    async def many(fn: Callable[[], Awaitable[int]]) -> float:
        t = time.perf_counter()
        for _ in range(streams):
            got = await fn()
            assert got >= chunks, got
        return (time.perf_counter() - t) / streams

    variants: dict[str, Callable[[], Awaitable[float]]] = {
        "bare aiohttp (floor)": lambda: many(lambda: bare_stream(session, url)),
        "OpenAIProvider": lambda: many(lambda: _drain(provider)),
        "full stack": lambda: many(lambda: _drain(router)),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    if lite is not None:
        times["LiteLLM Router"] = []
    try:
        for fn in variants.values():  # warm up pools, JIT-less caches, imports
            await fn()
        if lite is not None:
            lite.run(base, 3)
        for _ in range(rounds):
            for name, fn in variants.items():
                times[name].append(await fn())
            if lite is not None:
                times["LiteLLM Router"].append(lite.run(base, streams) / streams)
    finally:
        await session.close()
        await router.aclose()
        if lite is not None:
            lite.close()
    floor = times["bare aiohttp (floor)"]
    rows = [_summary(k, v, floor, chunks) for k, v in times.items()]
    if lite is not None:
        rows[-1]["variant"] = f"LiteLLM Router {lite.version}"
    else:
        rows.append(
            {
                "section": "library overhead",
                "variant": "LiteLLM Router",
                "ms_per_stream": "not run (litellm not installed; run without --quick)",
            }
        )
    return rows


async def _ttft(p: Provider) -> float:
    t = time.perf_counter()
    async with aclosing(p.stream_complete(_req())) as s:  # type: ignore[type-var]
        async for _ in s:
            first = time.perf_counter() - t
            break
    return first


async def failover(up: Upstream, *, runs: int) -> list[Row]:
    """Time to first token through the fallback when the primary fails in each way."""
    fallback_base = up.base(chunks=20)
    first_token = 0.2
    scenarios: dict[str, str] = {
        "primary refuses connections": f"http://127.0.0.1:{free_port()}/v1",
        "primary answers 500": up.base(fault="500"),
        "primary answers 429 + Retry-After: 0": up.base(fault="429-0"),
        f"primary stalls (first_token {first_token}s)": up.base(fault="stall"),
        "primary behind an open breaker": up.base(fault="500"),
    }
    rows: list[Row] = []
    fb_alone = _provider(fallback_base, name="fallback")
    for label, primary_base in scenarios.items():
        primary = _provider(
            primary_base, name="primary", timeouts=Timeouts(first_token=first_token)
        )
        router = build_router(
            {"default": [primary, _provider(fallback_base, name="fallback")]},
            retry=RetryConfig(attempts=2, initial=0.01, max_wait=0.05),
            breaker=BreakerConfig(fail_max=1 if "breaker" in label else 10**6, reset_timeout=3600),
        )
        if "breaker" in label:
            await _ttft(router)  # one 500 opens the primary's breaker (fail_max 1)
            assert _state(router, "primary") == "open"
        via, alone = [], []
        for _ in range(runs):
            via.append(await _ttft(router))
            alone.append(await _ttft(fb_alone))
        await router.aclose()
        v, a = statistics.median(via), statistics.median(alone)
        rows.append(
            {
                "section": "failover",
                "scenario": label,
                "ttft_via_fallback_ms": round(v * 1e3, 2),
                "fallback_alone_ms": round(a * 1e3, 2),
                "added_ms": round((v - a) * 1e3, 2),
            }
        )
    return rows


def _state(router: Router, deployment: str) -> str:
    for route in router.routes.values():
        for cand in route.candidates:
            if cand.deployment == deployment and cand.breaker is not None:
                return str(cand.breaker.state)
    return "none"


__all__ = ["failover", "full_stack", "library_overhead"]
