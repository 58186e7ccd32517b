"""The structlog processor chain :func:`~llm_router.observe.logs.configure_logging`
installs, kept short (docs/DESIGN.md §5): every log event goes through it.

In order: the bound context (``request_id``), the exception (rendered without local
variables), redaction of the event's own fields, then the level and the time stamp
(ours: nothing to scan), then the renderer. The time stamp formats the date and time
once per second; the JSON renderer reuses one encoder. Records of the standard
``logging`` module take the same steps after their own stamp (:func:`capture_stdlib`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import Processor

from llm_router.redact import Redactor

_STDLIB_HANDLER = "llm_router"


class UtcStamp:
    """Adds ``timestamp``: ISO 8601 in UTC with microseconds and a ``Z``
    (``2026-12-06T10:55:52.971686Z``, as structlog's ``TimeStamper(fmt="iso",
    utc=True)`` writes it), the part up to the second formatted once per second."""

    __slots__ = ("_second",)

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Stamp ``event_dict``."""
        now = time.time()
        second = int(now)
        cached = self._second  # one tuple, replaced whole: safe across threads
        if cached[0] != second:
            cached = self._second = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
            )
        event_dict["timestamp"] = f"{cached[1]}.{int((now - second) * 1e6):06d}Z"
        return event_dict


def _fallback(obj: Any) -> Any:
    """What the JSON renderer writes for a value JSON has no type for (as structlog's
    ``JSONRenderer``: the object's ``__structlog__()``, else its ``repr``)."""
    render = getattr(obj, "__structlog__", None)
    return render() if callable(render) else repr(obj)


class JsonRender:
    """Renders an event as one JSON object (keys in order), with one reused encoder."""

    __slots__ = ("_encode",)

    def __init__(self) -> None:
        self._encode = json.JSONEncoder(default=_fallback).encode

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> str:
        """The JSON line (without its newline)."""
        return self._encode(event_dict)


def chain(json_lines: bool, include_content: bool, out: TextIO) -> list[Processor]:
    """The processors of every structlog event (see the module doc)."""
    exceptions: Processor = (
        structlog.processors.ExceptionRenderer(
            ExceptionDictTransformer(show_locals=False, use_rich=False)
        )
        if json_lines
        else structlog.processors.format_exc_info
    )
    renderer: Processor
    if json_lines:
        renderer = JsonRender()
    else:
        colors = hasattr(out, "isatty") and out.isatty()
        renderer = structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback
        )
    return [
        structlog.contextvars.merge_contextvars,
        exceptions,
        Redactor(include_content=include_content),
        structlog.processors.add_log_level,
        UtcStamp(),
        renderer,
    ]


def capture_stdlib(out: TextIO, level: int, processors: list[Processor]) -> None:
    """Render standard ``logging`` records on ``out`` like structlog events: named and
    stamped, then through the exception, redaction and rendering steps of
    ``processors`` (a :func:`chain`). Replaces the handler a previous call installed."""
    _merge, exceptions, redactor, add_level, stamp, renderer = processors
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, add_level, stamp],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exceptions,
            redactor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_STDLIB_HANDLER)
    handler.setFormatter(formatter)
    handler.setLevel(level)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _STDLIB_HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
