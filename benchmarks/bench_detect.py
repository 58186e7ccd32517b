"""Task detector speed: microseconds per detection for a short and a 4 KB prompt.

Run ``python benchmarks/bench_detect.py`` (or ``run(quick=True)`` from a test or the
Makefile). Each figure is the median of many timed batches, so one slow batch (a GC
pause, a context switch) does not move it.
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


def _time(detector: TaskDetector, request: ChatRequest, batches: int, per_batch: int) -> float:
    samples: list[float] = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per_batch):
            detector(request)
        samples.append((time.perf_counter() - start) / per_batch * 1e6)
    return statistics.median(samples)


def run(quick: bool = False) -> list[dict[str, object]]:
    """Median µs per detection for each prompt shape, one row per shape."""
    detector = TaskDetector()
    batches, per_batch = (5, 20) if quick else (31, 200)
    rows: list[dict[str, object]] = []
    for name, text in (("short", _SHORT), ("4kb", _four_kb())):
        request = ChatRequest(messages=[{"role": "user", "content": text}])
        detection = detector(request)
        rows.append(
            {
                "prompt": name,
                "chars": len(text),
                "task": detection.task,
                "us_per_detection": round(_time(detector, request, batches, per_batch), 1),
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
