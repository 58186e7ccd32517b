"""``llm-router schema``: print the JSON Schema of policy files (for editors)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from llm_router.policy.schema import schema

_EPILOG = """\
examples:
  llm-router schema > llm-router-policy.schema.json
  # then, first line of a policy file, for the YAML language server:
  # yaml-language-server: $schema=./llm-router-policy.schema.json
"""


def add_parser(sub: Any) -> None:
    """Register the ``schema`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "schema",
        help="print the JSON Schema of policy files",
        description="Print the JSON Schema (draft 2020-12) of llm_router policy files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema as indented JSON."""
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
