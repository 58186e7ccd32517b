"""The detector keeps the votes of system prompts and earlier turns it read lately.

A system prompt (or the turn a follow-up refers to) gets the same vote whatever else
the request holds, so ``TaskDetector`` reads it once and keeps the result (LRU,
``vote_cache`` entries; texts over ``VOTE_CACHE_CHARS`` are read every time). These
tests check that keeping them changes no detection: the same requests, each sent
twice and interleaved, through a detector that keeps votes and one that does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llm_router.tasks import TaskDetector
from llm_router.tasks._kept import Kept
from llm_router.tasks.detector import VOTE_CACHE_CHARS
from llm_router.types import ChatRequest

_CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "detector_equivalence.json").read_text(encoding="utf-8")
)
_TEXTS = [m["content"] for case in _CASES for m in case["messages"] if m["role"] == "user"]


def _requests() -> list[ChatRequest]:
    """Requests that share system prompts and earlier turns, in a mixed order."""
    systems = [_TEXTS[i] for i in range(0, 60, 6)] + ["x " * (VOTE_CACHE_CHARS // 2 + 10)]
    out: list[ChatRequest] = []
    for i, text in enumerate(_TEXTS[:120]):
        system = systems[i % len(systems)]
        out.append(
            ChatRequest(
                messages=[{"role": "system", "content": system}, {"role": "user", "content": text}]
            )
        )
        earlier = _TEXTS[(i * 7) % 40]
        out.append(
            ChatRequest(
                messages=[
                    {"role": "user", "content": earlier},
                    {"role": "assistant", "content": "Done."},
                    {"role": "user", "content": text},
                ]
            )
        )
    return out + out[::-1]  # every request twice: the second time from the kept votes


def _same(keeping: TaskDetector) -> None:
    fresh = TaskDetector(vote_cache=0)
    for request in _requests():
        assert keeping(request) == fresh(request)


def test_kept_votes_change_no_detection() -> None:
    _same(TaskDetector())


def test_a_small_cache_that_evicts_changes_no_detection() -> None:
    _same(TaskDetector(vote_cache=3))


def test_kept_drops_the_least_recently_used_and_size_zero_keeps_nothing() -> None:
    kept: Kept[str, int] = Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # now the most recently used
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    assert len(kept) == 2
    nothing: Kept[str, int] = Kept(0)
    nothing.put("a", 1)
    assert nothing.get("a") is None and len(nothing) == 0
