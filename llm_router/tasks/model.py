"""Value types of the task detector: rules, configuration and the detection result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from llm_router.errors import ConfigurationError
from llm_router.types import TASK_NAMES, TaskName

TextTask: TypeAlias = Literal[
    "code", "reasoning", "summarization", "translation", "extraction", "creative", "chat"
]
"""The labels text classification can return (the structural ones are decided earlier)."""

TEXT_TASKS: tuple[TextTask, ...] = (
    "code",
    "reasoning",
    "translation",
    "summarization",
    "extraction",
    "creative",
    "chat",
)
"""Text labels in tie-break precedence order (README rule 10): earlier wins a tie."""

Scope: TypeAlias = Literal["ask", "tail", "body"]
"""Where a rule looks: ``ask`` — the instruction the detector finds in the turn;
``tail`` — the last few hundred characters (cues such as a closing ``TL;DR:``);
``body`` — the whole scanned turn (structural cues such as code or stack traces)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A weighted, case-insensitive regex that votes for ``task`` when it matches.

    Rules from the policy (``tasks.rules``) give only ``task``, ``pattern`` and
    ``weight``; they look at the instruction zone of the last user turn. ``name``
    labels the signal (``"<task>:<name>"``) and ``scope`` widens the search to the
    whole scanned turn; both exist mainly for the built-in rules.
    """

    task: str
    pattern: str
    weight: float
    name: str = ""
    scope: Scope = "ask"

    def __post_init__(self) -> None:
        if self.task not in TEXT_TASKS:
            raise ConfigurationError(
                f"task rule {self.pattern!r}: unknown task {self.task!r}; "
                f"rules classify text into one of {', '.join(TEXT_TASKS)}"
            )
        if not isinstance(self.pattern, str) or not self.pattern:
            raise ConfigurationError(
                f"task rule for {self.task!r}: pattern must be a non-empty string"
            )
        if isinstance(self.weight, bool) or not isinstance(self.weight, int | float):
            raise ConfigurationError(f"task rule {self.pattern!r}: weight must be a number")
        if not math.isfinite(self.weight):
            raise ConfigurationError(f"task rule {self.pattern!r}: weight must be finite")
        if self.scope not in ("ask", "tail", "body"):
            raise ConfigurationError(
                f"task rule {self.pattern!r}: scope must be 'ask', 'tail' or 'body'"
            )


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Detector settings, usually from the policy's ``tasks:`` section.

    ``long_context_tokens``: estimated prompt tokens above which a request is
    ``long_context``. ``rules``: extra rules added to the built-in ones.
    ``disabled``: labels the detector must never return (e.g. ``{"creative"}``): a
    disabled structural label skips that check, a disabled text label falls back to
    ``chat`` (or, if ``chat`` is disabled too, to the best-scoring enabled label).
    """

    long_context_tokens: int = 32000
    rules: tuple[Rule, ...] = ()
    disabled: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        tokens = self.long_context_tokens
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
            raise ConfigurationError("tasks.long_context_tokens must be a positive integer")
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "disabled", frozenset(self.disabled))
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise ConfigurationError(f"tasks.rules entries must be Rule objects, got {rule!r}")
        unknown = sorted(self.disabled - set(TASK_NAMES))
        if unknown:
            raise ConfigurationError(
                f"tasks.disabled: unknown task(s) {', '.join(unknown)}; "
                f"known: {', '.join(TASK_NAMES)}"
            )
        if set(TEXT_TASKS) <= self.disabled:
            raise ConfigurationError(
                "tasks.disabled turns off every text label; keep at least one (usually 'chat')"
            )


@dataclass(frozen=True, slots=True)
class Detection:
    """The detector's answer: the task, a confidence in [0, 1] and the signals that fired.

    Signals are short, stable names such as ``"explicit"``, ``"tools"``,
    ``"code:fence"`` or ``"system:summarization:summarize"``; ``explain`` shows them.
    """

    task: TaskName
    score: float
    signals: tuple[str, ...]
