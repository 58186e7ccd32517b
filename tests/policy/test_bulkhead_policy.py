"""Bulkhead settings in a policy: validation with lines, the schema, the built stack
and what a reload keeps."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.bulkhead import Bulkhead
from llm_router.policy import assemble_policy, parse_policy, schema
from llm_router.policy.validate import check_text

POLICY = """\
providers:
  a:
    type: scripted
    max_concurrency: 2
    max_waiting: 0
    wait_timeout: 1.5
  b:
    type: scripted
routes:
  default: [a, {provider: a, model: big}, b]
"""


def test_settings_reach_the_provider_spec_and_one_shared_bulkhead() -> None:
    """max_concurrency, max_waiting and wait_timeout build one Slots per provider,
    shared by its deployments, outside the breaker; b has no bulkhead."""
    policy = parse_policy(POLICY, env={})
    spec = policy.providers["a"]
    assert (spec.max_concurrency, spec.max_waiting, spec.wait_timeout) == (2, 0, 1.5)
    assert policy.providers["b"].max_concurrency is None
    router = assemble_policy(policy).router
    plain, big, other = router.routes["default"].candidates
    assert isinstance(plain.provider, Bulkhead) and isinstance(big.provider, Bulkhead)
    assert plain.provider.slots is big.provider.slots
    slots = plain.provider.slots
    assert (slots.max_concurrency, slots.max_waiting, slots.wait_timeout) == (2, 0, 1.5)
    assert isinstance(plain.provider.inner, CircuitBreaker)
    assert plain.breaker is plain.provider.inner and plain.bulkhead is plain.provider
    assert isinstance(other.provider, CircuitBreaker) and other.bulkhead is None
    single = router.status()["deployments"]["a"]
    assert single["breaker"] == "closed" and single["slots"]["max_concurrency"] == 2


def test_max_waiting_defaults_to_max_concurrency() -> None:
    """Without max_waiting the queue holds max_concurrency streams; no wait_timeout."""
    text = "providers:\n  a: {type: scripted, max_concurrency: 3}\nroutes:\n  default: [a]\n"
    router = assemble_policy(parse_policy(text, env={})).router
    provider = router.routes["default"].candidates[0].provider
    assert isinstance(provider, Bulkhead)
    assert (provider.max_waiting, provider.slots.wait_timeout) == (3, None)


BROKEN = [
    pytest.param(
        POLICY.replace("max_waiting: 0", "max_waiting: -1"),
        5,
        "providers.a.max_waiting: must be >= 0, got -1",
        id="negative-queue",
    ),
    pytest.param(
        POLICY.replace("max_waiting: 0", "max_waiting: 1.5"),
        5,
        "providers.a.max_waiting: expected an integer, got 1.5",
        id="fractional-queue",
    ),
    pytest.param(
        POLICY.replace("wait_timeout: 1.5", "wait_timeout: 0"),
        6,
        "providers.a.wait_timeout: must be > 0, got 0",
        id="zero-wait",
    ),
    pytest.param(
        POLICY.replace("max_concurrency: 2", "max_concurrency: 0"),
        4,
        "providers.a.max_concurrency: must be >= 1, got 0",
        id="zero-slots",
    ),
    pytest.param(
        POLICY.replace("    max_concurrency: 2\n", "").replace("    wait_timeout: 1.5\n", ""),
        4,
        "providers.a.max_waiting: 'max_waiting' only applies with 'max_concurrency'",
        id="queue-without-limit",
    ),
    pytest.param(
        POLICY.replace("    max_concurrency: 2\n    max_waiting: 0\n", ""),
        4,
        "providers.a.wait_timeout: 'wait_timeout' only applies with 'max_concurrency'",
        id="wait-without-limit",
    ),
    pytest.param(
        POLICY.replace("max_waiting: 0", "max_wating: 0"),
        5,
        "unknown key 'max_wating' (did you mean 'max_waiting'?)",
        id="typo",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_invalid_settings_are_reported_with_their_line(text: str, line: int, message: str) -> None:
    """Each mistake is one issue with its path and line; the JSON Schema rejects it too."""
    issues = check_text(text, file="p.yaml", env={}).issues
    assert [(i.line, message in str(i)) for i in issues] == [(line, True)], issues
    assert str(issues[0]).startswith(f"p.yaml:{line}:")
    assert list(jsonschema.Draft202012Validator(schema()).iter_errors(yaml.safe_load(text)))


def test_schema_accepts_the_settings() -> None:
    """The valid policy passes the JSON Schema, which declares the dependency."""
    validator = jsonschema.Draft202012Validator(schema())
    assert list(validator.iter_errors(yaml.safe_load(POLICY))) == []
    provider = schema()["properties"]["providers"]["additionalProperties"]
    assert provider["dependentRequired"] == {
        "max_waiting": ["max_concurrency"],
        "wait_timeout": ["max_concurrency"],
    }


def test_reload_keeps_the_slots_of_an_unchanged_provider() -> None:
    """On reload an unchanged provider keeps its Slots (streams in flight still count),
    a new deployment of it shares them, and changed limits get new ones."""
    first = assemble_policy(parse_policy(POLICY, env={}))
    kept_slots = first.router.routes["default"].candidates[0].bulkhead
    more_routes = POLICY + "  code: [{provider: a, model: small}]\n"
    second = assemble_policy(parse_policy(more_routes, env={}), previous=first)
    small = second.router.routes["code"].candidates[0]
    assert isinstance(small.provider, Bulkhead) and isinstance(kept_slots, Bulkhead)
    assert second.router.routes["default"].candidates[0].provider is kept_slots
    assert small.provider.slots is kept_slots.slots
    assert second.bulkheads == {"a": kept_slots.slots}
    changed = POLICY.replace("max_concurrency: 2", "max_concurrency: 5")
    third = assemble_policy(parse_policy(changed, env={}), previous=second)
    fresh = third.router.routes["default"].candidates[0].provider
    assert isinstance(fresh, Bulkhead) and fresh.slots is not kept_slots.slots
    assert fresh.max_concurrency == 5
