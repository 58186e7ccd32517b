"""Incremental, split-safe, bounded Server-Sent Events parser (WHATWG algorithm).

Bytes may arrive split anywhere — inside a line, between a CR and its LF, inside a
UTF-8 character — and the events are the same. Lines are found with ``str.split`` on
decoded text, never byte by byte, and a partial line is kept as a list of pieces so a
long line arriving in many small reads costs linear time.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

from llm_router.errors import ProtocolError

_BOM = "\ufeff"


class SSEEvent(NamedTuple):
    """One dispatched event: ``data`` lines joined with ``\\n``; ``event`` defaults to
    ``"message"``; ``id`` is the last event ID seen so far; ``retry`` the reconnection
    time set while this event was read (if any).

    Immutable and slotted; a named tuple rather than a frozen dataclass because it is
    built once per event on the hot path and a tuple is several times cheaper to make.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed bytes with :meth:`feed`; get the events completed by them.

    An event is dispatched only at a blank line, so an unterminated final event is
    dropped; an event with no ``data`` line is not dispatched. A line longer than
    ``max_line`` or an event whose data exceeds ``max_event`` characters raises
    :class:`~llm_router.errors.ProtocolError` (``provider`` names the upstream).
    """

    __slots__ = (
        "_data",
        "_data_size",
        "_decoder",
        "_event",
        "_last_id",
        "_max_event",
        "_max_line",
        "_pending",
        "_pending_size",
        "_retry",
        "_skip_lf",
        "_started",
        "provider",
    )

    def __init__(
        self, *, max_line: int = 1 << 20, max_event: int = 1 << 20, provider: str = ""
    ) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._max_line = max_line
        self._max_event = max_event
        self.provider = provider
        self._pending: list[str] = []
        self._pending_size = 0
        self._skip_lf = False
        self._started = False
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """Parse ``data`` (any split of the stream) and return the events it completes."""
        text = self._decoder.decode(data)
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == _BOM:
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        elif (  # one whole ``data:`` event, alone in the read: what a paced stream sends
            text[:6] == "data: "
            and text[-2:] == "\n\n"
            and text.find("\n") == len(text) - 2
            and not self._pending
            and not self._data
            and not self._event
            and "\r" not in text
            and len(text) - 2 <= self._max_line
            and len(text) - 7 <= self._max_event
        ):  # the general path below gives the same event, and raises past a limit
            retry, self._retry = self._retry, None
            return [_new_event(SSEEvent, (text[6:-2], "message", self._last_id, retry))]
        elif (
            text[:6] == "data: "
            and text[-2:] == "\n\n"
            and not self._pending
            and not self._data
            and not self._event
            and "\r" not in text
        ):
            events = self._burst(text)
            if events is not None:
                return events
        if "\r" in text:
            if text[-1] == "\r":
                self._skip_lf = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        tail = lines.pop()
        if lines:
            if self._pending:
                self._pending.append(lines[0])
                lines[0] = "".join(self._pending)
                self._pending = []
                self._pending_size = 0
            if len(lines[0]) > self._max_line:
                self._too_long("line")
            events = self._lines(lines)
        else:
            events = []
        if tail:
            self._pending.append(tail)
            self._pending_size += len(tail)
            if self._pending_size > self._max_line:
                self._too_long("line")
        return events

    def _burst(self, text: str) -> list[SSEEvent] | None:
        """The events of ``text`` if it is whole one-line ``data:`` events and nothing
        else (what a fast upstream's read holds), split at once; else ``None`` (the
        general path). ``text`` starts with ``data: `` and ends with a blank line."""
        parts = text[:-2].split("\n\n")
        n = len(parts)
        # every newline is in a separator, and every event after the first starts
        # with "data: " (a separator has no other newline around it to hide in)
        if text.count("\n") != 2 * n or text.count("\n\ndata: ") != n - 1:
            return None
        if max(map(len, parts)) > min(self._max_line, self._max_event + 5):
            return None  # the general path raises
        last_id, new = self._last_id, _new_event
        events = [new(SSEEvent, (part[6:], "message", last_id, None)) for part in parts]
        if self._retry is not None:
            events[0] = new(SSEEvent, (parts[0][6:], "message", last_id, self._retry))
            self._retry = None
        return events

    def _too_long(self, what: str) -> None:
        limit = self._max_line if what == "line" else self._max_event
        raise ProtocolError(f"SSE {what} longer than {limit} characters", provider=self.provider)

    def _lines(self, lines: list[str]) -> list[SSEEvent]:
        # The per-event path: state lives in locals while the lines are walked and is
        # stored back once per feed (also when a limit raises).
        events: list[SSEEvent] = []
        max_line, max_event = self._max_line, self._max_event
        data, size, event, retry = self._data, self._data_size, self._event, self._retry
        try:
            for line in lines:
                if not line:
                    if data:
                        item = (_JOIN(data), event or "message", self._last_id, retry)
                        events.append(_new_event(SSEEvent, item))
                        data = []
                    size, event, retry = 0, "", None
                    continue
                if len(line) > max_line:
                    self._too_long("line")
                if line[:6] == "data: ":  # the common case, without the general split
                    value = line[6:]
                elif line[0] == ":":
                    continue
                else:
                    colon = line.find(":")
                    if colon == -1:
                        name, value = line, ""
                    else:
                        name = line[:colon]
                        value = line[colon + 1 :]
                        if value[:1] == " ":
                            value = value[1:]
                    if name != "data":
                        if name == "event":
                            event = value
                        elif name == "id":
                            if "\0" not in value:
                                self._last_id = value
                        elif name == "retry" and value.isascii() and value.isdigit():
                            retry = int(value)
                        continue
                data.append(value)
                size += len(value) + 1
                if size > max_event:
                    self._too_long("event")
        finally:
            self._data, self._data_size, self._event, self._retry = data, size, event, retry
        return events


_JOIN = "\n".join
_new_event = tuple.__new__  # SSEEvent's own __new__ adds a Python frame per event


__all__ = ["SSEEvent", "SSEParser"]
