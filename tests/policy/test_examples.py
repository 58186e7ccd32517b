"""The shipped policies: each loads, builds a Router, and validates against the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from llm_router.layers.routing import Router
from llm_router.policy import assemble_policy, demo_policy_path, load_policy, schema
from llm_router.policy.validate import check_text

ROOT = Path(__file__).resolve().parents[2]
POLICIES = sorted((ROOT / "policies").glob("*.yaml"))
DUMMY_ENV = {
    name: "dummy-value"
    for name in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY_WEST",
        "OPENROUTER_API_KEY",
        "GATEWAY_API_KEY",
        "GATEWAY_API_KEY_NEXT",
    )
}


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def test_the_expected_examples_are_shipped() -> None:
    """policies/ holds the demo and the documented examples for real deployments."""
    assert {p.name for p in POLICIES} == {
        "demo.yaml",
        "openai-anthropic.yaml",
        "azure-openai.yaml",
        "ollama-local-with-cloud-fallback.yaml",
        "openrouter.yaml",
        "openai-compatible-vllm.yaml",
        "redis-multi-replica.yaml",
    }


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in POLICIES])
def test_example_loads(path: Path) -> None:
    """Every example policy loads without issues (with dummy env vars)."""
    policy = load_policy(path, env=DUMMY_ENV)
    assert "default" in policy.routes
    assert policy.providers


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in POLICIES])
async def test_example_builds_a_router(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example policy builds a Router (no network: nothing is called)."""
    for name, value in DUMMY_ENV.items():
        monkeypatch.setenv(name, value)
    policy = load_policy(path, env=DUMMY_ENV)
    shared = _NoShared() if policy.breaker_storage.kind == "redis" else None
    router = assemble_policy(policy, shared=shared).router
    assert isinstance(router, Router)
    assert set(router.routes) == set(policy.routes)
    await router.aclose()


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in POLICIES])
def test_example_validates_against_the_schema(path: Path) -> None:
    """Every example policy is valid under the JSON Schema (as an editor sees it)."""
    data = yaml.safe_load(path.read_text())
    errors = [e.message for e in _validator().iter_errors(data)]
    assert errors == []


def test_schema_is_valid_draft_2020_12() -> None:
    """The exported schema is itself a valid draft 2020-12 schema."""
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_schema_file_is_current() -> None:
    """policies/policy.schema.json (referenced by the examples) equals `schema()`."""
    shipped = json.loads((ROOT / "policies" / "policy.schema.json").read_text())
    assert shipped == schema()


def test_packaged_demo_policy_is_the_shipped_one() -> None:
    """The demo policy inside the package has the same content as policies/demo.yaml."""
    assert demo_policy_path().read_text() == (ROOT / "policies" / "demo.yaml").read_text()


AGREEMENT = [
    pytest.param("providers: {x: {type: nope, model: m}}\nroutes: {default: [x]}\n", id="type"),
    pytest.param(
        "providers: {x: {type: scripted, colour: red}}\nroutes: {default: [x]}\n", id="key"
    ),
    pytest.param(
        "providers: {x: {type: scripted, timeouts: {idle: 0}}}\nroutes: {default: [x]}\n",
        id="bound",
    ),
    pytest.param("providers: {x: {type: openai}}\nroutes: {default: [x]}\n", id="required"),
    pytest.param("providers: {X: {type: scripted}}\nroutes: {default: [X]}\n", id="name"),
    pytest.param("providers: {x: {type: scripted}}\nroutes: {default: []}\n", id="empty-route"),
    pytest.param(
        "providers: {x: {type: openai, model: m, text: hi}}\nroutes: {default: [x]}\n",
        id="variant",
    ),
    pytest.param(
        "providers: {x: {type: scripted}}\nroutes: {default: [x]}\nserver: {port: -1}\n", id="port"
    ),
]


@pytest.mark.parametrize("text", AGREEMENT)
def test_schema_and_loader_agree_on_broken_policies(text: str) -> None:
    """What the loader rejects structurally, the JSON Schema rejects too."""
    assert check_text(text, file="p.yaml", env={}).issues
    assert list(_validator().iter_errors(yaml.safe_load(text)))


def test_schema_and_loader_agree_on_a_valid_policy() -> None:
    """A minimal valid policy passes both."""
    text = "providers: {x: {type: scripted}}\nroutes: {default: [x]}\n"
    assert check_text(text, file="p.yaml", env={}).issues == []
    assert list(_validator().iter_errors(yaml.safe_load(text))) == []


class _NoShared:
    """A shared breaker state that shares nothing (no Redis in these tests)."""

    def attach(self, breaker: Any) -> None:
        """Ignore."""

    def detach(self, breaker: Any) -> None:
        """Ignore."""

    def publish(self, deployment: str, state: Any, retry_in: float | None) -> None:
        """Ignore."""
