"""Accuracy of the task detector on the public dev set and on our own held-out set.

``dev.jsonl`` (1,395 rows from public datasets) is what the rules were tuned on;
``heldout.jsonl`` (457 hand-written rows: system prompts, follow-ups, pasted material,
seven languages) was written before the detector was reworked and is only measured.
Floors sit about one point below the figures measured when the detector was last
changed (see README, "Task detection"); the issue's targets are the hard limits:
dev >= 0.92, held-out >= 0.90, no label's recall below 0.80, chat precision >= 0.80.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from llm_router.tasks import TaskDetector, _index
from llm_router.tasks.evaluate import Evaluation, Example, evaluate, load_examples
from llm_router.tasks.model import TEXT_TASKS

DATA = Path(__file__).resolve().parent.parent / "data" / "task-detection"
SETS = {"dev": DATA / "dev.jsonl", "heldout": DATA / "heldout.jsonl"}
ACCURACY_FLOORS = {"dev": 0.945, "heldout": 0.92}
RECALL_FLOOR = 0.80
CHAT_PRECISION_FLOOR = 0.80


@cache
def _examples(name: str) -> tuple[Example, ...]:
    return tuple(load_examples(SETS[name]))


@cache
def _evaluation(name: str) -> Evaluation:
    return evaluate(_examples(name), TaskDetector())


@pytest.mark.parametrize("name", SETS)
def test_accuracy(name: str) -> None:
    """Overall accuracy stays above its floor on both sets."""
    assert _evaluation(name).accuracy >= ACCURACY_FLOORS[name]


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("label", TEXT_TASKS)
def test_label_recall(name: str, label: str) -> None:
    """No label's recall drops below 0.80 on either set."""
    assert _evaluation(name).recall(label) >= RECALL_FLOOR


@pytest.mark.parametrize("name", SETS)
def test_chat_precision(name: str) -> None:
    """Requests of other kinds do not pile up in the ``chat`` default."""
    assert _evaluation(name).precision("chat") >= CHAT_PRECISION_FLOOR


def test_dev_set_is_complete() -> None:
    """The dev set has its 1,395 rows, all labelled with a text task."""
    rows = _examples("dev")
    assert len(rows) == 1395
    assert {row.task for row in rows} == set(TEXT_TASKS)


def test_heldout_set_has_the_shapes_of_real_traffic() -> None:
    """>= 400 rows, every label, >= 6 languages besides English, >= 25 % pasted
    material, >= 15 % multi-turn, system prompts, requests without a trigger verb,
    and notes on the ambiguous rows."""
    rows = _examples("heldout")
    count = len(rows)
    shapes = Counter(shape for row in rows for shape in row.fields["shapes"])
    languages = Counter(row.fields["lang"] for row in rows)
    assert count >= 400
    assert {row.task for row in rows} == set(TEXT_TASKS)
    assert min(Counter(row.task for row in rows).values()) >= 55
    assert {"es", "de", "fr", "it", "pt", "ja"} <= {k for k, n in languages.items() if n >= 30}
    assert shapes["pasted"] >= 0.25 * count
    assert shapes["multi_turn"] >= 0.15 * count
    assert shapes["system"] >= 25
    assert shapes["no_verb"] >= 40
    assert sum("notes" in row.fields for row in rows) >= 30


def test_heldout_shapes_match_the_messages() -> None:
    """The ``shapes`` tags say what the messages are: several user turns, a system prompt."""
    for row in _examples("heldout"):
        roles = [m.role for m in row.request.messages]
        assert (roles.count("user") > 1) == ("multi_turn" in row.fields["shapes"]), row.id
        assert ("system" in roles) == ("system" in row.fields["shapes"]), row.id
        assert roles[-1] == "user", row.id


def test_index_and_gates_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a sample of both sets, running every rule gives the indexed detector's answers."""
    sample = [row.request for name in SETS for row in _examples(name)[::9]]
    detector = TaskDetector()
    gated = [detector(request) for request in sample]
    monkeypatch.setattr(_index, "admitted", lambda index, view: list(range(len(index.gates))))
    assert [detector(request) for request in sample] == gated
