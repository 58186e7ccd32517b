"""Where a rescue stream meets what the caller already has (docs/DESIGN.md §4.5).

:class:`Delivered` is the output already handed to the caller (text and tool-call
deltas per index). :class:`ReplaySeam` reads a replayed stream silently, checks that it
reproduces :class:`Delivered` exactly, and once it has, passes on only what follows
(tool-call ids mapped to the delivered ones). :class:`ContinueSeam` passes on a
continuation made with the delivered text as an assistant prefill, trimming an overlap
where the continuation repeats the tail of that text or of the prefill as sent (a server
that echoes the prefill). :meth:`Delivered.tokens` estimates the delivered output for
what is left of ``max_tokens``. All run only on the rare rescue path, never on a healthy
stream.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from llm_router.types import StreamChunk, ToolCallDelta


class Diverged(Exception):
    """A replay produced something other than the delivered output."""


class _Call:
    __slots__ = ("args", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.args = ""


class Delivered:
    """The output the caller has received so far, kept per tool-call index, and how
    much of it there was (``pieces``: chunks that carried output; ``thinking_chars``)."""

    __slots__ = ("calls", "pieces", "text", "thinking_chars")

    def __init__(self, chunks: Iterable[StreamChunk] = ()) -> None:
        self.text = ""
        self.calls: dict[int, _Call] = {}
        self.pieces = 0
        self.thinking_chars = 0
        self.add_all(chunks)

    def add_all(self, chunks: Iterable[StreamChunk]) -> None:
        """Add the chunks delivered in order."""
        texts = [self.text]
        for chunk in chunks:
            if chunk.text or chunk.thinking or chunk.tool_calls:
                self.pieces += 1
                self.thinking_chars += len(chunk.thinking)
            if chunk.text:
                texts.append(chunk.text)
            for delta in chunk.tool_calls:
                call = self.calls.get(delta.index)
                if call is None:
                    call = self.calls[delta.index] = _Call()
                call.id = call.id or (delta.id or "")
                call.name = call.name or (delta.name or "")
                call.args += delta.arguments_delta
        self.text = "".join(texts)

    def add(self, chunk: StreamChunk) -> None:
        """Add one delivered chunk."""
        self.add_all((chunk,))

    @property
    def empty(self) -> bool:
        """Nothing was delivered."""
        return not self.text and not self.calls

    def tokens(self) -> int:
        """An estimate of the output tokens delivered: the larger of the chunks that
        carried output (an OpenAI-compatible server sends one token or more per chunk,
        so this is not above the real count) and the characters over four (for
        Anthropic and Gemini, which send several tokens per chunk)."""
        chars = len(self.text) + self.thinking_chars + sum(len(c.args) for c in self.calls.values())
        return max(self.pieces, -(-chars // 4))


def _strip(chunk: StreamChunk, text: str, calls: tuple[ToolCallDelta, ...]) -> StreamChunk:
    # the replay's thinking (and its signature) is not what the caller saw
    return dataclasses.replace(chunk, text=text, tool_calls=calls, thinking="", signature=None)


class ReplaySeam:
    """Verify a replay against :class:`Delivered`, then pass on what follows.

    :meth:`feed` returns ``None`` while the replay is still reproducing the delivered
    output, the part of a chunk beyond it once reproduced, and raises
    :class:`Diverged` at the first difference (a different character, a different tool
    name, new output before the delivered output is complete, or a finish before it).
    """

    __slots__ = ("_args_pos", "_delivered", "_text_pos", "passed", "reproduced_chars")

    def __init__(self, delivered: Delivered) -> None:
        self._delivered = delivered
        self._text_pos = 0
        self._args_pos: dict[int, int] = dict.fromkeys(delivered.calls, 0)
        self.passed = False
        self.reproduced_chars = 0

    def _complete(self) -> bool:
        d = self._delivered
        if self._text_pos != len(d.text):
            return False
        return all(self._args_pos[i] == len(c.args) for i, c in d.calls.items())

    def _match_text(self, text: str) -> str:
        d_text = self._delivered.text
        head = text[: len(d_text) - self._text_pos]
        if head and d_text[self._text_pos : self._text_pos + len(head)] != head:
            raise Diverged(f"text differs at character {self._text_pos}")
        self._text_pos += len(head)
        return text[len(head) :]

    def _match_call(self, delta: ToolCallDelta) -> ToolCallDelta | None:
        call = self._delivered.calls.get(delta.index)
        if call is None:
            return delta  # a tool call the caller has not seen: new output
        if delta.name and call.name and delta.name != call.name:
            raise Diverged(f"tool call {delta.index} names {delta.name!r}, not {call.name!r}")
        pos = self._args_pos[delta.index]
        arg = delta.arguments_delta
        head = arg[: len(call.args) - pos]
        if head and call.args[pos : pos + len(head)] != head:
            raise Diverged(f"tool call {delta.index} arguments differ at {pos}")
        self._args_pos[delta.index] = pos + len(head)
        rest = arg[len(head) :]
        # the caller already has this call's id and name: only new arguments go on
        return ToolCallDelta(delta.index, None, None, rest) if rest else None

    def feed(self, chunk: StreamChunk) -> StreamChunk | None:
        """The part of ``chunk`` to deliver, ``None`` for nothing yet (see class doc)."""
        if self.passed:
            return self._mapped(chunk)
        new_text = self._match_text(chunk.text) if chunk.text else ""
        new_calls = tuple(
            m for m in (self._match_call(d) for d in chunk.tool_calls) if m is not None
        )
        if new_text or new_calls or chunk.finish_reason is not None:
            if not self._complete():
                what = "finished" if not (new_text or new_calls) else "went on"
                raise Diverged(f"the replay {what} before reproducing the delivered output")
            self.passed = True
            self.reproduced_chars = self._text_pos + sum(self._args_pos.values())
            return _strip(chunk, new_text, new_calls)
        return None

    def _mapped(self, chunk: StreamChunk) -> StreamChunk:
        if not chunk.tool_calls or not any(
            d.index in self._delivered.calls and (d.id or d.name) for d in chunk.tool_calls
        ):
            return chunk
        calls = tuple(
            ToolCallDelta(d.index, None, None, d.arguments_delta)
            if d.index in self._delivered.calls
            else d
            for d in chunk.tool_calls
        )
        return dataclasses.replace(chunk, tool_calls=calls)


class ContinueSeam:
    """Pass on a prefilled continuation, trimming an overlap with the delivered text.

    Some servers answer a prefill with text that repeats the end of it, or all of it
    (llama.cpp's ``llama-server`` sends the whole prefill back in its first delta). The
    continuation's first characters are held back while they could still be such a
    repeat: a suffix, at least ``min_overlap`` characters long (or whole when shorter),
    of the delivered text or of the prefill as sent. The longest repeat found is
    dropped. ``gap`` is the delivered text's trailing whitespace, which the prefill
    left out: after a repeat of the prefill, or when nothing was repeated, whitespace
    opening the rest is dropped up to that length, so it is not doubled.

    A continuation that starts the answer over instead (a model or server that ignored
    the prefill: llmock answers anew, another model may restart in its own words) is no
    continuation: once what follows the overlap opens with the delivered text's first
    :data:`RESTART` characters, :meth:`feed` raises :class:`Diverged`, before anything
    is released, and the rescue tries its next option. Until that is decided the
    continuation is held back too (at most :data:`RESTART` characters more).
    """

    __slots__ = (
        "_buffer",
        "_candidates",
        "_gap",
        "_head",
        "_held",
        "_min",
        "_texts",
        "passed",
        "trimmed",
    )

    def __init__(self, delivered_text: str, *, min_overlap: int = 8, gap: str = "") -> None:
        self._gap = gap
        opening = delivered_text.lstrip()[:RESTART]
        self._head = opening if len(opening) == RESTART else ""  # "": too short to tell
        self._buffer = ""
        self._held: list[StreamChunk] = []
        prefill = delivered_text[: len(delivered_text) - len(gap)]
        self._texts = (delivered_text, prefill) if gap else (delivered_text,)
        # (source, k): the continuation may open with the last k characters of the
        # delivered text (source 0) or of the prefill as sent (source 1, before ``gap``);
        # ``None`` until the first text arrives (then every length is a candidate)
        self._candidates: list[tuple[int, int]] | None = None
        self._min = min_overlap
        self.passed = not any(_lengths(t, min_overlap) for t in self._texts) and not gap
        self.trimmed = 0

    def feed(self, chunk: StreamChunk) -> list[StreamChunk]:
        """The chunks to deliver now (held back while an overlap is still possible)."""
        if self.passed:
            return [chunk]
        self._held.append(chunk)
        if chunk.text:
            done, new = len(self._buffer), chunk.text
            self._buffer += new
            if self._candidates is None:
                self._candidates = [
                    (i, k)
                    for i, t in enumerate(self._texts)
                    for k in _agreeing(t, _lengths(t, self._min), new)
                ]
            else:  # the survivors so far agree up to ``done``: check what is new
                self._candidates = [
                    (i, k) for i, k in self._candidates if _goes_on(self._texts[i], k, done, new)
                ]
        candidates = self._candidates
        last = bool(chunk.tool_calls) or chunk.finish_reason is not None
        pending = candidates is None or any(k > len(self._buffer) for _, k in candidates)
        if pending and not last:
            return []
        trim = self._trim()
        restart = self._restart(trim)
        if restart:
            raise Diverged("the continuation starts the answer over")
        if restart is None and not last:
            return []
        return self._release(trim)

    def flush(self) -> list[StreamChunk]:
        """Release what is held, without the longest overlap found."""
        if self.passed:
            return []
        return self._release(self._trim())

    def _trim(self) -> int:
        """How much of the held text repeats the delivered text (or the prefill)."""
        done = [(k, i) for i, k in self._candidates or () if k <= len(self._buffer)]
        trim, source = max(done, default=(0, 1))  # the longest repeat
        if source == 1 and self._gap:  # a repeat of the prefill, or none
            head = self._buffer[trim : trim + len(self._gap)]
            trim += len(head) - len(head.lstrip())
        return trim

    def _restart(self, trim: int) -> bool | None:
        """Whether the text after ``trim`` starts the answer over (``None``: it agrees
        with the answer's opening so far, but is too short to tell)."""
        if not self._head:
            return False
        space = _SPACE.match(self._buffer, trim)  # always matches: "" at least
        start = trim if space is None else space.end()
        rest = self._buffer[start : start + RESTART]
        if not self._head.startswith(rest):
            return False
        return True if len(rest) == RESTART else None

    def _release(self, trim: int) -> list[StreamChunk]:
        self.passed = True
        self.trimmed = trim
        out: list[StreamChunk] = []
        for chunk in self._held:
            cut = min(trim, len(chunk.text))
            trim -= cut
            if cut == 0:
                out.append(chunk)
            elif len(chunk.text) > cut or chunk.tool_calls or chunk.finish_reason is not None:
                out.append(dataclasses.replace(chunk, text=chunk.text[cut:]))
        self._held = []
        return out


def _lengths(text: str, min_overlap: int) -> range:
    """The lengths of ``text``'s suffixes that count as a repeat, longest first: from
    the whole down to ``min_overlap`` characters (the whole alone when shorter)."""
    return range(len(text), max(min(len(text), min_overlap), 1) - 1, -1)


def _goes_on(text: str, k: int, done: int, new: str) -> bool:
    """Whether ``text[-k:]``, which agrees with the first ``done`` characters of the
    continuation, agrees with ``new``, the next ones, as far as both go."""
    if k <= done:
        return True
    at = len(text) - k + done
    if k - done >= len(new):
        return text.startswith(new, at)  # no copy: ``new`` lies within the suffix
    return new.startswith(text[at:])  # the suffix ends within ``new``: a short copy


def _agreeing(text: str, lengths: range, head: str) -> list[int]:
    """The ``lengths`` k (a range from ``len(text)`` down) whose suffix ``text[-k:]``
    and ``head`` agree as far as both go, at most :data:`_MOST` of each kind, longest
    first (the longest repeat is the one a seam trims).

    Found with ``find``, never by copying every suffix (quadratic in a long answer):
    a suffix longer than ``head`` agrees where ``head`` occurs in ``text``; a suffix no
    longer than ``head`` ends with the shortest one, which then occurs in ``head``
    where that suffix would end, and only there is it compared."""
    if not lengths:
        return []
    n, m = len(text), len(head)
    longest, shortest = lengths.start, lengths.stop + 1
    out: list[int] = []
    at = text.find(head, n - longest)
    while at != -1 and n - at > m and len(out) < _MOST:
        if n - at >= shortest:
            out.append(n - at)
        at = text.find(head, at + 1)
    anchor, found = text[n - shortest :], 0
    end = min(m, longest)
    at = head.rfind(anchor, 0, end)
    while at != -1 and found < _MOST:
        if head.startswith(text[n - at - shortest :]):
            out.append(at + shortest)
            found += 1
        at = head.rfind(anchor, 0, at + shortest - 1)
    return out


RESTART = 16
"""Characters of the answer's opening that a continuation repeating them right after
the seam is taken to start the answer over (shorter deliveries are not checked)."""

_SPACE = re.compile(r"\s*")

_MOST = 256
"""Candidates of each kind kept from a continuation's first text: only a text that
repeats itself hundreds of times has more (then the longest are kept)."""
