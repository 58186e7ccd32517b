"""The task detector (SPEC §4.2): explicit hint → structure → text classification.

Classification is a deterministic weighted vote. Every rule that matches adds its
weight to its label once; the last user turn counts fully, the system prompt half
(fully when the user turn only pastes material), and for a short follow-up ("make it
shorter") the previous user turn counts half. The highest total wins, ties go to the
README's precedence ``code > reasoning > translation > summarization > extraction >
creative > chat``, and a label needs ``MIN_SCORE`` to beat the ``chat`` default.
All regexes are compiled once per :class:`TaskDetector`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from llm_router.errors import ConfigurationError
from llm_router.tasks import _gate, _text
from llm_router.tasks.model import TEXT_TASKS, Detection, DetectorConfig, Rule, Scope, TextTask
from llm_router.tasks.overrides import OVERRIDES
from llm_router.tasks.rules import CODE_RULES, rows_to_rules
from llm_router.tasks.rules_creative import CHAT_RULES, CREATIVE_RULES
from llm_router.tasks.rules_reasoning import REASONING_RULES, TRANSLATION_RULES
from llm_router.tasks.rules_text import EXTRACTION_RULES, SUMMARIZATION_RULES
from llm_router.types import TASK_NAMES, ChatRequest, TaskName

MIN_SCORE = 2.0
"""A text label needs at least this total to win over the ``chat`` default."""
SYSTEM_FACTOR = 0.5
"""Weight of the system prompt's signals when the user turn carries its own instruction."""
CONTEXT_FACTOR = 0.5
"""Weight of the previous user turn's signals for a short follow-up turn."""
WORD_PROBLEM_WEIGHT = 2.0
"""Extra ``reasoning`` weight: a quantity question over at least two numbers."""


@functools.cache
def default_rules() -> tuple[Rule, ...]:
    """The built-in rules, in evaluation order (``explain`` and docs show them)."""
    rows = (
        CODE_RULES
        + REASONING_RULES
        + TRANSLATION_RULES
        + SUMMARIZATION_RULES
        + EXTRACTION_RULES
        + CREATIVE_RULES
        + CHAT_RULES
    )
    return rows_to_rules(rows)


@dataclass(frozen=True, slots=True)
class _Compiled:
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


def _compile(rules: Iterable[Rule], *, custom: bool) -> list[_Compiled]:
    compiled: list[_Compiled] = []
    for index, rule in enumerate(rules):
        # Built-in patterns are written in lower case and run on the lower-cased text
        # without IGNORECASE, which lets the regex engine use its fast prefix search.
        cased = custom or "(?-i:" in rule.pattern
        flags = re.MULTILINE | (re.IGNORECASE if cased else 0)
        stripped = _gate.strip_leading_boundary(rule.pattern)
        try:
            re.compile(rule.pattern, flags)
            regex = re.compile(rule.pattern if stripped is None else stripped, flags)
        except re.error as exc:
            raise ConfigurationError(
                f"task rule for {rule.task!r}: invalid regex {rule.pattern!r}: {exc}"
            ) from exc
        name = rule.name or (f"custom{index}" if custom else f"rule{index}")
        task: TextTask = rule.task  # type: ignore[assignment]  # validated by Rule
        gate = _gate.derive(rule.pattern, flags, words=rule.scope == "ask")
        original = "(?-i:" in rule.pattern
        signal = f"{task}:{name}"
        compiled.append(
            _Compiled(
                signal, task, rule.weight, rule.scope, regex, gate, original, stripped is not None
            )
        )
    return compiled


class _Tally:
    """Running totals per label plus the signals that produced them."""

    __slots__ = ("scores", "signals")

    def __init__(self) -> None:
        self.scores: dict[str, float] = dict.fromkeys(TEXT_TASKS, 0.0)
        self.signals: list[str] = []

    def add(self, task: str, weight: float, signal: str) -> None:
        self.scores[task] += weight
        if signal not in self.signals:
            self.signals.append(signal)


class TaskDetector:
    """Detects a request's task; build once (it compiles every rule) and call per request."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config if config is not None else DetectorConfig()
        self._rules = _compile(default_rules(), custom=False) + _compile(
            self.config.rules, custom=True
        )
        self._ask = [r for r in self._rules if r.scope == "ask"]
        self._tail = [r for r in self._rules if r.scope == "tail"]
        self._body = [r for r in self._rules if r.scope == "body"]
        self._enabled = [t for t in TEXT_TASKS if t not in self.config.disabled]

    def __call__(self, request: ChatRequest) -> Detection:
        """The task of ``request`` with its score and signals."""
        disabled = self.config.disabled
        notes: list[str] = []
        for hint in (request.task, request.metadata.get("task")):
            if hint is None:
                continue
            if isinstance(hint, str) and hint in TASK_NAMES:
                if hint not in disabled:
                    return Detection(_as_task(hint), 1.0, ("explicit",))
                notes.append("explicit_disabled")
            else:
                notes.append("explicit_unknown")
        if request.tools and "tool_use" not in disabled:
            return Detection("tool_use", 1.0, (*notes, "tools"))
        if "vision" not in disabled and any(m.has_image() for m in request.messages):
            return Detection("vision", 1.0, (*notes, "image"))
        limit = self.config.long_context_tokens
        if "long_context" not in disabled and _text.estimated_tokens(request, limit) > limit:
            return Detection("long_context", 1.0, (*notes, f"tokens>{limit}"))
        task, score, signals = self._classify(request)
        return Detection(task, score, (*notes, *signals))

    def _score(self, text: str, tally: _Tally, factor: float, prefix: str, body: bool) -> float:
        """Add ``text``'s votes to ``tally``; return the total weight of instruction rules."""
        ask = _text.ask_zone(text)
        tail = _text.tail_zone(text)
        groups = [
            (self._ask, ask, _gate.view(ask)),
            (self._tail, tail, _gate.view(tail, words=False)),
        ]
        if body:
            scanned = _text.body_zone(text)
            groups.append((self._body, scanned, _gate.view(scanned, words=False)))
        instruction = 0.0
        closed_qa = False
        for rules, original, view in groups:
            for rule in rules:
                if not _gate.passes(rule.gate, view):
                    continue
                zone = original if rule.original else view.lowered
                if _gate.search(rule.regex, zone, rule.boundary):
                    tally.add(rule.task, rule.weight * factor, prefix + rule.signal)
                    if rule.scope != "body":
                        instruction += rule.weight
                    closed_qa = closed_qa or rule.signal == "chat:closed_qa"
        if not closed_qa and _text.is_word_problem(text):
            tally.add("reasoning", WORD_PROBLEM_WEIGHT * factor, prefix + "reasoning:word_problem")
        return instruction

    def _classify(self, request: ChatRequest) -> tuple[TextTask, float, tuple[str, ...]]:
        tally = _Tally()
        own = self._score(request.last_user_text(), tally, 1.0, "", body=True)
        system = request.system_text()
        if system:
            factor = 1.0 if own < MIN_SCORE else SYSTEM_FACTOR
            self._score(system, tally, factor, "system:", body=False)
        previous = _text.previous_user_text(request)
        if previous is not None:
            self._score(previous, tally, CONTEXT_FACTOR, "context:", body=True)
        return self._decide(tally)

    def _decide(self, tally: _Tally) -> tuple[TextTask, float, tuple[str, ...]]:
        scores = tally.scores
        ranked = sorted(self._enabled, key=lambda t: (-scores[t], TEXT_TASKS.index(t)))
        best = ranked[0]
        if best != "chat" and scores[best] < MIN_SCORE and "chat" in self._enabled:
            best = "chat"
        fired = {
            s.split(":", 1)[1] if s.startswith(("system:", "context:")) else s
            for s in tally.signals
        }
        for losers, winner, needs, unless in OVERRIDES:
            if (
                best in losers
                and winner in self._enabled
                and scores[winner] >= MIN_SCORE
                and fired & needs
                and not fired & unless
            ):
                best = winner
                tally.signals.append(f"override:{winner}")
                break
        top = scores[best]
        second = max((scores[t] for t in self._enabled if t != best), default=0.0)
        score = round(max(top, 0.0) / (max(top, 0.0) + max(second, 0.0) + 1.0), 3)
        signals = tuple(tally.signals) if tally.signals else ("chat:default",)
        return best, score, signals


def _as_task(name: str) -> TaskName:
    for task in TASK_NAMES:
        if task == name:
            return task
    raise AssertionError(name)  # pragma: no cover - callers check membership first


@functools.lru_cache(maxsize=32)
def _detector_for(config: DetectorConfig | None) -> TaskDetector:
    return TaskDetector(config)


def detect_task(request: ChatRequest, config: DetectorConfig | None = None) -> Detection:
    """Detect ``request``'s task with a cached :class:`TaskDetector` for ``config``."""
    return _detector_for(config)(request)
