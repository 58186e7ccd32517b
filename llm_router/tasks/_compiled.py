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
            )
        )
    return compiled


class Group:
    """The compiled rules of one scope, with the index of their gates."""

    __slots__ = ("index", "rules")

    def __init__(self, rules: list[Compiled]) -> None:
        self.rules = rules
        self.index = _index.build([rule.gate for rule in rules])


@functools.cache
def builtin() -> tuple[Compiled, ...]:
    """The built-in rules, compiled once per process (every detector shares them)."""
    return tuple(compile_rules(default_rules(), custom=False))
