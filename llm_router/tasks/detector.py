"""The task detector (docs/DESIGN.md §4.2): explicit hint → structure → text classification.

Text classification reads the *instruction* of a turn (:mod:`._instruction`): the
line or sentence that asks, not the material pasted around it. Each label collects:

* **rule votes** — weighted regexes (:mod:`._compiled`; English plus Spanish, German,
  French, Italian, Portuguese and Japanese cues): each rule that matches adds its
  weight once. Structural ``body`` rules (a code fence, a stack trace) look at the
  material too;
* **learned votes** — where no rule reached ``MODEL_GATE``, the learned component
  (:mod:`.learned`, a linear model over word and character features trained from
  ``data/instructions.txt``) adds its probability for each label, times
  ``MODEL_WEIGHT``. It names its top label in the signals (``model:<label>``).

The turns (README of the labelling rules, rule 1):

* the last user turn decides;
* the system prompt adds a vote for the label it asks for on its own
  (``system:<label>``): a strong one when the user turn carries no instruction (it only
  pastes material or names a topic), a tie-breaker otherwise;
* a short follow-up ("now make it shorter", "¿y en alemán?") adds a vote for the label
  of the user turn before it (``context:<label>``), strong when the follow-up has no
  cue of its own.

The highest total wins; ties go to the precedence ``code > reasoning > translation >
summarization > extraction > creative > chat``; a label needs ``MIN_SCORE`` to beat
the ``chat`` default; the special cases of :mod:`.overrides` apply last.
"""

from __future__ import annotations

import functools

from llm_router.tasks import _compiled, _features, _gate, _instruction, _text
from llm_router.tasks._compiled import default_rules
from llm_router.tasks._kept import Kept
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
"""Rule strength from which the learned component stays silent: rules found the
instruction, and the model only votes where no rule fired (most misses of a rules-only
detector fall through to ``chat`` because nothing matched)."""
USER_MODEL_DAMP = 0.5
"""Weight of the learned component on a user turn with no rule-backed instruction,
when a system prompt is there to say what to do with it."""


VOTE_CACHE_CHARS = 16_384
"""Longest system prompt or earlier turn whose vote is kept: with the default 256
entries the kept texts stay under 4 MiB (ASCII; 16 MiB at worst)."""

_QUANTITY_SIGNALS = frozenset({"reasoning:quantity_question", "reasoning:quantity_i18n"})
"""Rules asking for a quantity: with two numbers or more, the turn is a word problem."""


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

    def __init__(self, config: DetectorConfig | None = None, *, vote_cache: int = 256) -> None:
        self.config = config if config is not None else DetectorConfig()
        # ``vote_cache``: the votes of system prompts and earlier turns read lately (0: none)
        self._votes: Kept[tuple[str, str, bool], tuple[TextTask, tuple[str, ...]]]
        self._votes = Kept(vote_cache)
        rules = [*_compiled.builtin(), *_compiled.compile_rules(self.config.rules, custom=True)]
        self._ask = _compiled.Group([r for r in rules if r.scope == "ask"])
        self._tail = _compiled.Group([r for r in rules if r.scope == "tail"])
        self._body = _compiled.Group([r for r in rules if r.scope == "body"], whole=True)
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

    def _rules(self, text: str, ask: str, tally: _Tally, prefix: str, body: bool) -> float:
        """Add the rule votes of ``text`` (whose instruction is ``ask``) to ``tally``;
        return how strongly it asks.

        The strength is the largest total of instruction-rule weights of one label
        (``chat`` included: "what do you think?" is an instruction too).
        """
        groups = [(self._ask, ask, _gate.view(ask))]
        if body:
            tail = _text.tail_zone(text)
            groups.append((self._tail, tail, _gate.view(tail, words=False)))
            scanned = _text.body_zone(text)
            groups.append((self._body, scanned, _gate.view(scanned, words=False)))
        own = dict.fromkeys(TEXT_TASKS, 0.0)
        closed_qa = quantity = False
        for group, original, view in groups:
            for rule in _compiled.fired(group, original, view):
                tally.add(rule.task, rule.weight, prefix + rule.signal)
                if rule.scope != "body":
                    own[rule.task] += rule.weight
                closed_qa = closed_qa or rule.signal == "chat:closed_qa"
                quantity = quantity or rule.signal in _QUANTITY_SIGNALS
        quantity = quantity or (ask != text and _text.asks_quantity(text))
        if quantity and not closed_qa and _text.count_numbers(_text.ask_zone(text)) >= 2:
            tally.add("reasoning", WORD_PROBLEM_WEIGHT, prefix + "reasoning:word_problem")
            own["reasoning"] += WORD_PROBLEM_WEIGHT
        return max(own.values())

    def _learned(self, ask: str, tally: _Tally, weight: float, prefix: str) -> float:
        """Add ``weight`` times the learned component's probabilities for the
        instruction ``ask``.

        Returns the top probability, or 0 when the top label is ``chat`` (the model's
        "chat" mostly means "no cue", not a request of its own).
        """
        if self._model is None or not _features.has_words(ask):
            return 0.0
        probabilities = self._model.probabilities(ask, TEMPERATURE)
        scores = tally.scores
        for label, p in probabilities.items():
            scores[label] += weight * p
        top = max(probabilities, key=probabilities.__getitem__)
        if probabilities[top] >= MODEL_SIGNAL:
            tally.signals.append(prefix + "model:" + top)
        return 0.0 if top == "chat" else probabilities[top]

    def _vote(self, text: str, tally: _Tally, prefix: str, weight: float, body: bool) -> None:
        """Add ``weight`` to the label ``text`` asks for on its own (a system prompt, the
        turn a follow-up refers to), with its signals under ``prefix``."""
        key = (text, prefix, body)
        vote = self._votes.get(key)
        if vote is None:
            vote = self._own_vote(text, prefix, body)
            if len(text) <= VOTE_CACHE_CHARS:
                self._votes.put(key, vote)
        label, signals = vote
        tally.signals.extend(signals)
        tally.add(label, weight, prefix + label)

    def _own_vote(self, text: str, prefix: str, body: bool) -> tuple[TextTask, tuple[str, ...]]:
        """The label ``text`` asks for on its own and its signals: a function of the
        arguments alone, so :meth:`_vote` keeps it (:class:`._kept.Kept`)."""
        sub = _Tally()
        ask = _instruction.instruction(text)
        if self._rules(text, ask, sub, prefix, body) < MODEL_GATE:
            self._learned(ask, sub, MODEL_WEIGHT, prefix)
        return self._best(sub.scores), tuple(sub.signals)

    def _classify(self, request: ChatRequest) -> tuple[TextTask, float, tuple[str, ...]]:
        tally = _Tally()
        last = request.last_user_text()
        ask = _instruction.instruction(last)
        own = self._rules(last, ask, tally, "", body=True)
        system = request.system_text()
        asks = own >= ASKS or _text.addressed(last)
        if own < MODEL_GATE:
            weight = MODEL_WEIGHT * (USER_MODEL_DAMP if system and not asks else 1.0)
            own += weight * self._learned(ask, tally, weight, "")
        if system:
            self._vote(system, tally, "system:", SYSTEM_VOTE[asks], body=False)
        previous = _text.previous_user_text(request)
        if previous is not None:
            self._vote(previous, tally, "context:", CONTEXT_VOTE[own >= MIN_SCORE], body=True)
        return self._decide(tally)

    def _best(self, scores: dict[str, float]) -> TextTask:
        """The enabled label with the highest score (precedence breaks ties), or ``chat``
        when that score is below ``MIN_SCORE``."""
        best = min(self._enabled, key=lambda t: (-scores[t], TEXT_TASKS.index(t)))
        if best != "chat" and scores[best] < MIN_SCORE and "chat" in self._enabled:
            return "chat"
        return best

    def _decide(self, tally: _Tally) -> tuple[TextTask, float, tuple[str, ...]]:
        scores = tally.scores
        best = self._best(scores)
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
