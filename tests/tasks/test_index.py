"""The rule index and the split of mixed patterns: speed-ups that must not change results."""

from __future__ import annotations

import re

import pytest

from llm_router.tasks import _compiled, _gate, _index, _needles, train
from llm_router.tasks._compiled import default_rules

_MIXED = r"\bcat\b|行で(?<=[一二三]行で)|\bdog|->\s*x"


@pytest.mark.parametrize("text", ["a cat", "二行で", "hotdog", "dog", "a -> x", "scat", "一行"])
def test_split_patterns_match_like_the_original(text: str) -> None:
    """Searching the ``\\b`` part (boundary checked by hand) and the rest equals one search."""
    bounded, rest = _needles.partition_boundary(_MIXED)
    assert bounded == r"cat\b|dog" and rest is not None
    split = _gate.search(re.compile(bounded), text, boundary=True) or bool(re.search(rest, text))
    assert split is (re.search(_MIXED, text) is not None)


def test_index_admits_every_rule_that_matches() -> None:
    """For corpus sentences, every rule whose regex matches is admitted by the index."""
    rules = [r for r in _compiled.compile_rules(default_rules(), custom=False) if r.scope == "ask"]
    index = _index.build([rule.gate for rule in rules])
    texts = [text for _, text in train.read_corpus(train.CORPUS.read_text("utf-8").splitlines())]
    for text in texts[::3]:
        view = _gate.view(text)
        admitted = set(_index.admitted(index, view))
        for position, rule in enumerate(rules):
            zone = text if rule.original else view.lowered
            matched = _gate.search(rule.regex, zone, rule.boundary) or (
                rule.extra is not None and rule.extra.search(zone) is not None
            )
            assert not matched or position in admitted, (rule.signal, text)
