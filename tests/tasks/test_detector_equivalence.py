"""Speed work on the detector must not move one decision.

``detector_equivalence.json`` pins the detections (task, score, signals) of a few
hundred requests — dataset rows, re-cased and concatenated rows, system prompts,
follow-ups, odd Unicode, long pastes — as the detector produced them before its
rule index, gates and regex runs were optimised. Any change of output here is a
change of behaviour, not of speed: regenerate the file only for a deliberate one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_router.tasks import TaskDetector
from llm_router.types import ChatRequest

_CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "detector_equivalence.json").read_text(encoding="utf-8")
)


def test_fixture_is_large_enough() -> None:
    """The pinned set covers a few hundred requests."""
    assert len(_CASES) >= 300


@pytest.mark.parametrize("case", _CASES, ids=lambda case: str(_CASES.index(case)))
def test_detections_are_unchanged(case: dict[str, Any]) -> None:
    """Each pinned request gets exactly the detection it had."""
    detection = _detector()(ChatRequest(messages=case["messages"]))
    assert detection.task == case["task"]
    assert detection.score == case["score"]
    assert list(detection.signals) == case["signals"]


_DETECTOR: list[TaskDetector] = []


def _detector() -> TaskDetector:
    if not _DETECTOR:
        _DETECTOR.append(TaskDetector())
    return _DETECTOR[0]
