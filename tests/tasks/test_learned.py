"""The learned component: features, inference, and the training that produced its weights."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from llm_router.tasks import train
from llm_router.tasks._features import features, normalise
from llm_router.tasks.learned import MODEL_PATH, load_model
from llm_router.tasks.model import TEXT_TASKS


def test_features_fold_accents_and_split_cjk() -> None:
    """Accents fold, long words give a stem, numbers become ``0``, CJK gives pairs."""
    assert normalise("Résumé ÜBER") == "resume uber"
    found = features("Traduisez 3 phrases")
    assert {"traduisez", "tradu~", "^ traduisez", "0", "$nums"} - {"$nums"} <= set(found)
    assert {"要約", "約し"} <= set(features("要約して"))
    assert "$q" in features("Why?") and "$colon" in features("Summary:")


def test_probabilities_are_a_distribution() -> None:
    """Probabilities cover every text label and sum to one, also for unknown words."""
    model = load_model()
    for text in ("translate this into german", "zzqx vvbn", ""):
        probabilities = model.probabilities(text, 1.0)
        assert set(probabilities) == set(TEXT_TASKS)
        assert math.isclose(sum(probabilities.values()), 1.0)
    assert max(model.probabilities("", 1.0).values()) == pytest.approx(1 / len(TEXT_TASKS))


def test_model_prefers_the_obvious_label() -> None:
    """A few unambiguous instructions get their label from the model alone."""
    model = load_model()
    for text, label in [
        ("please translate this paragraph into italian", "translation"),
        ("write a python function that reverses a list", "code"),
        ("give me a short summary of the meeting notes", "summarization"),
        ("a short poem about the sea", "creative"),
    ]:
        probabilities = model.probabilities(text, 1.0)
        assert max(probabilities, key=probabilities.__getitem__) == label, text


def test_committed_weights_are_what_training_produces() -> None:
    """``python -m llm_router.tasks.train`` regenerates ``data/model.json`` from the corpus
    (compared with a tolerance, so a last-bit difference in ``math.exp`` cannot fail it)."""
    committed = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    rows = train.read_corpus(train.CORPUS.read_text(encoding="utf-8").splitlines())
    fresh = json.loads(train.render(train.fit(rows)))
    assert fresh["labels"] == committed["labels"] == list(TEXT_TASKS)
    assert fresh["examples"] == committed["examples"] == len(rows)
    assert fresh["weights"].keys() == committed["weights"].keys()
    worst = max(
        abs(a - b)
        for key, vector in fresh["weights"].items()
        for a, b in zip(vector, committed["weights"][key], strict=True)
    )
    assert worst <= 0.02


def test_corpus_covers_every_label_and_language() -> None:
    """The shipped corpus has examples of each label, in several scripts."""
    rows = train.read_corpus(train.CORPUS.read_text(encoding="utf-8").splitlines())
    counts = {label: sum(1 for got, _ in rows if got == label) for label in TEXT_TASKS}
    assert min(counts.values()) >= 100
    texts = " ".join(text for _, text in rows)
    for word in ("resume", "zusammen", "traduis", "riassumi", "traduza", "要約"):
        assert word in texts


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["orphan line"], "before the first"),
        (["= poetry", "x"], "unknown label"),
    ],
)
def test_corpus_format_errors(lines: list[str], message: str) -> None:
    """A line before any header, or an unknown label, is reported with its line number."""
    with pytest.raises(ValueError, match=message):
        train.read_corpus(lines)


def test_train_writes_and_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``train`` writes the weights; ``--check`` exits 1 while they are stale, 0 after."""
    corpus = tmp_path / "instructions.txt"
    corpus.write_text(
        "// tiny corpus\n= code\nwrite a python script\n= chat\nwhy is the sky blue\n",
        encoding="utf-8",
    )
    model = tmp_path / "model.json"
    model.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(train, "CORPUS", corpus)
    monkeypatch.setattr(train, "MODEL", model)
    assert train.main(["--check"]) == 1
    assert train.main([]) == 0
    assert train.main(["--check"]) == 0
    assert json.loads(model.read_text(encoding="utf-8"))["examples"] == 2
