"""Entry point of ``llm-router``: one sub-command per module of :mod:`llm_router.cli`.

Each command module exposes ``add_parser(subparsers)`` (registering its parser and
setting ``func`` to its ``run(args) -> int``). Errors are one clear line and exit
status 1; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from llm_router.errors import LLMRouterError

COMMANDS: tuple[str, ...] = ("demo", "serve", "chat", "explain", "validate", "schema")
"""Command modules, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="llm-router",
        description="Resilient routing for streaming LLM calls.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"llm_router.cli.{name}_cmd")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except (LLMRouterError, OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"llm-router: error: {exc}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
