"""Entry point of ``llm-router``: one sub-command per module of :mod:`llm_router.cli`.

Each command module exposes ``add_parser(subparsers)`` (registering its parser and
setting ``func`` to its ``run(args) -> int``). Errors are one clear line and exit
status 1; ``--debug`` (before or after the command) shows the traceback. A closed
pipe (``llm-router explain … | head``) ends quietly with status 141, like SIGPIPE.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from llm_router.errors import LLMRouterError

COMMANDS: tuple[str, ...] = (
    "demo",
    "serve",
    "chat",
    "explain",
    "validate",
    "schema",
    "eval_tasks",
)
"""Command modules, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="llm-router",
        description="Resilient routing for streaming LLM calls.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"llm-router {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"llm_router.cli.{name}_cmd")
        module.add_parser(sub)
    for command in sub.choices.values():  # global flags are accepted after the command too
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _version() -> str:
    try:
        return metadata.version("llm_router")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `llm-router explain … | head`: the reader left, fine
        _silence_stdout()
        return 141
    except (LLMRouterError, OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"llm-router: error: {exc}", file=sys.stderr)
        return 1
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush raises nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
