"""``llm-router serve``: the OpenAI-compatible gateway (docs/DESIGN.md §7).

``llm-router serve --policy policies/prod.yaml [--host H] [--port P] [--workers N]``
serves until SIGTERM or Ctrl-C, then drains: ``/readyz`` answers 503 ``draining``
while streams in flight finish, for up to ``server.shutdown_grace`` seconds; ``kill
-HUP`` reloads the policy file. Without ``--policy`` it serves the demo policy
(scripted providers, no keys). ``--port 0`` picks a free port; the
``gateway.started`` log event says which. ``--workers N`` (default: one per core)
runs N processes on the port (:mod:`llm_router.gateway.workers`); ``--workers 1``
serves from this process alone.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from llm_router.gateway.server import serve
from llm_router.gateway.workers import default_workers, serve_workers
from llm_router.observe.logs import configure_logging
from llm_router.policy import demo_policy_path, load_policy

_EPILOG = """\
examples:
  llm-router serve                          # the demo policy: no keys, no network
  llm-router serve --policy policies/openai-anthropic.yaml --port 8080
  llm-router serve --policy prod.yaml --host 0.0.0.0 --log-json
  llm-router serve --policy prod.yaml --workers 4   # 4 processes on one port
  curl -N localhost:8080/v1/chat/completions -H 'content-type: application/json' \\
      -d '{"model": "auto", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
"""


def add_parser(sub: Any) -> None:
    """Register the ``serve`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the OpenAI-compatible gateway on a policy",
        description="Serve /v1/chat/completions (OpenAI) and /v1/messages (Anthropic) "
        "through the policy's router, until SIGTERM or Ctrl-C (then drain); SIGHUP "
        "reloads the policy.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--policy", help="policy file (default: the demo policy)")
    p.add_argument("--host", help="address to listen on (default: the policy's server.host)")
    p.add_argument("--port", type=int, help="port (default: the policy's server.port; 0: any)")
    p.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help=f"processes serving the port (default: one per core, {default_workers()} here; "
        "1: this process alone). Breakers are per process unless the policy shares them "
        "through Redis",
    )
    p.add_argument(
        "--log-json",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="JSON log lines (default: the policy's logging.json, else JSON unless a terminal)",
    )
    p.set_defaults(func=run)


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    """Serve until stopped."""
    policy = load_policy(args.policy or demo_policy_path())
    json = policy.logging.json if args.log_json is None else args.log_json
    configure_logging(
        json=json, level=policy.logging.level, include_content=policy.logging.include_content
    )
    workers = default_workers() if args.workers is None else args.workers
    if workers == 1:
        asyncio.run(serve(policy, host=args.host, port=args.port))
        return 0
    return asyncio.run(
        serve_workers(
            policy.file,
            workers=workers,
            host=policy.server.host if args.host is None else args.host,
            port=policy.server.port if args.port is None else args.port,
            log_json=args.log_json,
            shutdown_grace=policy.server.shutdown_grace,
        )
    )
