"""Cheap pre-checks that let the detector skip rules that cannot match.

Running ~70 regexes over a turn costs milliseconds in CPython; most of them cannot
match because the words they need are absent. From each rule's parsed regex we derive
literals any match must contain (:mod:`._needles`): ``\\bsummari[sz]e`` needs a word
starting with ``summar``; ``^\\s*```\u200b`` needs the substring ```` ``` ````;
``\\w+(?:, \\w+){2,}, or \\w+\\?`` needs ``", "``, ``" or "`` and ``"?"``.
Per request the text is tokenised once into a set of 3- to 6-letter word prefixes; a
rule's regex runs only if every clause of its gate holds. A clause holds if one of
its word prefixes is present — and, where the regex is case-sensitive, the whole
literal behind that prefix is a substring — or one of its plain substrings is.
The checks are meant as necessary conditions, never sufficient ones, so that they
change only the cost of a result. A rule without derivable needles always runs.

Known exception (found while pinning the detector's outputs): a derived literal can be
narrower than its regex. ``code:syntax`` matches ``"\n    import math"``, but its gate
expects ``"\n import"`` with at most one space or tab, so that text does not fire the
rule. The detector's measured accuracy includes this behaviour and
``tests/tasks/test_detector_equivalence.py`` pins it. A faster path must still check
every gate, and widening the gates is a change of results, to be measured as one.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from llm_router.tasks import _needles
from llm_router.tasks._needles import PREFIX

MAX_PREFIX = 6
"""Long word prefix compared: ``translat`` is checked as ``transl``, ``from`` as ``fro``."""
MAX_CLAUSES = 3
"""Clauses kept besides the start clause (each costs a check per request)."""
MAX_SUBSTRINGS = 8
"""Extra clauses with more plain substrings than this are not worth their scans."""
MIN_LITERAL = 2
"""Extra clauses with a shorter literal (``"("``, ``" "``) are too common to help."""

_WORD = re.compile(r"\w+")
_WORD_PREFIX = re.compile(rf"(\w{{1,{MAX_PREFIX}}})\w*")
_SHORT = operator.itemgetter(slice(PREFIX))


@dataclass(frozen=True, slots=True)
class Clause:
    """Needles at least one of which any match contains.

    ``confirm`` maps a word prefix to the full literals it stands for; an empty tuple
    means the prefix alone is enough (it is the literal, or the regex ignores case).
    """

    prefixes: frozenset[str]
    confirm: Mapping[str, tuple[str, ...]]
    substrings: tuple[str, ...]
    settled: frozenset[str] = field(init=False, repr=False, compare=False)
    """The prefixes that hold the clause on their own (derived from ``confirm``)."""
    checked: frozenset[str] = field(init=False, repr=False, compare=False)
    """The prefixes that hold it only with one of their literals (the others)."""

    def __post_init__(self) -> None:
        settled = frozenset(p for p in self.prefixes if not self.confirm[p])
        object.__setattr__(self, "settled", settled)
        object.__setattr__(self, "checked", self.prefixes - settled)


@dataclass(frozen=True, slots=True)
class Gate:
    """A rule's clauses; every one must hold for the rule's regex to run."""

    clauses: tuple[Clause, ...]


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
    # Each word's long prefix, straight from the regex engine; short ones derived.
    long = set(_WORD_PREFIX.findall(lowered))
    return View(lowered, frozenset(long.union(map(_SHORT, long))))


def passes(gate: Gate | None, text: View) -> bool:
    """Whether the rule behind ``gate`` may match ``text`` (``None``: always)."""
    if gate is None:
        return True
    prefixes, lowered = text.prefixes, text.lowered
    # One flat loop, no helper call per clause: this runs ~30 times per request.
    for clause in gate.clauses:
        if not clause.settled.isdisjoint(prefixes):
            continue
        if not clause.checked.isdisjoint(prefixes) and _confirmed(clause, prefixes, lowered):
            continue
        for substring in clause.substrings:
            if substring in lowered:
                break
        else:
            return False
    return True


def _confirmed(clause: Clause, prefixes: frozenset[str], lowered: str) -> bool:
    """Whether a present prefix of ``clause`` has one of its literals in ``lowered``."""
    confirm = clause.confirm
    for prefix in clause.checked & prefixes:
        for literal in confirm[prefix]:
            if literal in lowered:
                return True
    return False


def derive(pattern: str, flags: int, *, words: bool = True) -> Gate | None:
    """The gate of ``pattern``, or ``None`` if no needle can be derived.

    ``words=False`` turns every needle into a substring (for text not tokenised).
    """
    try:
        items = list(_needles.parser.parse(pattern, flags).data)
        start = _needles.first(items, 0, anchored=False)
        exact = not flags & re.IGNORECASE and "(?i" not in pattern
        extra = _needles.required(items, anchored=False)[0] if exact else []
    except (re.error, RecursionError, TypeError, ValueError):
        return None
    clauses = [] if not start else [_clause(start, words=words, confirm=exact)]
    # The most selective extra clauses first: long literals, few of them.
    extra.sort(key=lambda c: (-min(len(lit) for lit, _ in c), len(c)))
    for needles in extra:
        clause = _clause(needles, words=words, confirm=True)
        shortest = min(len(lit) for lit, _ in needles)
        if len(clauses) > MAX_CLAUSES or shortest < MIN_LITERAL or clause in clauses:
            continue
        if len(clause.substrings) <= MAX_SUBSTRINGS:
            clauses.append(clause)
    return Gate(tuple(clauses)) if clauses else None


def _keyed(literal: str, anchored: bool, words: bool) -> str | None:
    """The word prefix a needle is checked by, or ``None`` for a plain substring."""
    run = _WORD.match(literal)
    if not (words and anchored and run is not None and len(run.group()) >= PREFIX):
        return None
    word = run.group()
    return word[:MAX_PREFIX] if len(word) >= MAX_PREFIX else word[:PREFIX]


def _clause(needles: set[_needles.Needle], *, words: bool, confirm: bool) -> Clause:
    by_prefix: dict[str, set[str]] = {}
    substrings: set[str] = set()
    for literal, anchored in needles:
        prefix = _keyed(literal, anchored, words)
        if prefix is None:
            substrings.add(literal.lower())
        else:
            by_prefix.setdefault(prefix, set()).add(literal.lower())
    checks = {
        p: tuple(sorted(lits)) if confirm and p not in lits else () for p, lits in by_prefix.items()
    }
    return Clause(frozenset(by_prefix), checks, tuple(sorted(substrings)))


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


def search_lines(regex: re.Pattern[str], text: str) -> bool:
    """``regex.search(text)`` for a ``MULTILINE`` regex whose every alternative starts
    with ``^``: a match can only start at a line start, so only those are tried."""
    if regex.match(text) is not None:
        return True
    at = text.find("\n")
    while at >= 0:
        if regex.match(text, at + 1) is not None:
            return True
        at = text.find("\n", at + 1)
    return False
