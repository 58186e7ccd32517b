"""Label cardinality is bounded by construction, whatever requests carry."""

from __future__ import annotations

import random
import string

from prometheus_client import CollectorRegistry

from llm_router.observe import (
    OUTCOMES,
    BreakerChanged,
    FellBack,
    Retried,
    StreamEnded,
    StreamStarted,
    StreamStopped,
    TaskDetected,
)
from llm_router.observe.labels import DEFAULT_LEARNED_MODELS, DEFAULT_LEARNED_PROVIDERS, LabelSets
from llm_router.observe.metrics import Metrics, Price
from llm_router.types import TASK_NAMES, Usage
from tests.observe.helpers import llm_series, record


def junk(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_/.", k=12))


def drive(m: Metrics, rng: random.Random, n: int) -> None:
    """Feed ``n`` streams: deployments and outcomes cycle through a fixed list (as the
    policy allows), while model names, tasks, reasons and content are random."""
    providers = ["a", "b", ""]
    outcomes = [*OUTCOMES, ""]
    for i in range(n):
        provider = providers[i % 3] or junk(rng)
        m(TaskDetected(str(i), junk(rng), (junk(rng),)))
        m(StreamStarted(str(i), provider))
        m(Retried(str(i), provider, junk(rng), 1, 0.1))
        m(FellBack(str(i), junk(rng), provider, junk(rng), junk(rng)))
        m(BreakerChanged(provider, "closed", "open" if i % 2 else junk(rng)))  # type: ignore[arg-type]
        m(StreamStopped(str(i), provider))
        m(
            StreamEnded(
                record(
                    request_id=junk(rng),
                    provider=provider,
                    model=junk(rng),
                    task=junk(rng),
                    outcome=outcomes[i % 5] or junk(rng),
                    error_message=junk(rng),
                    usage=Usage(rng.randint(1, 999), rng.randint(1, 999)),
                )
            )
        )


def label_values(reg: CollectorRegistry) -> dict[str, set[str]]:
    """Every value each label name takes in ``reg``'s llm_router series."""
    values: dict[str, set[str]] = {}
    for _, labels in llm_series(reg):
        for k, v in labels:
            values.setdefault(k, set()).add(v)
    return values


def test_series_stop_growing_with_declared_labels() -> None:
    """1,000 requests with random models, tasks and reasons add no series after the first few."""
    reg = CollectorRegistry()
    m = Metrics(
        reg,
        providers=("a", "b"),
        models={"a": ("m-a", "m-a-mini"), "b": "m-b"},
        prices={"a": Price(1.0, 2.0), "b": Price(1.0, 2.0)},
    )
    rng = random.Random(7)
    drive(m, rng, 60)
    first = llm_series(reg)
    drive(m, rng, 1000)
    assert llm_series(reg) == first
    values = label_values(reg)
    assert values["provider"] == {"a", "b", "other"}
    assert values["model"] == {"m-b", "other"}  # b has one declared model, a two
    assert values["task"] == {"other"}
    assert values["outcome"] == {*OUTCOMES, "other"}
    assert values["reason"] == {"other"}
    assert values["to_state"] == {"open", "other"}


def test_series_are_capped_when_nothing_is_declared() -> None:
    """A hand-built Metrics() admits a bounded number of names, then maps to 'other'."""
    labels = LabelSets(tasks=TASK_NAMES)
    rng = random.Random(3)
    providers = {labels.provider(junk(rng)) for _ in range(1000)}
    assert len(providers) == DEFAULT_LEARNED_PROVIDERS + 1
    models = {labels.model("a", junk(rng)) for _ in range(1000)}
    assert len(models) == DEFAULT_LEARNED_MODELS + 1
    reg = CollectorRegistry()
    m = Metrics(reg)
    drive(m, rng, 1000)
    before = len(llm_series(reg))
    drive(m, rng, 1000)
    assert len(llm_series(reg)) == before


def test_declared_models_are_closed() -> None:
    """With models declared, an undeclared model of a multi-model deployment is 'other'."""
    labels = LabelSets(providers=("a", "b"), models={"a": ("x", "y")}, tasks=TASK_NAMES)
    assert labels.model("a", "x") == "x"
    assert labels.model("a", "z") == "other"
    assert labels.model("b", "anything") == "other"
    assert labels.provider("c") == "other"
