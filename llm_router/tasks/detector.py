"""The task detector (docs/DESIGN.md §4.2): explicit hint → structure → text classification.

Text classification reads the *instruction* of a turn (:mod:`._instruction`), not the
material pasted with it, and adds up two kinds of votes per label:

* **rules** — weighted regexes (:mod:`._compiled`): each rule that matches adds its
  weight once; structural ``body`` rules (a code fence, a stack trace) look at the
  material too;
* **the learned component** (:mod:`.learned`) — its probability for each label,
  times ``MODEL_WEIGHT``.

Which turns vote (README rules 1 and 10 of the labelling rules):

* the last user turn counts fully;
* the system prompt counts half, or fully when the user turn carries no instruction
  of its own (it only pastes material or names a topic);
* for a follow-up ("now make it shorter", "¿y en alemán?") the earlier user turns it
  refers to count half, or fully when the follow-up has no cue of its own.

The highest total wins; ties go to the precedence ``code > reasoning > translation >
summarization > extraction > creative > chat``; a label needs ``MIN_SCORE`` to beat
the ``chat`` default; the special cases of :mod:`.overrides` apply last.
"""

from __future__ import annotations

import functools

from llm_router.tasks import _compiled, _gate, _index, _instruction, _text
from llm_router.tasks._compiled import default_rules
from llm_router.tasks.learned import LinearModel, load_model
from llm_router.tasks.model import TEXT_TASKS, Detection, DetectorConfig, TextTask
from llm_router.tasks.overrides import OVERRIDES
from llm_router.types import TASK_NAMES, ChatRequest, TaskName

__all__ = ["TaskDetector", "default_rules", "detect_task"]

MIN_SCORE = 2.0
"""A text label needs at least this total to win over the ``chat`` default."""
SYSTEM_VOTE = (4.0, 1.0)
"""Vote for the system prompt's own label: when the user turn carries no instruction
of its own, and when it does."""
CONTEXT_VOTE = (3.0, 1.0)
"""Vote for the label of the user turn a follow-up refers to: when the follow-up has
no cue of its own, and when it has."""
WORD_PROBLEM_WEIGHT = 2.0
"""Extra ``reasoning`` weight: a quantity question over at least two numbers."""
MODEL_WEIGHT = 2.5
"""Votes of the learned component: its probability for a label times this weight."""
TEMPERATURE = 1.0
"""Softmax temperature of the learned component's scores."""
MODEL_SIGNAL = 0.5
"""The learned component's top label is named in the signals from this probability."""
ASKS = 3.0
"""Rule strength from which a user turn counts as carrying its own instruction."""
MODEL_GATE = 2.0
"""Rule strength from which the learned component only assists (``MODEL_ASSIST``)."""
MODEL_ASSIST = 0.0
"""Weight of the learned component when rules already found an instruction."""
USER_MODEL_DAMP = 0.5
"""Weight of the learned component on a user turn with no rule-backed instruction,
when a system prompt is there to say what to do with it."""


_QUANTITY_SIGNALS = frozenset({"reasoning:quantity_question", "reasoning:quantity_i18n"})
"""Rules asking for a quantity: with two numbers or more, the turn is a word problem."""


class _Group:
    """Rules of one scope with the index of their gates."""

    __slots__ = ("all", "index", "rules")

    def __init__(self, rules: list[_compiled.Compiled]) -> None:
        self.rules = rules
        self.all = range(len(rules))
        """Every position: texts viewed without words (tail, body) check each gate."""
        self.index = _index.build([rule.gate for rule in rules])


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
        rules = _compiled.compile_rules(default_rules(), custom=False)
        rules += _compiled.compile_rules(self.config.rules, custom=True)
        self._ask = _Group([r for r in rules if r.scope == "ask"])
        self._tail = _Group([r for r in rules if r.scope == "tail"])
        self._body = _Group([r for r in rules if r.scope == "body"])
        self._enabled = [t for t in TEXT_TASKS if t not in self.config.disabled]
        self._model: LinearModel | None = load_model() if MODEL_WEIGHT else None

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

    def _rules(self, text: str, tally: _Tally, factor: float, prefix: str, body: bool) -> float:
        """Add the rule votes of ``text`` to ``tally``; return how strongly it asks.

        The strength is the largest total of instruction-rule weights of one label
        (``chat`` included: "what do you think?" is an instruction too).
        """
        ask = _instruction.instruction(text)
        tail = _text.tail_zone(text)
        groups = [(self._ask, ask, _gate.view(ask))]
        if body:
            groups.append((self._tail, tail, _gate.view(tail, words=False)))
            scanned = _text.body_zone(text)
            groups.append((self._body, scanned, _gate.view(scanned, words=False)))
        own = dict.fromkeys(TEXT_TASKS, 0.0)
        closed_qa = quantity = False
        for group, original, view in groups:
            rules = group.rules
            for position in _index.candidates(group.index, view) if view.prefixes else group.all:
                rule = rules[position]
                if not _gate.passes(rule.gate, view):
                    continue
                zone = original if rule.original else view.lowered
                if _gate.search(rule.regex, zone, rule.boundary) or (
                    rule.extra is not None and rule.extra.search(zone) is not None
                ):
                    tally.add(rule.task, rule.weight * factor, prefix + rule.signal)
                    if rule.scope != "body":
                        own[rule.task] += rule.weight
                    closed_qa = closed_qa or rule.signal == "chat:closed_qa"
                    quantity = quantity or rule.signal in _QUANTITY_SIGNALS
        quantity = quantity or (ask != text and _text.asks_quantity(text))
        if quantity and not closed_qa and _text.count_numbers(_text.ask_zone(text)) >= 2:
            tally.add("reasoning", WORD_PROBLEM_WEIGHT * factor, prefix + "reasoning:word_problem")
            own["reasoning"] += WORD_PROBLEM_WEIGHT
        return max(own.values())

    def _learned(self, text: str, tally: _Tally, factor: float, prefix: str) -> float:
        """Add the learned component's votes for ``text``; return its top probability
        (0 when the top label is ``chat``: the model's "chat" mostly means "no cue")."""
        if self._model is None or factor <= 0.0:
            return 0.0
        probabilities = self._model.probabilities(_instruction.instruction(text), TEMPERATURE)
        scores = tally.scores
        for label, p in probabilities.items():
            scores[label] += MODEL_WEIGHT * factor * p
        top = max(probabilities, key=probabilities.__getitem__)
        if probabilities[top] >= MODEL_SIGNAL:
            tally.signals.append(prefix + "model:" + top)
        return 0.0 if top == "chat" else probabilities[top]

    def _verdict(self, text: str, prefix: str, body: bool) -> tuple[TextTask, list[str]]:
        """The label ``text`` asks for on its own, and the signals behind it."""
        sub = _Tally()
        self._rules(text, sub, 1.0, prefix, body)
        self._learned(text, sub, 1.0, prefix)
        scores = sub.scores
        best = min(self._enabled, key=lambda t: (-scores[t], TEXT_TASKS.index(t)))
        if scores[best] < MIN_SCORE and "chat" in self._enabled:
            best = "chat"
        return best, sub.signals

    def _classify(self, request: ChatRequest) -> tuple[TextTask, float, tuple[str, ...]]:
        tally = _Tally()
        last = request.last_user_text()
        own = self._rules(last, tally, 1.0, "", body=True)
        system = request.system_text()
        asks = own >= ASKS or _text.addressed(last)
        damp = MODEL_ASSIST if own >= MODEL_GATE else USER_MODEL_DAMP if system and not asks else 1.0
        own += MODEL_WEIGHT * damp * self._learned(last, tally, damp, "")
        if system:
            label, signals = self._verdict(system, "system:", body=False)
            tally.signals.extend(signals)
            tally.add(label, SYSTEM_VOTE[asks], f"system:{label}")
        previous = _text.previous_user_text(request)
        if previous is not None:
            label, signals = self._verdict(previous, "context:", body=True)
            tally.signals.extend(signals)
            tally.add(label, CONTEXT_VOTE[own >= MIN_SCORE], f"context:{label}")
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
