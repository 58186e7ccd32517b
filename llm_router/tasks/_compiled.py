"""The rule table and its compiled form: every built-in rule, plus the policy's.

Built-in patterns are written in lower case and run on the lower-cased text without
``IGNORECASE``, which lets the regex engine use its fast prefix search; policy rules
(and built-in ones with a ``(?-i:…)`` part) keep ``IGNORECASE``. Each compiled rule
carries the gate of :mod:`._gate` that lets the detector skip it cheaply.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from llm_router.errors import ConfigurationError
from llm_router.tasks import _gate, _index, _needles
from llm_router.tasks.model import TEXT_TASKS, Rule, Scope, TextTask
from llm_router.tasks.rules import CODE_RULES, rows_to_rules
from llm_router.tasks.rules_creative import CHAT_RULES, CREATIVE_RULES
from llm_router.tasks.rules_i18n import CODE_I18N, REASONING_I18N
from llm_router.tasks.rules_i18n_creative import CHAT_I18N, CREATIVE_I18N
from llm_router.tasks.rules_i18n_text import EXTRACTION_I18N, SUMMARIZATION_I18N
from llm_router.tasks.rules_i18n_translation import TRANSLATION_I18N
from llm_router.tasks.rules_reasoning import REASONING_RULES, TRANSLATION_RULES
from llm_router.tasks.rules_text import EXTRACTION_RULES, SUMMARIZATION_RULES

_TASKS: dict[str, TextTask] = {task: task for task in TEXT_TASKS}


@functools.cache
def default_rules() -> tuple[Rule, ...]:
    """The built-in rules, in evaluation order (``explain`` and docs show them)."""
    rows = (
        CODE_RULES
        + CODE_I18N
        + REASONING_RULES
        + REASONING_I18N
        + TRANSLATION_RULES
        + TRANSLATION_I18N
        + SUMMARIZATION_RULES
        + SUMMARIZATION_I18N
        + EXTRACTION_RULES
        + EXTRACTION_I18N
        + CREATIVE_RULES
        + CREATIVE_I18N
        + CHAT_RULES
        + CHAT_I18N
    )
    return rows_to_rules(rows)


@dataclass(frozen=True, slots=True)
class Compiled:
    """One rule, ready to run."""

    signal: str
    task: TextTask
    weight: float
    scope: Scope
    regex: re.Pattern[str]
    gate: _gate.Gate | None
    original: bool
    """Match against the original text (``(?-i:…)`` parts), not the lower-cased one."""
    boundary: bool
    """The leading ``\\b`` was stripped from the regex; check it at the match start."""
    extra: re.Pattern[str] | None
    """The alternatives that do not start with ``\\b``, when some do (searched too)."""
    lines: bool = False
    """Every alternative starts with ``^``: only line starts are tried
    (:func:`._gate.search_lines`)."""


def compile_rules(rules: Iterable[Rule], *, custom: bool) -> list[Compiled]:
    """Compile ``rules``; a regex that does not compile is a :class:`ConfigurationError`."""
    compiled: list[Compiled] = []
    for index, rule in enumerate(rules):
        cased = custom or "(?-i:" in rule.pattern
        flags = re.MULTILINE | (re.IGNORECASE if cased else 0)
        bounded, rest = _needles.partition_boundary(rule.pattern)
        try:
            re.compile(rule.pattern, flags)
            regex = re.compile(rule.pattern if bounded is None else bounded, flags)
            extra = None if bounded is None or rest is None else re.compile(rest, flags)
        except re.error as exc:
            raise ConfigurationError(
                f"task rule for {rule.task!r}: invalid regex {rule.pattern!r}: {exc}"
            ) from exc
        name = rule.name or (f"custom{index}" if custom else f"rule{index}")
        task = _TASKS[rule.task]  # Rule validated the name
        gate = _gate.derive(rule.pattern, flags, words=rule.scope == "ask")
        original = "(?-i:" in rule.pattern
        lines = bounded is None and all(
            a.startswith("^") for a in _needles.alternatives(rule.pattern)
        )
        compiled.append(
            Compiled(
                f"{task}:{name}",
                task,
                rule.weight,
                rule.scope,
                regex,
                gate,
                original,
                bounded is not None,
                extra,
                lines,
            )
        )
    return compiled


MAX_NEEDLES = 20
"""A whole-turn rule whose first clause lists more substrings than this runs first."""


class Group:
    """The compiled rules of one scope, with the index of their gates.

    ``whole``: the rules read whole turns (thousands of characters), where a gate costs
    one substring search per needle. A rule whose regex starts with a plain,
    case-sensitive character (``\\n[ \\t]*def``, ```` ``` ````) is found faster by
    the regex engine's own literal search, and one with many needles is cheaper to run
    than to check: for those (``regex_first``) the regex runs first and the gate is
    checked only after a match. A rule fires when its gate passes *and* its regex
    matches, in either order; the gate is always checked, since it decides too.
    """

    __slots__ = ("index", "regex_first", "rules")

    def __init__(self, rules: list[Compiled], *, whole: bool = False) -> None:
        self.rules = rules
        self.index = _index.build([rule.gate for rule in rules])
        self.regex_first = tuple(whole and _regex_first(rule) for rule in rules)


def _regex_first(rule: Compiled) -> bool:
    """Whether ``rule`` costs less to run than to gate on a long text."""
    gate = rule.gate
    if gate is None or (gate.clauses and len(gate.clauses[0].substrings) > MAX_NEEDLES):
        return True
    if rule.extra is not None or rule.regex.flags & re.IGNORECASE:
        return False
    items = _needles.parser.parse(rule.regex.pattern, rule.regex.flags).data
    return bool(items) and str(items[0][0]) == "LITERAL"


def fired(group: Group, original: str, view: _gate.View) -> list[Compiled]:
    """The rules of ``group`` that fire on a text (``original``, prepared as ``view``),
    in rule order: those whose gate passes and whose regex matches."""
    rules, first = group.rules, group.regex_first
    out: list[Compiled] = []
    if not any(first):
        for position in _index.admitted(group.index, view):
            if _matches(rules[position], original, view):
                out.append(rules[position])
        return out
    # Whole turns: cheap regexes run before their gate, the others after it.
    for rule, regex_first in zip(rules, first, strict=True):
        if regex_first:
            fired = _matches(rule, original, view) and _gate.passes(rule.gate, view)
        else:
            fired = _gate.passes(rule.gate, view) and _matches(rule, original, view)
        if fired:
            out.append(rule)
    return out


def _matches(rule: Compiled, original: str, view: _gate.View) -> bool:
    """Whether ``rule``'s regex matches (the lower-cased text unless it needs the original)."""
    zone = original if rule.original else view.lowered
    if rule.lines:
        return _gate.search_lines(rule.regex, zone)
    return _gate.search(rule.regex, zone, rule.boundary) or (
        rule.extra is not None and rule.extra.search(zone) is not None
    )


@functools.cache
def builtin() -> tuple[Compiled, ...]:
    """The built-in rules, compiled once per process (every detector shares them)."""
    return tuple(compile_rules(default_rules(), custom=False))
