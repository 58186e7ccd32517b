"""Train the detector's learned component from the corpus the package ships.

``python -m llm_router.tasks.train`` reads ``data/instructions.txt`` (hand-written
instructions under ``= label`` headers), fits a multinomial logistic regression over
:func:`._features.features` and writes ``data/model.json``; ``--check`` only verifies
that the committed file is what training produces. Training is deterministic (no
randomness, sorted output, rounded weights), so the file changes only when the corpus
or the features do. Nothing here runs at import time or per request.

A feature the model never saw adds nothing at inference; there is no bias term, so
an instruction with no known feature gets equal probabilities.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from llm_router.tasks._features import features
from llm_router.tasks.model import TEXT_TASKS

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "instructions.txt"
MODEL = DATA / "model.json"
EPOCHS = 20
"""Passes over the corpus."""
RATE = 0.5
"""AdaGrad learning rate."""
L2 = 1e-4
"""L2 penalty on the weights."""
MIN_WEIGHT = 0.1
"""Features whose largest centred weight is smaller than this are dropped."""
DIGITS = 2
"""Weights are rounded to this many decimals (keeps the file small and stable)."""


def read_corpus(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``(label, text)`` pairs from the corpus format (``//`` comments, ``= label``)."""
    rows: list[tuple[str, str]] = []
    label = ""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("= "):
            label = line[2:].strip()
            if label not in TEXT_TASKS:
                raise ValueError(f"line {number}: unknown label {label!r}")
            continue
        if not label:
            raise ValueError(f"line {number}: text before the first '= label' header")
        rows.append((label, line))
    return rows


def _order(example: tuple[int, list[str]]) -> str:
    """A fixed, content-derived training order (no random generator involved)."""
    return hashlib.sha1(" ".join(example[1]).encode("utf-8")).hexdigest()


def fit(rows: Sequence[tuple[str, str]]) -> dict[str, object]:
    """The model (labels, per-feature weights) fitted to ``rows``.

    Multinomial logistic regression, trained by AdaGrad with a small L2 penalty for
    ``EPOCHS`` passes in a fixed order; each feature's weights are then centred (a
    constant added to every label changes no probability) and rounded.
    """
    labels: list[str] = list(TEXT_TASKS)
    size = len(labels)
    data = sorted(
        ((labels.index(label), sorted(set(features(text)))) for label, text in rows), key=_order
    )
    weights: dict[str, list[float]] = {}
    squares: dict[str, list[float]] = {}
    for _ in range(EPOCHS):
        for target, present in data:
            scores = [0.0] * size
            for feature in present:
                vector = weights.get(feature)
                if vector is not None:
                    scores = [a + b for a, b in zip(scores, vector, strict=True)]
            top = max(scores)
            exps = [math.exp(value - top) for value in scores]
            total = sum(exps)
            gradient = [e / total - (1.0 if k == target else 0.0) for k, e in enumerate(exps)]
            for feature in present:
                vector = weights.setdefault(feature, [0.0] * size)
                square = squares.setdefault(feature, [1e-8] * size)
                for k in range(size):
                    step = gradient[k] + L2 * vector[k]
                    square[k] += step * step
                    vector[k] -= RATE * step / math.sqrt(square[k])
    table: dict[str, list[float]] = {}
    for feature in sorted(weights):
        vector = weights[feature]
        mean = sum(vector) / size
        centred = [round(value - mean, DIGITS) + 0.0 for value in vector]
        if max(abs(value) for value in centred) >= MIN_WEIGHT:
            table[feature] = centred
    return {"labels": labels, "epochs": EPOCHS, "examples": len(rows), "weights": table}


def render(model: dict[str, object]) -> str:
    """The JSON text of ``model``: one feature per line, sorted, so diffs stay readable."""
    head = {key: value for key, value in model.items() if key != "weights"}
    weights = model["weights"]
    assert isinstance(weights, dict)
    lines = [
        json.dumps(key, ensure_ascii=False) + ": " + json.dumps(weights[key]) for key in weights
    ]
    body = ",\n  ".join(lines)
    start = json.dumps(head, ensure_ascii=False)[:-1]
    return f'{start}, "weights": {{\n  {body}\n}}}}\n'


def main(argv: Sequence[str] | None = None) -> int:
    """Train and write ``data/model.json`` (``--check``: compare only, exit 1 if stale)."""
    parser = argparse.ArgumentParser(prog="python -m llm_router.tasks.train")
    parser.add_argument("--check", action="store_true", help="fail if model.json is stale")
    args = parser.parse_args(argv)
    text = render(fit(read_corpus(CORPUS.read_text(encoding="utf-8").splitlines())))
    if args.check:
        current = MODEL.read_text(encoding="utf-8") if MODEL.exists() else ""
        if current != text:
            print(f"{MODEL} is stale: run python -m llm_router.tasks.train", file=sys.stderr)
            return 1
        return 0
    MODEL.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
