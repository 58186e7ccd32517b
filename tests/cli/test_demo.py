"""``llm-router demo`` runs by itself, offline, and narrates every event it shows."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest


@pytest.fixture(scope="module")
def demo_output() -> tuple[int, str, str, float]:
    """Run the demo once as a subprocess: (exit status, stdout, stderr, seconds)."""

    async def run() -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "llm_router.cli.main",
            "demo",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60.0)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    start = time.monotonic()
    status, out, err = asyncio.run(run())
    return status, out, err, time.monotonic() - start


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("- task: chat (signals:", id="task-detection"),
        pytest.param("- route 'chat': candidates ratelimited -> fast", id="routing"),
        pytest.param("- retry: ratelimited failed with rate_limited; waiting 1.0 s", id="retry"),
        pytest.param("= answered by ratelimited (model rl-1)", id="retry-succeeds"),
        pytest.param("- task: code (signals: code:", id="code-detected"),
        pytest.param(
            "- failover: down failed before its first token (connect_error)", id="failover"
        ),
        pytest.param("= answered by fast (model fast-1)", id="fallback-answers"),
        pytest.param("- breaker flaky: closed -> open", id="breaker-opens"),
        pytest.param("- failover: flaky skipped (circuit open); moving on to fast", id="skipped"),
        pytest.param("- breaker flaky: open -> half_open", id="half-open"),
        pytest.param("- breaker flaky: half_open -> closed", id="recovers"),
        pytest.param("= answered by flaky (model flaky-1)", id="trial-answers"),
        pytest.param("The breaker of flaky is now closed.", id="closed-again"),
        pytest.param(
            "> This answer is cut off after three words, then rescued in mid-sentence.\n",
            id="rescued-whole",
        ),
        pytest.param(
            "- rescue: interrupting broke after 15 characters; continue from the delivered"
            " text (assistant prefill) on interrupting: rescued",
            id="rescue-narrated",
        ),
        pytest.param("= answered by interrupting (model interrupt-1)", id="rescued-answer"),
        pytest.param(
            'llm_router_rescues_total{outcome="rescued",provider="interrupting",'
            'strategy="continue"} 1.0',
            id="metric-rescue",
        ),
        pytest.param("> This answer will \n", id="partial-text"),
        pytest.param("error event (code stream_interrupted) and no [DONE]", id="interrupted"),
        pytest.param('llm_router_retries_total{provider="ratelimited"', id="metric-retries"),
        pytest.param("llm_router_fallbacks_total{", id="metric-fallbacks"),
        pytest.param('outcome="interrupted"', id="metric-interrupted"),
        pytest.param(
            'from_state="half_open",provider="flaky",to_state="closed"', id="metric-breaker"
        ),
    ],
)
def test_demo_narrates(demo_output: tuple[int, str, str, float], line: str) -> None:
    """Each event of the tour appears in the narration."""
    assert line in demo_output[1]


def test_demo_ends_quickly_and_cleanly(demo_output: tuple[int, str, str, float]) -> None:
    """The demo exits 0 by itself, well under a minute, with nothing on stderr."""
    status, out, err, seconds = demo_output
    assert status == 0, err
    assert seconds < 30
    assert err == ""
    assert out.index("1. Task detection") < out.index("2. Failover") < out.index("6. What")
