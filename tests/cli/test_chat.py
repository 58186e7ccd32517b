"""``llm-router chat`` as a subprocess against the demo policy."""

from __future__ import annotations

from tests.cli._run import llm_router


def test_chat_streams_the_answer_and_a_stats_line() -> None:
    """The healthy provider's answer goes to stdout; the stats line to stderr."""
    result = llm_router("chat", "--model", "fast", "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Hello! This answer comes from the fast provider, streamed word by word.\n"
    )
    stats = result.stderr.strip().splitlines()[-1]
    assert stats.startswith("[provider=fast model=fast-1 task=chat route=fast ttft=")
    assert "tokens/s=" in stats and stats.endswith("fallbacks=0]")


def test_chat_narrates_a_fallback() -> None:
    """A failover before the first token is narrated and counted in the stats line."""
    result = llm_router("chat", "--task", "code", "Fix my bug")
    assert result.returncode == 0, result.stderr
    assert "[fallback: down → fast (connect_error)]" in result.stderr
    assert "provider=fast" in result.stderr and "fallbacks=1" in result.stderr


def test_chat_interruption_is_one_error_line() -> None:
    """A mid-stream failure keeps the partial text and ends with one error line."""
    result = llm_router("chat", "--model", "interrupt-demo", "Tell me a story")
    assert result.returncode == 1
    assert result.stdout == "This answer will \n"
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("llm-router: error: cutting: stream interrupted after 3 chunk(s)")
    )
    assert "Traceback" not in result.stderr
