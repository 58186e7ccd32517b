"""The one log line per stream, written without structlog's per-event machinery.

:func:`~llm_router.observe.logs.configure_logging` installs a short, known chain
(:func:`~llm_router.observe._chain.chain`). For the event every stream logs, the
stream's end, :class:`Direct` does what that chain does, in the same order, to an
event whose fields are known: the bound context merged in (and redacted), every
string field scrubbed of secrets, the level and the time stamp added, then the same
renderer and the same writer. The line is byte for byte the one structlog writes
(tested); it costs about half. It is used only while structlog's configuration is
still the one ``configure_logging`` made: an application that reconfigures structlog
gets its own processors on every event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, cast

import structlog
from structlog.contextvars import merge_contextvars

from llm_router.redact import Redactor, redact_text

_LEVELS = logging.getLevelNamesMapping()
Processor = Callable[[Any, str, MutableMapping[str, Any]], Any]


class Direct:
    """Writes a known event through the chain ``configure_logging`` installed (see the
    module doc). ``processors`` is that chain: merge, exceptions, redactor, level,
    stamp, renderer."""

    __slots__ = ("_levels", "_redactor", "_render", "_stamp", "_writer", "processors")

    def __init__(self, processors: Sequence[Processor], min_level: int, factory: Any) -> None:
        _merge, _exceptions, redactor, _level, stamp, render = processors
        self.processors = processors
        self._redactor = cast(Redactor, redactor)
        self._stamp, self._render = stamp, render
        self._writer = factory()
        self._levels = {name: n >= min_level for name, n in _LEVELS.items()}

    def current(self) -> bool:
        """Whether structlog's configuration is still the one this was made for."""
        return structlog.get_config()["processors"] is self.processors

    def write(
        self, method: str, event: str, fields: dict[str, Any], strings: Sequence[str]
    ) -> None:
        """Log ``event`` at level ``method`` (``info``, ``error``…) with ``fields``: plain
        keys whose values are numbers, ``None``, or, for the keys in ``strings``,
        strings or lists of strings (the values scrubbed here)."""
        if not self._levels.get(method.upper(), True):
            return
        for key in strings:
            value = fields[key]
            if type(value) is str:
                fields[key] = redact_text(value)
            elif type(value) is list:
                fields[key] = [redact_text(v) for v in value]
        fields["event"] = event
        context = merge_contextvars(None, method, {})
        if context:
            for key, value in self._redactor(None, method, context).items():
                fields.setdefault(key, value)
        fields["level"] = method
        self._writer.msg(self._render(None, method, self._stamp(None, method, fields)))
