"""Incremental, split-safe, bounded newline-delimited JSON line splitter (Ollama).

Lines are split on ``\\n`` at the byte level (a newline byte never occurs inside a
multi-byte UTF-8 character), so a character split across reads is reassembled before
it is decoded. Blank lines are skipped; a trailing ``\\r`` is removed.
"""

from __future__ import annotations

from llm_router.errors import ProtocolError


class NDJSONParser:
    """Feed bytes with :meth:`feed` and get complete, non-blank lines (decoded text);
    call :meth:`finish` at EOF for a final line without a newline. A line longer than
    ``max_line`` bytes raises :class:`~llm_router.errors.ProtocolError`."""

    __slots__ = ("_max_line", "_pending", "_pending_size", "provider")

    def __init__(self, *, max_line: int = 1 << 20, provider: str = "") -> None:
        self._max_line = max_line
        self.provider = provider
        self._pending: list[bytes] = []
        self._pending_size = 0

    def feed(self, data: bytes) -> list[str]:
        """Parse ``data`` and return the lines it completes."""
        if b"\n" not in data:
            if data:
                self._pending.append(data)
                self._pending_size += len(data)
                if self._pending_size > self._max_line:
                    self._too_long()
            return []
        parts = data.split(b"\n")
        tail = parts.pop()
        if self._pending:
            self._pending.append(parts[0])
            parts[0] = b"".join(self._pending)
            self._pending = []
            self._pending_size = 0
        out: list[str] = []
        for part in parts:
            if len(part) > self._max_line:
                self._too_long()
            line = part.decode("utf-8", "replace").strip()
            if line:
                out.append(line)
        if tail:
            self._pending.append(tail)
            self._pending_size = len(tail)
            if self._pending_size > self._max_line:
                self._too_long()
        return out

    def finish(self) -> list[str]:
        """The final line if the stream ended without a newline (else nothing)."""
        rest = b"".join(self._pending)
        self._pending = []
        self._pending_size = 0
        line = rest.decode("utf-8", "replace").strip()
        return [line] if line else []

    def _too_long(self) -> None:
        raise ProtocolError(
            f"NDJSON line longer than {self._max_line} bytes", provider=self.provider
        )


__all__ = ["NDJSONParser"]
