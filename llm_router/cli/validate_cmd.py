"""``llm-router validate FILE…``: check policy files, reporting every problem."""

from __future__ import annotations

import argparse
from typing import Any

from llm_router.errors import PolicyError
from llm_router.policy.env import AllowMissing
from llm_router.policy.validate import load_policy

_EPILOG = """\
Each problem is printed on one line as FILE:LINE: PATH: MESSAGE, for example
  policies/prod.yaml:31: routes.code[1]: unknown provider 'claud' (did you mean 'claude'?)
Valid files print "OK FILE". The exit status is 1 if any file has a problem.
${VAR} references are resolved from the environment, so set them (dummy values
will do) when validating in CI, or pass --allow-missing-env: unset variables then
get a placeholder and are listed, and only the rest of the policy is checked.

examples:
  llm-router validate policies/prod.yaml
  llm-router validate policies/*.yaml
  llm-router validate --allow-missing-env policies/openai-anthropic.yaml
"""


def add_parser(sub: Any) -> None:
    """Register the ``validate`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "validate",
        help="check policy files and report every problem",
        description="Validate policy files: YAML, types, references, env variables.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="policy files to check")
    p.add_argument(
        "--allow-missing-env",
        action="store_true",
        help="unset ${VAR} references are not errors (listed instead)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate each file; 0 if all are valid, 1 otherwise."""
    status = 0
    for file in args.files:
        env = AllowMissing() if args.allow_missing_env else None
        try:
            load_policy(file, env=env)
        except PolicyError as exc:
            status = 1
            for issue in exc.issues:
                print(issue)
            count = len(exc.issues)
            print(f"FAILED {file}: {count} problem{'s' if count != 1 else ''}")
        else:
            unset = f" (unset: {', '.join(env.missing)})" if env is not None and env.missing else ""
            print(f"OK {file}{unset}")
    return status
