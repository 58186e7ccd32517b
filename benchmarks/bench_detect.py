"""Task detector speed: microseconds per detection for a short and a 4 KB prompt.

Run ``python benchmarks/bench_detect.py`` (or ``run(quick=True)`` from a test or the
Makefile). Each figure is the median of many timed batches, so one slow batch (a GC
pause, a context switch) does not move it. Besides the two headline shapes (targets:
100 µs for a short prompt, 500 µs for 4 KB), the other shapes of real traffic are
timed: a short prompt no rule matches (the learned component decides), a question, a
Japanese request, a follow-up turn (two turns are read), a system prompt over a 4 KB
paste, and a 1.8 KB system prompt read afresh and seen before (the detector keeps the
votes of recent system prompts and earlier turns).
"""

from __future__ import annotations

import statistics
import time

from llm_router.tasks import TaskDetector
from llm_router.types import ChatRequest

_SHORT = "Translate 'where is the station?' into German, please."
_PARAGRAPH = (
    "The council met on Tuesday to discuss the new transport plan. Members argued about "
    "the cost of the tram extension, the timetable for road works and the effect on local "
    "shops, and agreed to publish a consultation in the spring. "
)


def _four_kb() -> str:
    body = (_PARAGRAPH * (4096 // len(_PARAGRAPH) + 1))[:3900]
    return f"Summarize the following article in three bullet points.\n\n{body}\n\nTL;DR:"


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _shapes() -> list[tuple[str, list[dict[str, str]]]]:
    paste = (_PARAGRAPH * (4096 // len(_PARAGRAPH) + 1))[:4000]
    return [
        ("short", _user(_SHORT)),
        ("4kb", _user(_four_kb())),
        ("short, no rule", _user("portuguese menu translation for the cafe")),
        ("question", _user("Why do onions make you cry when you cut them?")),
        ("japanese", _user("次の文を英語にしてください。会議は延期です。")),
        (
            "follow-up",
            [
                {"role": "user", "content": "Translate into Portuguese: the museum is closed."},
                {"role": "assistant", "content": "O museu está fechado."},
                {"role": "user", "content": "and into Japanese as well?"},
            ],
        ),
        (
            "system + 4kb paste",
            [
                {"role": "system", "content": "Summarize every document in three bullets."},
                {"role": "user", "content": paste},
            ],
        ),
    ]


def _time(detector: TaskDetector, request: ChatRequest, batches: int, per_batch: int) -> float:
    samples: list[float] = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per_batch):
            detector(request)
        samples.append((time.perf_counter() - start) / per_batch * 1e6)
    return statistics.median(samples)


_SYSTEM = (
    "You are the support assistant of ACME Corp. Answer politely, cite the knowledge base "
    "article you used, never reveal internal data, and hand over to a human when asked. "
)


def run(quick: bool = False) -> list[dict[str, object]]:
    """Median µs per detection for each prompt shape, one row per shape.

    Every shape is timed on a detector that does not keep the votes of system prompts
    and earlier turns (``vote_cache=0``), so each detection reads them afresh; the last
    row is the usual case of an application, the same long system prompt on every
    request, on a detector that keeps them (the default)."""
    fresh, keeping = TaskDetector(vote_cache=0), TaskDetector()
    batches, per_batch = (5, 20) if quick else (31, 200)
    rows: list[dict[str, object]] = []
    system = [{"role": "system", "content": (_SYSTEM * 12)[:1800]}]
    question = _user("Can you tell me how to reset my password?")
    cases = [(name, messages, fresh) for name, messages in _shapes()]
    cases.append(("1.8 KB system prompt, first time", system + question, fresh))
    cases.append(("1.8 KB system prompt, seen before", system + question, keeping))
    for name, messages, detector in cases:
        request = ChatRequest(messages=messages)
        detection = detector(request)
        rows.append(
            {
                "prompt": name,
                "chars": sum(len(m["content"]) for m in messages),
                "task": detection.task,
                "us_per_detection": round(_time(detector, request, batches, per_batch), 1),
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
