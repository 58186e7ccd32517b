"""Evaluate a task detector on labelled requests: accuracy, confusion matrix, per-label
precision and recall.

The labelled format is the one of ``tests/data/task-detection/*.jsonl``: one JSON
object per line with ``messages`` (OpenAI-style chat messages, system prompt and
earlier turns included) and ``task`` (the expected label); ``id`` and ``tools`` are
optional, other fields are kept for breakdowns (``--by lang``). ``llm-router
eval-tasks FILE`` prints :meth:`Evaluation.render` for each file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_router.tasks.model import TEXT_TASKS, Detection
from llm_router.types import TASK_NAMES, ChatRequest


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled request."""

    id: str
    request: ChatRequest
    task: str
    fields: dict[str, Any] = field(default_factory=dict)
    """The row's other fields (``lang``, ``source``, ``notes``…)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the detector said about one example."""

    example: Example
    detection: Detection

    @property
    def correct(self) -> bool:
        """Whether the detected task is the labelled one."""
        return self.detection.task == self.example.task


def load_examples(path: str | Path) -> list[Example]:
    """The labelled requests of a JSONL file; a malformed line is a ``ValueError``."""
    examples: list[Example] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON: {exc.msg}") from exc
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object")
            task, messages = row.get("task"), row.get("messages")
            if not isinstance(task, str) or not task:
                raise ValueError(f"{where}: 'task' must be a non-empty string")
            if not isinstance(messages, list):
                raise ValueError(f"{where}: bad 'messages': expected a list of messages")
            try:
                request = ChatRequest(messages=messages, tools=row.get("tools"))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise ValueError(f"{where}: bad 'messages': {exc}") from exc
            rest = {k: v for k, v in row.items() if k not in ("messages", "task", "tools")}
            examples.append(Example(str(row.get("id", number)), request, task, rest))
    if not examples:
        raise ValueError(f"{path}: no labelled rows")
    return examples


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcomes of one labelled set, with the usual figures."""

    outcomes: tuple[Outcome, ...]

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        """``(labelled, detected) -> count``."""
        return Counter((o.example.task, o.detection.task) for o in self.outcomes)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label seen (labelled or detected): known tasks first, in their order."""
        seen = {o.example.task for o in self.outcomes} | {o.detection.task for o in self.outcomes}
        known = [t for t in _ORDER if t in seen]
        return (*known, *sorted(seen - set(known)))

    @property
    def accuracy(self) -> float:
        """Share of examples whose detected task is the labelled one."""
        return sum(o.correct for o in self.outcomes) / len(self.outcomes)

    def precision(self, label: str) -> float:
        """Of the examples detected as ``label``, the share labelled so (0 if none)."""
        detected = [o for o in self.outcomes if o.detection.task == label]
        return sum(o.correct for o in detected) / len(detected) if detected else 0.0

    def recall(self, label: str) -> float:
        """Of the examples labelled ``label``, the share detected so (0 if none)."""
        labelled = [o for o in self.outcomes if o.example.task == label]
        return sum(o.correct for o in labelled) / len(labelled) if labelled else 0.0

    def f1(self, label: str) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision(label), self.recall(label)
        return 2 * p * r / (p + r) if p + r else 0.0

    def support(self, label: str) -> int:
        """Examples labelled ``label``."""
        return sum(o.example.task == label for o in self.outcomes)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the labels that have examples."""
        labels = [label for label in self.labels if self.support(label)]
        return sum(self.f1(label) for label in labels) / len(labels)

    def breakdown(self, name: str) -> dict[str, tuple[int, float]]:
        """Accuracy per value of the example field ``name`` (lists count once per item)."""
        totals: Counter[str] = Counter()
        hits: Counter[str] = Counter()
        for outcome in self.outcomes:
            value = outcome.example.fields.get(name, "-")
            for item in value if isinstance(value, list) else [value]:
                totals[str(item)] += 1
                hits[str(item)] += outcome.correct
        return {key: (totals[key], hits[key] / totals[key]) for key in sorted(totals)}

    def summary(self) -> dict[str, Any]:
        """The figures as plain data (``--json``)."""
        return {
            "rows": len(self.outcomes),
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "labels": {
                label: {
                    "precision": round(self.precision(label), 4),
                    "recall": round(self.recall(label), 4),
                    "f1": round(self.f1(label), 4),
                    "support": self.support(label),
                }
                for label in self.labels
            },
            "confusion": {
                gold: {got: self.confusion[(gold, got)] for got in self.labels}
                for gold in self.labels
            },
        }

    def render(self) -> str:
        """Accuracy, the confusion matrix and the per-label table, as text."""
        labels = self.labels
        width = max(8, *(len(label) for label in labels))
        short = [label[:6] for label in labels]
        lines = [
            f"{len(self.outcomes)} rows  accuracy {self.accuracy:.3f}  "
            f"macro-F1 {self.macro_f1:.3f}",
            "",
            "confusion (rows: labelled task, columns: detected task)",
            " " * width + "".join(f"{name:>8}" for name in short),
        ]
        confusion = self.confusion
        for gold in labels:
            counts = "".join(f"{confusion[(gold, got)]:>8}" for got in labels)
            lines.append(f"{gold:<{width}}{counts}")
        lines += ["", f"{'label':<{width}}  precision   recall       f1  support"]
        for label in labels:
            lines.append(
                f"{label:<{width}}  {self.precision(label):>9.3f}  {self.recall(label):>7.3f}"
                f"  {self.f1(label):>7.3f}  {self.support(label):>7}"
            )
        return "\n".join(lines)


_ORDER: tuple[str, ...] = (*TEXT_TASKS, *(t for t in TASK_NAMES if t not in TEXT_TASKS))


def evaluate(examples: Iterable[Example], detect: Callable[[ChatRequest], Detection]) -> Evaluation:
    """Run ``detect`` on every example."""
    outcomes = tuple(Outcome(example, detect(example.request)) for example in examples)
    if not outcomes:
        raise ValueError("nothing to evaluate")
    return Evaluation(outcomes)


def errors(evaluation: Evaluation, limit: int) -> Sequence[str]:
    """Up to ``limit`` misclassified examples, one line each: id, labels, signals, text."""
    lines: list[str] = []
    for outcome in evaluation.outcomes:
        if outcome.correct or len(lines) >= limit:
            continue
        text = " ".join(outcome.example.request.last_user_text().split())
        signals = ", ".join(outcome.detection.signals)
        lines.append(
            f"{outcome.example.id}: {outcome.example.task} -> {outcome.detection.task} "
            f"[{signals}] {text[:80]!r}"
        )
    return lines
