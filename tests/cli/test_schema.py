"""``llm-router schema`` as a subprocess."""

from __future__ import annotations

import json

import jsonschema

from llm_router.policy import schema
from tests.cli._run import llm_router


def test_schema_prints_the_json_schema() -> None:
    """The command prints the draft 2020-12 schema as JSON and exits 0."""
    result = llm_router("schema")
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed == schema()
    jsonschema.Draft202012Validator.check_schema(printed)
