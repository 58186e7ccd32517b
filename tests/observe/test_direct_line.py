"""The stream-end line's short cut (``observe._direct``) writes exactly the line
structlog writes through the chain ``configure_logging`` installed, and steps aside
when the application reconfigures structlog."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import structlog

from llm_router.observe import StreamEnded
from llm_router.observe.logs import Logs, bind_request_id, configure_logging, get_logger
from llm_router.redact import is_plain_key
from tests.observe.helpers import record
from tests.observe.test_logs import _reset_structlog  # noqa: F401 - the same autouse fixture

KEY = "sk-proj-" + "Z" * 40
STAMP = re.compile(r'"timestamp": "[^"]+"')


RECORDS = {
    "completed": record(candidates=("a", "b"), upstream_model="m-a-2026"),
    "failed": record(
        outcome="interrupted",
        usage=None,
        error="StreamInterrupted",
        error_message=f"a: stream interrupted (upstream said: bad key {KEY})",
        candidates=("a", "b"),
    ),
    "cancelled": record(outcome="cancelled", error="CancelledError", error_message=None),
}


def both_lines(rec: Any, *, json_lines: bool, bind: bool) -> tuple[str, str]:
    """The line the short cut writes and the one structlog writes."""
    out = io.StringIO()
    configure_logging(json=json_lines, stream=out, level="debug")
    if bind:
        bind_request_id("bound-1")
        structlog.contextvars.bind_contextvars(tenant="t1", api_key=KEY)
    Logs()(StreamEnded(rec))  # the short cut (structlog's configuration is ours)
    Logs(logger=get_logger())(StreamEnded(rec))  # a given logger: through structlog
    direct, via_structlog = out.getvalue().splitlines()
    return direct, via_structlog


@pytest.mark.parametrize("bind", [False, True])
@pytest.mark.parametrize("name", list(RECORDS))
def test_the_short_cut_writes_structlogs_line_byte_for_byte(name: str, bind: bool) -> None:
    """Same keys in the same order, same values, same redaction, JSON lines."""
    direct, via_structlog = both_lines(RECORDS[name], json_lines=True, bind=bind)
    assert STAMP.sub("", direct) == STAMP.sub("", via_structlog)
    assert KEY not in direct
    event = json.loads(direct)
    assert event["event"] == ("stream.completed" if name == "completed" else "stream.failed")
    assert event["level"] == {"completed": "info", "failed": "error", "cancelled": "info"}[name]
    if bind:
        assert event["tenant"] == "t1" and event["api_key"] != KEY
    if name == "failed":
        assert "bad key" in event["error_message"]


def test_console_output_is_the_same_too() -> None:
    """On a terminal's console renderer the two lines are equal as well."""
    direct, via_structlog = both_lines(RECORDS["failed"], json_lines=False, bind=True)
    assert re.sub(r"^\S+ ", "", direct) == re.sub(r"^\S+ ", "", via_structlog)
    assert KEY not in direct


def test_level_filter_applies_to_the_short_cut() -> None:
    """At level ``error`` a completed stream writes nothing, a failed one its line."""
    out = io.StringIO()
    configure_logging(json=True, stream=out, level="error")
    Logs()(StreamEnded(RECORDS["completed"]))
    assert out.getvalue() == ""
    Logs()(StreamEnded(RECORDS["failed"]))
    assert json.loads(out.getvalue())["event"] == "stream.failed"


def test_an_application_that_reconfigures_structlog_gets_its_processors() -> None:
    """After ``configure_logging``, an application's own ``structlog.configure`` wins:
    its processors see the stream's end event."""
    configure_logging(json=True, stream=io.StringIO())
    seen: list[dict[str, Any]] = []

    def keep(logger: object, method: str, event_dict: dict[str, Any]) -> str:
        seen.append(dict(event_dict))
        return "x"

    structlog.configure(processors=[keep], logger_factory=structlog.ReturnLoggerFactory())
    Logs()(StreamEnded(RECORDS["completed"]))
    assert [e["event"] for e in seen] == ["stream.completed"]


def test_the_stream_end_fields_are_all_plain() -> None:
    """The short cut scrubs values only: none of its field names may be a secret's
    or message content's (the Redactor would blank those)."""
    out = io.StringIO()
    configure_logging(json=True, stream=out)
    Logs()(StreamEnded(RECORDS["failed"]))
    keys = [k for k in json.loads(out.getvalue()) if k not in ("event", "level", "timestamp")]
    assert len(keys) >= 17
    assert all(is_plain_key(k) for k in keys)
