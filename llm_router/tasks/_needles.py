"""Literal analysis of rule regexes, for the gates of :mod:`._gate`.

Two kinds of "needles" are read off a parsed regex: the literals any match must
*start* with (:func:`first`), and literals that must appear *somewhere* in any match
(:func:`required`). Each needle carries "starts a word": it is preceded by a non-word
character or the start of the text, so its first word is a token of the text.
Both are necessary conditions only: a needle being present never means a match.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

parser: Any = importlib.import_module("re._parser")  # the stdlib regex parser (no stubs)

PREFIX = 3
"""Shortest word prefix compared (shorter needles use substring search)."""

MAX_CLASS = 4
"""A character class of at most this many plain characters is expanded into literals."""

Needle = tuple[str, bool]
"""``(literal, starts_a_word)``."""

_WORD = re.compile(r"\w+")
_ANCHORS = {"AT_BOUNDARY", "AT_BEGINNING", "AT_BEGINNING_LINE", "AT_BEGINNING_STRING"}
_NON_WORD_CATEGORIES = {"CATEGORY_NOT_WORD", "CATEGORY_SPACE"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def first(items: list[Any], i: int, anchored: bool, strict: bool = False) -> set[Needle] | None:
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
                rest = first(items, i, anchored=False, strict=True)
                if rest is not None:
                    return {(literal + tail, anchored) for tail, _ in rest}
                # Otherwise a later literal is still necessary, just not at the start.
                later = first(items, i, anchored=False)
                if later is not None and all(len(n) >= len(literal) for n, _ in later):
                    return {(n, False) for n, _ in later}
            return {(literal, anchored)}
        elif name == "SUBPATTERN":
            return first(list(av[-1].data) + items[i + 1 :], 0, anchored, strict)
        elif name == "BRANCH":
            out: set[Needle] = set()
            for alternative in av[1]:
                found = first(list(alternative.data) + items[i + 1 :], 0, anchored, strict)
                if found is None:
                    return None
                out |= found
            return out
        elif name == "IN":
            # "[eé]", "(?:c|g)": a few plain characters are alternatives, one each.
            chars = _plain_chars(av)
            if chars is None:
                return None
            found_all: set[Needle] = set()
            for char in chars:
                found = first([(parser.LITERAL, ord(char)), *items[i + 1 :]], 0, anchored, strict)
                if found is None:
                    return None
                found_all |= found
            return found_all
        elif name in _REPEATS:
            low, _high, sub = av
            if non_word(sub.data) and not strict:
                anchored = anchored or low >= 1
            elif low >= 1:
                return first(list(sub.data) + items[i + 1 :], 0, anchored, strict)
            else:
                taken = first(list(sub.data) + items[i + 1 :], 0, anchored, strict)
                skipped = first(items, i + 1, anchored, strict)
                if taken is None or skipped is None:
                    return None
                return taken | skipped
        else:
            return None
        i += 1
    return None


def _plain_chars(items: Any) -> list[str] | None:
    """The characters of a class made of a few plain characters only, else ``None``."""
    chars: list[str] = []
    for kind, value in items:
        if str(kind) != "LITERAL":
            return None
        chars.append(chr(value))
    return chars if 0 < len(chars) <= MAX_CLASS else None


def non_word(items: Any) -> bool:
    """Whether ``items`` (one repeated item) only match non-word characters (``\\W``, ``\\s``)."""
    for op, av in items:
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


def required(items: list[Any], anchored: bool) -> tuple[list[set[Needle]], bool]:
    """Clauses every match of the sequence ``items`` satisfies, and the state after it.

    Each clause is a set of needles at least one of which occurs in any match. The
    state says whether the text after the sequence is preceded by a non-word character
    (``anchored`` is that state before it). Patterns for case-insensitive matching
    must not be analysed: literals are taken as they are written.
    """
    clauses: list[set[Needle]] = []
    i = 0
    while i < len(items):
        op, av = items[i]
        name = str(op)
        if name == "LITERAL":
            run = []
            while i < len(items) and str(items[i][0]) == "LITERAL":
                run.append(chr(items[i][1]))
                i += 1
            clauses.append({("".join(run), anchored)})
            anchored = _WORD.match(run[-1]) is None
            continue
        if name == "AT":
            if str(av) in _ANCHORS:
                anchored = True
            elif str(av) == "AT_NON_BOUNDARY":
                anchored = False
        elif name == "SUBPATTERN" and av[1] & re.IGNORECASE:
            anchored = False  # a case-insensitive group: opaque
        elif name == "SUBPATTERN":
            inner, anchored = required(list(av[-1].data), anchored)
            clauses += inner
        elif name == "BRANCH":
            found = [required(list(alternative.data), anchored) for alternative in av[1]]
            if all(inner for inner, _ in found):
                clauses.append(set().union(*(best(inner) for inner, _ in found)))
            anchored = all(after for _, after in found)
        elif name in _REPEATS:
            low, _high, sub = av
            _, after_one = required(list(sub.data), anchored)
            inner, after = required(list(sub.data), anchored and after_one)
            if low >= 1:
                clauses += inner
                anchored = after
            else:
                anchored = anchored and after
        elif name not in ("ASSERT", "ASSERT_NOT"):
            anchored = name == "IN" and non_word([(op, av)])
        i += 1
    return clauses, anchored


def best(clauses: list[set[Needle]]) -> set[Needle]:
    """The most selective clause: longest shortest literal, then fewest literals."""
    return min(clauses, key=lambda c: (-min(len(lit) for lit, _ in c), len(c)))


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (split at ``|`` outside groups and classes)."""
    found: list[str] = []
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
            found.append(pattern[start:i])
            start = i + 1
        i += 1
    found.append(pattern[start:])
    return found


def strip_leading_boundary(pattern: str) -> str | None:
    """``pattern`` without the ``\\b`` that starts each top-level alternative, if all do.

    A leading ``\\b`` stops the regex engine from skipping ahead to the possible
    first characters; :func:`._gate.search` checks the boundary itself instead.
    """
    bounded, rest = partition_boundary(pattern)
    return bounded if rest is None else None


def partition_boundary(pattern: str) -> tuple[str | None, str | None]:
    """``(alternatives that start with \\b, stripped of it; the other alternatives)``.

    Either part is ``None`` when empty. Searching both (the first checking the
    boundary itself) finds a match exactly where ``pattern`` does, and each part keeps
    the regex engine's fast skip to its possible first characters.
    """
    parts = alternatives(pattern)
    bounded = [a[2:] for a in parts if a.startswith("\\b")]
    rest = [a for a in parts if not a.startswith("\\b")]
    return ("|".join(bounded) if bounded else None, "|".join(rest) if rest else None)
