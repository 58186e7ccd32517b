"""Inference of the detector's learned component (weights in ``data/model.json``).

A linear model over the features of :mod:`._features`: each label's score is the sum
of the weights of the features present (each counted once), and the scores become
probabilities through a softmax at ``temperature``. Pure Python, no dependency; the
weights are read once, on first use. :mod:`.train` regenerates them.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from llm_router.tasks._features import features
from llm_router.tasks.model import TEXT_TASKS, TextTask

MODEL_PATH = Path(__file__).resolve().parent / "data" / "model.json"


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Per-feature weight vectors, one value per label of ``labels``."""

    labels: tuple[TextTask, ...]
    weights: dict[str, tuple[float, ...]]

    def scores(self, text: str) -> list[float]:
        """Summed weights of ``text``'s features, one per label (0 where none is known)."""
        table = self.weights
        # Each feature once, in order of appearance: a set would make the float sums depend
        # on the per-process string hash seed.
        vectors = [table[f] for f in dict.fromkeys(features(text)) if f in table]
        if not vectors:
            return [0.0] * len(self.labels)
        return [sum(column) for column in zip(*vectors, strict=True)]

    def probabilities(self, text: str, temperature: float) -> dict[TextTask, float]:
        """Softmax of :meth:`scores` divided by ``temperature``."""
        raw = self.scores(text)
        top = max(raw)
        exps = [math.exp((value - top) / temperature) for value in raw]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps, strict=True)}


def _labels(names: list[str]) -> tuple[TextTask, ...]:
    known: dict[str, TextTask] = {task: task for task in TEXT_TASKS}
    return tuple(known[name] for name in names)


@functools.cache
def load_model(path: Path = MODEL_PATH) -> LinearModel:
    """The model stored at ``path`` (cached: read once per process)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    labels = _labels(list(data["labels"]))
    weights = {str(k): tuple(float(x) for x in v) for k, v in data["weights"].items()}
    return LinearModel(labels, weights)
