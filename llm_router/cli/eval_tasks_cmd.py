"""``llm-router eval-tasks FILE…``: how well task detection does on labelled requests.

Prints, for each JSONL file of labelled requests (the format of the detector's dev and
held-out sets: ``messages`` plus the expected ``task``), the accuracy, the confusion
matrix and each label's precision, recall and F1. Run it on your own labelled traffic
to see how the detector, with your policy's rules, fares on it. Calls no provider.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from llm_router.policy.build import detector_config
from llm_router.policy.validate import load_policy
from llm_router.tasks import TaskDetector
from llm_router.tasks.evaluate import errors, evaluate, load_examples

_EPILOG = """\
Each line of FILE is a JSON object: {"messages": [...], "task": "<label>"} with
optional "id", "tools" and any other fields ("lang", "source") for --by.
Labels: code, reasoning, translation, summarization, extraction, creative, chat
(and tool_use, vision, long_context, which the detector decides from structure).

examples:
  llm-router eval-tasks tests/data/task-detection/dev.jsonl
  llm-router eval-tasks tests/data/task-detection/heldout.jsonl --by lang --errors 10
  llm-router eval-tasks my-traffic.jsonl --policy policies/prod.yaml --json
"""


def add_parser(sub: Any) -> None:
    """Register the ``eval-tasks`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "eval-tasks",
        help="accuracy, confusion matrix and per-label precision/recall of task detection",
        description="Evaluate task detection on labelled requests (JSONL).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="labelled JSONL files")
    p.add_argument(
        "--policy", metavar="FILE", help="use this policy's tasks: section (rules, disabled)"
    )
    p.add_argument("--by", metavar="FIELD", help="also show accuracy per value of FIELD")
    p.add_argument(
        "--errors", type=int, default=0, metavar="N", help="list up to N misclassified rows"
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate each file; 0 when every file could be read."""
    config = detector_config(load_policy(args.policy)) if args.policy else None
    detector = TaskDetector(config)
    results: dict[str, Any] = {}
    for index, file in enumerate(args.files):
        evaluation = evaluate(load_examples(file), detector)
        if args.json:
            summary = evaluation.summary()
            if args.by:
                summary["by"] = {
                    key: {"rows": rows, "accuracy": round(accuracy, 4)}
                    for key, (rows, accuracy) in evaluation.breakdown(args.by).items()
                }
            summary["errors"] = list(errors(evaluation, args.errors))
            results[file] = summary
            continue
        if index:
            print()
        print(f"== {file}")
        print(evaluation.render())
        if args.by:
            print(f"\naccuracy by {args.by}")
            for key, (rows, accuracy) in evaluation.breakdown(args.by).items():
                print(f"  {key:<20} {accuracy:.3f}  ({rows} rows)")
        if args.errors:
            print(f"\nmisclassified (first {args.errors})")
            for line in errors(evaluation, args.errors):
                print(f"  {line}")
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0
