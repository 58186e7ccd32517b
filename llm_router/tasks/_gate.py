"""Cheap pre-checks that let the detector skip rules that cannot match.

Running ~70 regexes over a turn costs milliseconds in CPython; most of them cannot
match because the words they start with are absent. From each rule's parsed regex we
derive the literals any match must start with ("needles"): ``\\bsummari[sz]e`` needs
a word starting with ``summar``; ``^\\s*```\u200b`` needs the substring ```` ``` ````.
Per request the text is tokenised once into a set of 3- to 6-letter word prefixes, and a
rule's regex runs only if one of its needles is present. The check is a necessary
condition, never a sufficient one, so it cannot change any result — only its cost.
A rule whose needles cannot be derived (it starts with a character class, say)
always runs.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

_parser: Any = importlib.import_module("re._parser")  # the stdlib regex parser (no stubs)

PREFIX = 3
"""Shortest word prefix compared (shorter needles use substring search)."""
MAX_PREFIX = 6
"""Long word prefix compared: ``translat`` is checked as ``transl``, ``from`` as ``fro``."""

_WORD = re.compile(r"\w+")
_ANCHORS = {"AT_BOUNDARY", "AT_BEGINNING", "AT_BEGINNING_LINE", "AT_BEGINNING_STRING"}
_NON_WORD_CATEGORIES = {"CATEGORY_NOT_WORD", "CATEGORY_SPACE"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


@dataclass(frozen=True, slots=True)
class Gate:
    """A rule's needles: word prefixes (at a word start) and plain substrings."""

    prefixes: frozenset[str]
    substrings: frozenset[str]


@dataclass(frozen=True, slots=True)
class View:
    """A text prepared once for gate checks: lower-cased, with its word prefixes."""

    lowered: str
    prefixes: frozenset[str]


def view(text: str, *, words: bool = True) -> View:
    """Prepare ``text`` for :func:`passes` (``words=False``: substring gates only)."""
    lowered = text.lower()
    if not words:
        return View(lowered, frozenset())
    words_seen = set(_WORD.findall(lowered))
    short = {w[:PREFIX] for w in words_seen}
    return View(lowered, frozenset(short.union(w[:MAX_PREFIX] for w in words_seen)))


def passes(gate: Gate | None, text: View) -> bool:
    """Whether the rule behind ``gate`` may match ``text`` (``None``: always)."""
    if gate is None:
        return True
    if not gate.prefixes.isdisjoint(text.prefixes):
        return True
    lowered = text.lowered
    # A plain loop, not any(<generator>): this runs ~70 times per request.
    for substring in gate.substrings:  # noqa: SIM110
        if substring in lowered:
            return True
    return False


def derive(pattern: str, flags: int, *, words: bool = True) -> Gate | None:
    """The gate of ``pattern``, or ``None`` if no needle can be derived.

    ``words=False`` turns every needle into a substring (for text not tokenised).
    """
    try:
        items = list(_parser.parse(pattern, flags).data)
        needles = _first(items, 0, anchored=False)
    except (re.error, RecursionError, TypeError, ValueError):
        return None
    if not needles:
        return None
    prefixes: set[str] = set()
    substrings: set[str] = set()
    for literal, anchored in needles:
        run = _WORD.match(literal)
        if words and anchored and run is not None and len(run.group()) >= PREFIX:
            word = run.group()
            prefixes.add(word[:MAX_PREFIX] if len(word) >= MAX_PREFIX else word[:PREFIX])
        else:
            substrings.add(literal)
    return Gate(frozenset(prefixes), frozenset(substrings))


def _first(
    items: list[Any], i: int, anchored: bool, strict: bool = False
) -> set[tuple[str, bool]] | None:
    """Literals any match of ``items[i:]`` starts with, each with "starts a word".

    ``strict``: the literals must start exactly at ``items[i]`` (nothing skipped).
    """
    while i < len(items):
        op, av = items[i]
        name = str(op)
        if name == "AT":
            anchored = anchored or str(av) in _ANCHORS
        elif name in ("ASSERT", "ASSERT_NOT"):
            pass
        elif name == "LITERAL":
            run = []
            while i < len(items) and str(items[i][0]) == "LITERAL":
                run.append(chr(items[i][1]))
                i += 1
            literal = "".join(run).lower()
            if len(literal) < PREFIX and i < len(items):
                # "summary|synopsis" parses as "s" + (ummary|ynopsis): extend short runs.
                rest = _first(items, i, anchored=False, strict=True)
                if rest is not None:
                    return {(literal + tail, anchored) for tail, _ in rest}
                # Otherwise a later literal is still necessary, just not at the start.
                later = _first(items, i, anchored=False)
                if later is not None and all(len(n) >= len(literal) for n, _ in later):
                    return {(n, False) for n, _ in later}
            return {(literal, anchored)}
        elif name == "SUBPATTERN":
            return _first(list(av[-1].data) + items[i + 1 :], 0, anchored, strict)
        elif name == "BRANCH":
            out: set[tuple[str, bool]] = set()
            for alternative in av[1]:
                found = _first(list(alternative.data) + items[i + 1 :], 0, anchored, strict)
                if found is None:
                    return None
                out |= found
            return out
        elif name in _REPEATS:
            low, _high, sub = av
            if _non_word(sub) and not strict:
                anchored = anchored or low >= 1
            elif low >= 1:
                return _first(list(sub.data) + items[i + 1 :], 0, anchored, strict)
            else:
                taken = _first(list(sub.data) + items[i + 1 :], 0, anchored, strict)
                skipped = _first(items, i + 1, anchored, strict)
                if taken is None or skipped is None:
                    return None
                return taken | skipped
        else:
            return None
        i += 1
    return None


def _non_word(sub: Any) -> bool:
    """Whether a repeated item only matches non-word characters (``\\W``, ``\\s``, ``,``)."""
    for op, av in sub.data:
        name = str(op)
        if name == "LITERAL":
            if _WORD.match(chr(av)):
                return False
        elif name == "IN":
            for kind, value in av:
                if str(kind) == "CATEGORY" and str(value) in _NON_WORD_CATEGORIES:
                    continue
                if str(kind) == "LITERAL" and not _WORD.match(chr(value)):
                    continue
                return False
        else:
            return False
    return True


def strip_leading_boundary(pattern: str) -> str | None:
    """``pattern`` without the ``\\b`` that starts each top-level alternative, if all do.

    A leading ``\\b`` stops the regex engine from skipping ahead to the possible
    first characters; :func:`search` checks the boundary itself instead.
    """
    alternatives: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            alternatives.append(pattern[start:i])
            start = i + 1
        i += 1
    alternatives.append(pattern[start:])
    if not all(a.startswith("\\b") for a in alternatives):
        return None
    return "|".join(a[2:] for a in alternatives)


def search(regex: re.Pattern[str], text: str, boundary: bool) -> bool:
    """``regex.search(text)``, requiring a word boundary at the match start if asked."""
    match = regex.search(text)
    if not boundary:
        return match is not None
    while match is not None:
        at = match.start()
        before = at > 0 and _WORD.match(text[at - 1]) is not None
        after = at < len(text) and _WORD.match(text[at]) is not None
        if before != after:
            return True
        match = regex.search(text, at + 1)
    return False
