"""``llm-router eval-tasks``: confusion matrix and per-label figures for labelled JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_router.cli.main import main
from llm_router.tasks import TaskDetector
from llm_router.tasks.evaluate import evaluate, load_examples

ROWS = [
    {
        "id": "a",
        "task": "translation",
        "lang": "en",
        "messages": [{"role": "user", "content": "Translate 'good night' into Spanish."}],
    },
    {
        "id": "b",
        "task": "code",
        "lang": "en",
        "messages": [{"role": "user", "content": "Write a Python function that adds two numbers."}],
    },
    {
        "id": "c",
        "task": "creative",
        "lang": "de",
        "messages": [{"role": "user", "content": "Schreib ein Gedicht über den Mond."}],
    },
    {
        "id": "d",
        "task": "summarization",
        "lang": "en",
        "messages": [{"role": "user", "content": "What is the capital of Peru?"}],
    },
]


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    """A small labelled file; row ``d`` is labelled wrongly on purpose (a chat question)."""
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


def test_prints_confusion_matrix_and_per_label_table(
    labelled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report has the accuracy, a confusion matrix and precision/recall per label."""
    assert main(["eval-tasks", str(labelled), "--by", "lang", "--errors", "5"]) == 0
    out = capsys.readouterr().out
    assert "4 rows  accuracy 0.750" in out
    assert "confusion (rows: labelled task, columns: detected task)" in out
    assert "precision   recall       f1  support" in out
    summarization = next(line for line in out.splitlines() if line.startswith("summarization"))
    assert summarization.split()[1:] == ["0", "0", "0", "0", "1"]  # only labels seen
    assert "de                   1.000  (1 rows)" in out
    assert "d: summarization -> chat" in out


def test_json_output(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` gives the same figures as data."""
    assert main(["eval-tasks", str(labelled), "--json", "--by", "lang"]) == 0
    report = json.loads(capsys.readouterr().out)[str(labelled)]
    assert report["rows"] == 4
    assert report["accuracy"] == 0.75
    assert report["labels"]["chat"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["confusion"]["summarization"]["chat"] == 1
    assert report["by"]["en"] == {"rows": 3, "accuracy": 0.6667}


def test_policy_rules_are_used(
    labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--policy`` evaluates with the policy's ``tasks`` rules."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "providers:\n  p: {type: scripted, text: hi}\n"
        "routes:\n  default: [p]\n"
        "tasks:\n  rules:\n    - {task: summarization, pattern: capital of peru, weight: 9}\n",
        encoding="utf-8",
    )
    assert main(["eval-tasks", str(labelled), "--policy", str(policy)]) == 0
    assert "4 rows  accuracy 1.000" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("not json\n", "not JSON", id="json"),
        pytest.param('{"messages": []}\n', "'task'", id="task"),
        pytest.param('{"task": "code", "messages": "hi"}\n', "bad 'messages'", id="messages"),
        pytest.param("\n", "no labelled rows", id="empty"),
    ],
)
def test_malformed_files_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """A malformed file is an error naming the file and line, exit status 1."""
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    assert main(["eval-tasks", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("llm-router: error: ") and message in err


def test_library_api_matches_the_command(labelled: Path) -> None:
    """``evaluate`` is the library form: the same figures without the CLI."""
    evaluation = evaluate(load_examples(labelled), TaskDetector())
    assert evaluation.accuracy == 0.75
    assert evaluation.recall("summarization") == 0.0
    assert evaluation.precision("code") == 1.0
    assert evaluation.labels[:2] == ("code", "translation")
