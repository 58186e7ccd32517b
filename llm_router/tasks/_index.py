"""An inverted index over the rules' gates: which rules a text can possibly trigger.

Checking every gate of ~110 rules costs a Python call each, per request. Instead,
each gate's first clause (a necessary condition, like every clause) is indexed by its
needles: word prefixes in a dictionary, plain substrings in a short list. Per request
the text's word prefixes are looked up and the substrings searched once; only the
rules found that way have their full gate checked (:func:`._gate.passes`) and their
regex run, in the original rule order. Like the gates, the index can only skip rules
that cannot match, never change a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llm_router.tasks._gate import Gate, View

SHORT = 2
"""A rule with a substring needle this short is a candidate for every text."""


@dataclass(frozen=True, slots=True)
class Index:
    """Rule positions by needle of their gate's first clause."""

    by_prefix: dict[str, tuple[int, ...]]
    by_substring: tuple[tuple[str, tuple[int, ...]], ...]
    """ASCII substrings."""
    by_other: tuple[tuple[str, tuple[int, ...]], ...]
    """Other substrings (CJK, accented), searched only in texts that are not pure ASCII."""
    always: frozenset[int]
    """Rules without a gate: candidates for every text."""


def build(gates: Sequence[Gate | None]) -> Index:
    """The index of ``gates`` (positions are indices into ``gates``)."""
    prefixes: dict[str, list[int]] = {}
    substrings: dict[str, list[int]] = {}
    always: set[int] = set()
    for position, gate in enumerate(gates):
        if gate is None or not gate.clauses:
            always.add(position)
            continue
        clause = gate.clauses[0]
        if any(len(s) <= SHORT and s.isascii() for s in clause.substrings):
            always.add(position)  # a one- or two-character needle is in almost any text
            continue
        for prefix in clause.prefixes:
            prefixes.setdefault(prefix, []).append(position)
        for substring in _minimal(clause.substrings):
            substrings.setdefault(substring, []).append(position)
    pairs = sorted(substrings.items())
    return Index(
        {key: tuple(value) for key, value in prefixes.items()},
        tuple((key, tuple(value)) for key, value in pairs if key.isascii()),
        tuple((key, tuple(value)) for key, value in pairs if not key.isascii()),
        frozenset(always),
    )


def _minimal(substrings: tuple[str, ...]) -> list[str]:
    """``substrings`` without those containing another one (it is found anyway)."""
    return [s for s in substrings if not any(o != s and o in s for o in substrings)]


def candidates(index: Index, view: View) -> list[int]:
    """Positions of the rules ``view`` may trigger, in rule order."""
    found = set(index.always)
    table = index.by_prefix
    for prefix in view.prefixes:
        hit = table.get(prefix)
        if hit is not None:
            found.update(hit)
    lowered = view.lowered
    for substring, positions in index.by_substring:
        if substring in lowered:
            found.update(positions)
    if not lowered.isascii():
        for substring, positions in index.by_other:
            if substring in lowered:
                found.update(positions)
    return sorted(found)
