"""Metrics and log events of each stream outcome, through the real routed stack."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from llm_router._aio import closing
from llm_router.errors import StreamInterrupted
from llm_router.layers.routing import UnknownModel
from llm_router.providers import Fault, Script
from llm_router.types import Usage
from tests.conftest import FakeClock
from tests.observe.helpers import llm_series
from tests.observe.stack import build, drain, request

A = {"provider": "a", "model": "m-a"}
B = {"provider": "b", "model": "m-b"}
CANDIDATES = ["a", "b"]
"""The route's deployments, logged with the stream's one end event."""


def samples(reg: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every llm_router sample except histogram buckets, created stamps and idle gauges."""
    out = {}
    for name, labels in llm_series(reg):
        value = reg.get_sample_value(name, dict(labels))
        if name.endswith(("_bucket", "_created")) or value is None:
            continue
        if name.endswith(("circuit_state", "inflight_streams")) and value == 0:
            continue
        out[(name.removeprefix("llm_router_"), frozenset(labels))] = value
    return out


def expect(*rows: tuple[str, dict[str, str], float]) -> dict[Any, Any]:
    """The expected samples: ``(name, labels, value)`` rows."""
    return {(n, frozenset(labels.items())): pytest.approx(v) for n, labels, v in rows}


def stream_rows(dep: dict[str, str], outcome: str, ttft: float | None, dur: float) -> list[Any]:
    """The per-stream samples every outcome records (no tokens)."""
    rows = [
        ("requests_total", {"task": "code", **dep, "outcome": outcome}, 1),
        ("stream_duration_seconds_count", {**dep, "outcome": outcome}, 1),
        ("stream_duration_seconds_sum", {**dep, "outcome": outcome}, dur),
        ("task_detected_total", {"task": "code"}, 1),
    ]
    if ttft is not None:
        rows += [
            ("time_to_first_token_seconds_count", dep, 1),
            ("time_to_first_token_seconds_sum", dep, ttft),
        ]
    return rows


def token_rows(dep: dict[str, str], inp: int, out: int, gen_s: float) -> list[Any]:
    """Token, speed and cost samples (prices: $1 / $2 per million)."""
    return [
        ("tokens_total", {**dep, "kind": "input"}, inp),
        ("tokens_total", {**dep, "kind": "output"}, out),
        ("output_tokens_per_second_count", dep, 1),
        ("output_tokens_per_second_sum", dep, out / gen_s),
        ("cost_usd_total", dep, (inp + 2 * out) / 1e6),
    ]


def completed(dep: dict[str, str], **fields: Any) -> dict[str, Any]:
    """The expected stream.completed event."""
    return {
        "event": "stream.completed",
        "log_level": "info",
        "request_id": "rid-1",
        **dep,
        "task": "code",
        "route": "default",
        "candidates": CANDIDATES,
        "outcome": "success",
        "fallbacks": 0,
        "upstream_model": dep["model"],  # the scripted upstream names the deployment's
        "cached_input_tokens": None,
        **fields,
    }


async def test_success(clock: FakeClock) -> None:
    """A clean stream: one request, its latency, duration, tokens, speed and cost."""
    s = build(clock, [Script("Hi there you.", first_token_delay_s=0.5, chunk_delay_s=0.25,
                             usage=Usage(10, 3))])  # fmt: skip
    with capture_logs() as logs:
        await drain(s)
    assert samples(s.registry) == expect(
        *stream_rows(A, "success", 0.5, 1.0), *token_rows(A, 10, 3, 0.5)
    )
    assert logs == [
        completed(A, ttft_s=0.5, duration_s=1.0, input_tokens=10, output_tokens=3, chunks=4),
    ]
    assert s.a.closed == s.a.opened == 1


async def test_retry_then_success(clock: FakeClock) -> None:
    """A rate-limited first attempt is retried: retries_total and a retry event."""
    s = build(clock, [Script(fault=Fault("rate_limited")), Script("ok now.", usage=Usage(10, 2),
                                                                  chunk_delay_s=0.5)])  # fmt: skip
    with capture_logs() as logs:
        await drain(s)
    assert samples(s.registry) == expect(
        *stream_rows(A, "success", 0.1, 0.6),
        *token_rows(A, 10, 2, 0.5),
        ("retries_total", {"provider": "a", "reason": "rate_limited"}, 1),
    )
    retry = {"event": "retry", "log_level": "warning", "request_id": "rid-1", "provider": "a"}
    assert logs == [
        {**retry, "reason": "rate_limited", "attempt": 1, "wait_s": 0.1},
        completed(A, ttft_s=0.1, duration_s=0.6, input_tokens=10, output_tokens=2, chunks=3),
    ]


async def test_failover(clock: FakeClock) -> None:
    """An auth error on a fails over to b: fallbacks_total and a fallback event."""
    s = build(clock, [Script(fault=Fault("auth"))], [Script("From b.", usage=Usage(7, 2),
                                                            chunk_delay_s=1.0)])  # fmt: skip
    with capture_logs() as logs:
        await drain(s)
    fb = {"task": "code", "from_provider": "a", "to_provider": "b", "reason": "auth_error"}
    assert samples(s.registry) == expect(
        *stream_rows(B, "success", 0.0, 1.0),
        *token_rows(B, 7, 2, 1.0),
        ("fallbacks_total", fb, 1),
    )
    assert logs == [
        {"event": "fallback", "log_level": "warning", "request_id": "rid-1", **fb},
        completed(B, ttft_s=0.0, duration_s=1.0, input_tokens=7, output_tokens=2, chunks=3,
                  fallbacks=1),
    ]  # fmt: skip


async def test_breaker_open(clock: FakeClock) -> None:
    """A failure opens a's breaker; the next stream skips a (circuit_open) for b."""
    s = build(clock, [Script(fault=Fault("server_error"))], fail_max=1, attempts=1)
    await drain(s)
    opened = {"provider": "a", "from_state": "closed", "to_state": "open"}
    assert s.value("circuit_state", provider="a") == 2
    assert s.value("circuit_transitions_total", **opened) == 1
    before = samples(s.registry)
    with capture_logs() as logs:
        await drain(s, request(request_id="rid-2"))
    fb = {"task": "code", "from_provider": "a", "to_provider": "b", "reason": "circuit_open"}
    after = samples(s.registry)
    changed = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k)}
    assert changed == expect(
        ("requests_total", {"task": "code", **B, "outcome": "success"}, 1),
        ("stream_duration_seconds_count", {**B, "outcome": "success"}, 1),
        ("time_to_first_token_seconds_count", B, 1),
        ("task_detected_total", {"task": "code"}, 1),
        ("fallbacks_total", fb, 1),
        ("tokens_total", {**B, "kind": "input"}, 10),
        ("tokens_total", {**B, "kind": "output"}, 2),
        ("cost_usd_total", B, 14 / 1e6),
    )
    assert s.a.opened == 1  # the open breaker never called a again
    assert [e["event"] for e in logs] == ["fallback", "stream.completed"]  # one line per stream
    assert logs[0] == {"event": "fallback", "log_level": "warning", "request_id": "rid-2", **fb}


async def test_breaker_transition_event_carries_request_id(clock: FakeClock) -> None:
    """circuit.state_change is logged with the id of the request that tripped it."""
    s = build(clock, [Script(fault=Fault("server_error"))], fail_max=1, attempts=1)
    with capture_logs() as logs:
        await drain(s)
    (change,) = [e for e in logs if e["event"] == "circuit.state_change"]
    assert change == {
        "event": "circuit.state_change",
        "log_level": "warning",
        "request_id": "rid-1",
        "provider": "a",
        "from_state": "closed",
        "to_state": "open",
        "source": "local",
    }


async def test_mid_stream_interruption(clock: FakeClock) -> None:
    """A failure after two chunks is 'interrupted': no retry, no fallback, no tokens."""
    s = build(clock, [Script("one two three", chunk_delay_s=0.5,
                             fault=Fault("server_error", after_chunks=2))])  # fmt: skip
    with capture_logs() as logs, pytest.raises(StreamInterrupted):
        await drain(s)
    assert samples(s.registry) == expect(*stream_rows(A, "interrupted", 0.0, 0.5))
    assert logs[0] == {
        "event": "stream.failed",
        "log_level": "error",
        "request_id": "rid-1",
        **A,
        "task": "code",
        "route": "default",
        "candidates": CANDIDATES,
        "outcome": "interrupted",
        "ttft_s": 0.0,
        "duration_s": 0.5,
        "input_tokens": None,
        "output_tokens": None,
        "cached_input_tokens": None,
        "upstream_model": None,
        "chunks": 2,
        "fallbacks": 0,
        "error": "StreamInterrupted",
        "error_message": (
            "a: stream interrupted after 2 chunk(s): ServerError: scripted server error"
        ),
    }
    assert len(logs) == 1


async def test_consumer_break_is_cancelled(clock: FakeClock) -> None:
    """A consumer that stops after the first chunk records 'cancelled' and frees in-flight."""
    s = build(clock, [Script("one two three", first_token_delay_s=0.25)])
    with capture_logs() as logs:
        async with closing(s.router.stream_complete(request())) as stream:
            async for _ in stream:
                break
    assert samples(s.registry) == expect(*stream_rows(A, "cancelled", 0.25, 0.25))
    assert s.value("inflight_streams", provider="a") == 0
    assert s.a.closed == 1
    assert [e["event"] for e in logs] == ["stream.failed"]
    assert (logs[0]["outcome"], logs[0]["log_level"], logs[0]["chunks"]) == ("cancelled", "info", 1)
    assert logs[0]["error"] is None


async def test_task_cancellation_before_first_token(clock: FakeClock) -> None:
    """Cancelling the consuming task while the upstream stalls records 'cancelled'."""
    s = build(clock, [Script(fault=Fault("stall"))])
    with capture_logs() as logs:
        task = asyncio.create_task(drain(s))
        for _ in range(5):
            await asyncio.sleep(0)
        assert s.value("inflight_streams", provider="a") == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert samples(s.registry) == expect(*stream_rows(A, "cancelled", None, 0.0))
    assert s.value("inflight_streams", provider="a") == 0
    assert logs[-1]["event"] == "stream.failed"
    assert logs[-1]["outcome"] == "cancelled"


async def test_unknown_request_values_add_no_series(clock: FakeClock) -> None:
    """1,000 routed requests with random models, tasks, metadata and content add no series."""
    rng = random.Random(5)
    s = build(clock, [Script("fine.")])

    def junk() -> str:
        return "".join(rng.choices("abcdefghij-_/.0123456789", k=10))

    async def one(i: int) -> None:
        # (an unknown ChatRequest.task is refused outright; metadata["task"] is free text)
        req = request(request_id=junk(),
                      metadata={"task": junk(), "model": junk()},
                      messages=[{"role": "user", "content": junk() * 3}])  # fmt: skip
        if i % 3 == 0:
            with pytest.raises(UnknownModel):
                await drain(s, req.replace(model=junk()))
        else:
            await drain(s, req)

    for i in range(10):
        await one(i)
    first = llm_series(s.registry)
    for i in range(1000):
        await one(i)
    assert llm_series(s.registry) == first
