""":class:`Reply`: what a scripted upstream answers to one request, faults included."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from llm_router.errors import ConfigurationError
from llm_router.types import FinishReason, ToolCall, Usage

_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer of a scripted upstream, rendered in the upstream's own wire format.

    A healthy answer streams ``text`` (word by word, or as ``pieces``), then
    ``tool_calls``, then the finish signal with ``finish`` (``tool_calls`` when there are
    tool calls) and ``usage`` (default: 10
    input tokens, one output token per piece). Faults, each at a point of the stream
    counted in pieces sent (text pieces, then one per tool call):

    - ``status`` other than 200: an error answer in the vendor's error shape, with
      ``message``, ``retry_after`` (the ``Retry-After`` header) and ``headers``;
    - ``refuse``: the connection fails before any answer (``ConnectError``);
    - ``cut_after=n``: the stream ends after ``n`` pieces without its finish signal (a
      truncated stream); with ``reset`` the connection is aborted instead (loopback
      only);
    - ``malformed_after=n``: an event that is not valid JSON after ``n`` pieces;
    - ``error_event_after=n``: the vendor's in-stream error event after ``n`` pieces
      (``message``; an overload/rate-limit event with ``status=429``);
    - ``stall_after=n``: after ``n`` pieces nothing more comes until the client gives
      up or the upstream is released (``stall_after=0``: before the first content;
      mid-stream stalls need a :class:`~llm_router.testing.LoopbackUpstream`);
      ``stall_headers`` stalls before even the status line.

    Build the common ones with the class methods: :meth:`error`, :meth:`refused`,
    :meth:`cut`, :meth:`stall`, :meth:`malformed`.
    """

    text: str = "Hello from the scripted upstream."
    pieces: tuple[str, ...] | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish: FinishReason = "stop"
    usage: Usage | None = None
    model: str | None = None
    status: int = 200
    message: str = ""
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    refuse: bool = False
    cut_after: int | None = None
    reset: bool = False
    malformed_after: int | None = None
    error_event_after: int | None = None
    stall_after: int | None = None
    stall_headers: bool = False

    def __post_init__(self) -> None:
        points = {
            "cut_after": self.cut_after,
            "malformed_after": self.malformed_after,
            "error_event_after": self.error_event_after,
            "stall_after": self.stall_after,
        }
        bad = [k for k, v in points.items() if v is not None and v < 0]
        if bad:
            raise ConfigurationError(f"Reply: {', '.join(bad)} must be >= 0")
        if len([v for v in points.values() if v is not None]) > 1:
            raise ConfigurationError("Reply: give at most one mid-stream fault")
        if self.reset and self.cut_after is None:
            raise ConfigurationError("Reply: reset needs cut_after (where to abort)")
        if not 100 <= self.status <= 599:
            raise ConfigurationError(f"Reply: status must be an HTTP status, got {self.status}")

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "",
        *,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """An error answer: ``Reply.error(429, retry_after=2)``, ``Reply.error(503)``."""
        return cls(status=status, message=message, retry_after=retry_after, headers=headers or {})

    @classmethod
    def refused(cls) -> Reply:
        """The connection fails: nothing is listening."""
        return cls(refuse=True)

    @classmethod
    def cut(cls, text: str, after: int, *, reset: bool = False) -> Reply:
        """``text`` streamed for ``after`` pieces, then the stream ends unfinished."""
        return cls(text=text, cut_after=after, reset=reset)

    @classmethod
    def stall(cls, after: int = 0, text: str = "Hello from the scripted upstream.") -> Reply:
        """Nothing more after ``after`` pieces (0: no first token)."""
        return cls(text=text, stall_after=after)

    @classmethod
    def malformed(cls, after: int = 0, text: str = "Hello from the scripted upstream.") -> Reply:
        """An event that does not parse after ``after`` pieces."""
        return cls(text=text, malformed_after=after)

    def text_pieces(self) -> list[str]:
        """The text deltas, in order."""
        if self.pieces is not None:
            return list(self.pieces)
        return _WORDS.findall(self.text) if self.text else []

    @property
    def final_finish(self) -> FinishReason:
        """The finish reason sent: ``finish``, or ``tool_calls`` for an answer with tool
        calls that left it at ``stop``."""
        return "tool_calls" if self.tool_calls and self.finish == "stop" else self.finish

    def final_usage(self) -> Usage:
        """The usage the finish signal reports."""
        if self.usage is not None:
            return self.usage
        return Usage(input_tokens=10, output_tokens=len(self.text_pieces()) + len(self.tool_calls))

    def fault_at(self) -> tuple[str, int] | None:
        """The mid-stream fault and after how many pieces, if any."""
        for kind, at in (
            ("cut", self.cut_after),
            ("malformed", self.malformed_after),
            ("error_event", self.error_event_after),
            ("stall", self.stall_after),
        ):
            if at is not None:
                return kind, at
        return None
