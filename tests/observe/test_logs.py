"""Logging configuration, request-id binding and the log hook's events."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from llm_router.observe import BreakerChanged, FellBack, Retried, RouteSelected, StreamEnded
from llm_router.observe.logs import Logs, bind_request_id, configure_logging
from tests.observe.helpers import record


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Each test starts and ends with structlog unconfigured and no bound context."""
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_json_lines_when_not_a_terminal() -> None:
    """By default a non-terminal stream gets one JSON object per line."""
    buf = io.StringIO()
    configure_logging(stream=buf)
    structlog.get_logger("llm_router").info("stream.completed", provider="a", chunks=3)
    (event,) = lines(buf)
    assert event["event"] == "stream.completed"
    assert event["provider"] == "a"
    assert event["chunks"] == 3
    assert event["level"] == "info"
    assert "timestamp" in event


def test_console_output_on_a_terminal() -> None:
    """A terminal gets readable key=value console output, not JSON."""
    buf = _Tty()
    configure_logging(stream=buf)
    structlog.get_logger().info("route.selected", route="code")
    out = buf.getvalue()
    assert "route.selected" in out
    assert "route" in out and "code" in out
    assert not out.lstrip().startswith("{")


def test_json_forced_on_a_terminal() -> None:
    """json=True forces JSON even on a terminal."""
    buf = _Tty()
    configure_logging(json=True, stream=buf)
    structlog.get_logger().info("retry", attempt=1)
    assert lines(buf)[0]["attempt"] == 1


def test_level_filters_events() -> None:
    """Events below the configured level are dropped; unknown levels are rejected."""
    buf = io.StringIO()
    configure_logging(level="warning", stream=buf)
    log = structlog.get_logger()
    log.info("quiet")
    log.warning("loud")
    assert [e["event"] for e in lines(buf)] == ["loud"]
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(level="chatty", stream=buf)


async def test_request_id_is_bound_per_task() -> None:
    """Concurrent tasks each carry their own request_id on every event."""
    buf = io.StringIO()
    configure_logging(stream=buf)
    log = structlog.get_logger()

    async def handle(rid: str) -> None:
        bind_request_id(rid)
        await asyncio.sleep(0)
        log.info("step", n=1)
        await asyncio.sleep(0)
        log.info("step", n=2)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(handle("r1"))
        tg.create_task(handle("r2"))
    log.info("outside")
    got = {(e.get("request_id"), e["event"], e.get("n")) for e in lines(buf)}
    assert ("r1", "step", 1) in got and ("r1", "step", 2) in got
    assert ("r2", "step", 1) in got and ("r2", "step", 2) in got
    assert (None, "outside", None) in got


def test_hook_logs_retry_fallback_circuit_events() -> None:
    """The hook emits retry, fallback and circuit.state_change as they happen; the
    route selected is not a line of its own (it is in the stream's end line)."""
    obs = Logs()
    bind_request_id("rid-9")
    with capture_logs() as logs:
        obs(RouteSelected("rid-9", "code", "code", ("a", "b")))
        obs(Retried("rid-9", "a", "rate_limited", 1, 0.25))
        obs(FellBack("rid-9", "code", "a", "b", "server_error"))
        obs(BreakerChanged("a", "closed", "open"))
    assert logs == [
        {
            "event": "retry",
            "log_level": "warning",
            "request_id": "rid-9",
            "provider": "a",
            "reason": "rate_limited",
            "attempt": 1,
            "wait_s": 0.25,
        },
        {
            "event": "fallback",
            "log_level": "warning",
            "request_id": "rid-9",
            "task": "code",
            "from_provider": "a",
            "to_provider": "b",
            "reason": "server_error",
        },
        {
            "event": "circuit.state_change",
            "log_level": "warning",
            "request_id": "rid-9",
            "provider": "a",
            "from_state": "closed",
            "to_state": "open",
            "source": "local",
        },
    ]


def test_hook_logs_stream_completed_and_failed() -> None:
    """Successful streams log stream.completed; others stream.failed with the error:
    one line per stream, carrying the route and its candidates."""
    obs = Logs()
    with capture_logs() as logs:
        obs(StreamEnded(record(candidates=("a", "b"))))
        obs(
            StreamEnded(
                record(
                    outcome="interrupted",
                    candidates=("a", "b"),
                    usage=None,
                    error="StreamInterrupted",
                    error_message="a: stream interrupted after 2 chunk(s)",
                )
            )
        )
    common = {
        "request_id": "req-1",
        "provider": "a",
        "model": "m-a",
        "upstream_model": None,
        "task": "code",
        "route": "code",
        "candidates": ["a", "b"],
        "ttft_s": 0.2,
        "duration_s": 1.2,
        "chunks": 5,
        "fallbacks": 0,
    }
    assert logs[0] == {
        "event": "stream.completed",
        "log_level": "info",
        "outcome": "success",
        "input_tokens": 100,
        "output_tokens": 50,
        "cached_input_tokens": None,
        **common,
    }
    assert logs[1] == {
        "event": "stream.failed",
        "log_level": "error",
        "outcome": "interrupted",
        "input_tokens": None,
        "output_tokens": None,
        "cached_input_tokens": None,
        "error": "StreamInterrupted",
        "error_message": "a: stream interrupted after 2 chunk(s)",
        **common,
    }


def test_cancelled_stream_is_logged_at_info() -> None:
    """A consumer cancellation is not an error: stream.failed at info level."""
    with capture_logs() as logs:
        Logs()(StreamEnded(record(outcome="cancelled", error="CancelledError")))
    assert logs[0]["event"] == "stream.failed"
    assert logs[0]["log_level"] == "info"
    assert logs[0]["outcome"] == "cancelled"


def test_exception_tracebacks_show_no_locals() -> None:
    """A logged exception from a function holding an api_key local does not leak it."""
    buf = io.StringIO()
    configure_logging(stream=buf)

    def call_upstream() -> None:
        api_key = "local-only-value-7f3a9"
        raise RuntimeError("upstream said no " + str(len(api_key)))

    try:
        call_upstream()
    except RuntimeError:
        structlog.get_logger().exception("call.failed")
    out = buf.getvalue()
    assert "upstream said no" in out
    assert "call_upstream" in out
    assert "local-only-value-7f3a9" not in out
    assert "locals" not in lines(buf)[0]["exception"][0]["frames"][-1]  # type: ignore[index]


def test_console_exceptions_show_no_locals() -> None:
    """The console renderer prints plain tracebacks, without local variables."""
    buf = _Tty()
    configure_logging(stream=buf)

    def call_upstream() -> None:
        api_key = "local-only-value-7f3a9"
        raise RuntimeError("boom " + str(len(api_key)))

    try:
        call_upstream()
    except RuntimeError:
        structlog.get_logger().exception("call.failed")
    assert "RuntimeError: boom" in buf.getvalue()
    assert "local-only-value-7f3a9" not in buf.getvalue()


def test_importing_the_library_configures_nothing() -> None:
    """Importing llm_router (and its hooks) leaves structlog and stdlib logging alone."""
    code = (
        "import logging, structlog\n"
        "before = list(logging.getLogger().handlers)\n"
        "import llm_router, llm_router.observe.logs, llm_router.observe.metrics\n"
        "import llm_router.redact\n"
        "assert not structlog.is_configured(), 'structlog configured on import'\n"
        "assert logging.getLogger().handlers == before, 'root handlers changed'\n"
        "assert logging.getLogger().level == logging.WARNING\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
