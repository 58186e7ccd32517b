"""An inverted index over the rules' gates: which rules a text can possibly trigger.

Checking every gate of ~120 rules costs a Python call each, per request. Instead,
each gate's first clause (a necessary condition, like every clause) is indexed by its
needles: word prefixes in a dictionary, plain substrings in a short list. Per request
the text's word prefixes are looked up and the substrings searched once. A rule found
through a needle that settles its first clause (a substring, or a word prefix that
needs no confirmation) has only its other clauses checked; any other rule found has
its whole gate checked (:func:`._gate.passes`). Like the gates, the index can only
skip rules that cannot match, never change a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llm_router.tasks._gate import Gate, View, passes

SHORT = 2
"""A rule with an ASCII substring needle this short is a candidate for every text."""

_Postings = tuple[tuple[int, bool], ...]
"""``(position, settled)`` pairs: ``settled`` means the needle proves the first clause."""


@dataclass(frozen=True, slots=True)
class Index:
    """Rule positions by needle of their gate's first clause."""

    gates: tuple[Gate | None, ...]
    rest: tuple[Gate | None, ...]
    """Each gate without its first clause (``None`` when nothing is left)."""
    by_prefix: dict[str, _Postings]
    by_substring: tuple[tuple[str, _Postings], ...]
    """ASCII substrings."""
    by_other: tuple[tuple[str, _Postings], ...]
    """Other substrings (CJK, accented), searched only in texts that are not pure ASCII."""
    always: tuple[int, ...]
    """Rules without a usable gate: candidates for every text."""


def build(gates: Sequence[Gate | None]) -> Index:
    """The index of ``gates`` (positions are indices into ``gates``)."""
    prefixes: dict[str, list[tuple[int, bool]]] = {}
    substrings: dict[str, list[tuple[int, bool]]] = {}
    always: list[int] = []
    rest: list[Gate | None] = []
    for position, gate in enumerate(gates):
        rest.append(Gate(gate.clauses[1:]) if gate is not None and gate.clauses[1:] else None)
        if gate is None or not gate.clauses:
            always.append(position)
            continue
        clause = gate.clauses[0]
        if any(len(s) <= SHORT and s.isascii() for s in clause.substrings):
            always.append(position)  # a one- or two-character needle is in almost any text
            continue
        for prefix in clause.prefixes:
            settled = not clause.confirm[prefix]
            prefixes.setdefault(prefix, []).append((position, settled))
        for substring in _minimal(clause.substrings):
            substrings.setdefault(substring, []).append((position, True))
    pairs = sorted(substrings.items())
    return Index(
        tuple(gates),
        tuple(rest),
        {key: tuple(value) for key, value in prefixes.items()},
        tuple((key, tuple(value)) for key, value in pairs if key.isascii()),
        tuple((key, tuple(value)) for key, value in pairs if not key.isascii()),
        tuple(always),
    )


def _minimal(substrings: tuple[str, ...]) -> list[str]:
    """``substrings`` without those containing another one (it is found anyway)."""
    return [s for s in substrings if not any(o != s and o in s for o in substrings)]


def admitted(index: Index, view: View) -> list[int]:
    """Positions of the rules whose gate ``view`` passes, in rule order."""
    found = dict.fromkeys(index.always, False)
    table = index.by_prefix
    for prefix in view.prefixes:
        hits = table.get(prefix)
        if hits is not None:
            for position, settled in hits:
                if settled or position not in found:
                    found[position] = settled
    lowered = view.lowered
    lists = (index.by_substring, index.by_other) if not lowered.isascii() else (index.by_substring,)
    for postings in lists:
        for substring, hits in postings:
            if substring in lowered:
                for position, _ in hits:
                    found[position] = True
    gates, rest = index.gates, index.rest
    out: list[int] = []
    for position in sorted(found):
        gate = rest[position] if found[position] else gates[position]
        if gate is None or passes(gate, view):
            out.append(position)
    return out
