"""``llm-router explain``: where a prompt would be routed, and why — without calling
anything.

Every provider of the policy is replaced by an inert stand-in before the router is
built, so no API key is read, no connection is opened, and nothing secret can be
printed: the output holds policy names, breaker states and detector signals only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from llm_router.layers.routing import Router
from llm_router.policy.build import assemble_policy, deployments
from llm_router.policy.env import AllowMissing
from llm_router.policy.model import BreakerStorageSpec, Policy
from llm_router.policy.paths import demo_policy_path
from llm_router.policy.validate import load_policy
from llm_router.providers.scripted import ScriptedProvider
from llm_router.types import ChatRequest, Provider

_EPILOG = """\
The explanation shows the detected task (with the detector's score and the signals
that fired), the route, and each candidate's breaker state, its open period (how long
it stays open when it opens: short at first, doubled per failed trial) and role:
chosen, fallback #n, or skipped (circuit open). No provider is called.

Variables the policy reads must be set, as for serving; --allow-missing-env puts
placeholders in for unset ones (nothing is called, so no key is needed).

examples:
  llm-router explain --prompt "Fix this Python traceback: ..."
  llm-router explain --policy policies/openai-anthropic.yaml --allow-missing-env \
      --prompt "Summarize this"
  llm-router explain --prompt "hi" --model fast --json
"""


def add_parser(sub: Any) -> None:
    """Register the ``explain`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "explain",
        help="show how a prompt would be routed (calls no provider)",
        description="Show the task, route and candidates a prompt would get.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (default: the packaged demo policy)"
    )
    p.add_argument("--prompt", required=True, metavar="TEXT", help="the user message")
    p.add_argument("--system", metavar="TEXT", help="a system message")
    p.add_argument("--task", metavar="TASK", help="explicit task hint (skips detection)")
    p.add_argument("--model", metavar="MODEL", help="route, task or provider name, or 'auto'")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument(
        "--allow-missing-env",
        action="store_true",
        help="placeholders for unset ${VAR} references (listed on stderr)",
    )
    p.set_defaults(func=run)


def make_request(args: argparse.Namespace) -> ChatRequest:
    """The request that ``--prompt``, ``--system``, ``--task`` and ``--model`` describe."""
    messages = [{"role": "system", "content": args.system}] if args.system else []
    messages.append({"role": "user", "content": args.prompt})
    return ChatRequest(messages=messages, model=args.model, task=args.task)


def inert_router(policy: Policy) -> Router:
    """A router for ``policy`` whose providers are stand-ins that are never called.

    Breaker state is this process's own (``memory``): explain never connects to Redis.
    """
    stand_ins: dict[str, Provider] = {
        name: ScriptedProvider(name=name, model=spec.model)
        for name, spec in policy.providers.items()
    }
    local = dataclasses.replace(policy, breaker_storage=BreakerStorageSpec())
    return assemble_policy(local, providers=stand_ins).router


def run(args: argparse.Namespace) -> int:
    """Print the explanation (human-readable or JSON)."""
    env = AllowMissing() if args.allow_missing_env else None
    policy = load_policy(args.policy or demo_policy_path(), env=env)
    if env is not None and env.missing:
        print(f"note: unset, replaced by placeholders: {', '.join(env.missing)}", file=sys.stderr)
    explanation = inert_router(policy).explain(make_request(args)).to_dict()
    models = {dep: model for dep, _spec, model in deployments(policy)}
    for cand in explanation["candidates"]:
        cand["model"] = cand["model"] or models.get(cand["deployment"])
    if args.json:
        print(json.dumps(explanation, indent=2))
        return 0
    score = explanation["score"]
    detail = "not detected" if score is None else f"score {score:.2f}"
    signals = ", ".join(explanation["signals"]) or "none"
    print(f"task:    {explanation['task']} ({detail}; signals: {signals})")
    print(f"route:   {explanation['route']}")
    print(f"rescue:  {explanation['rescue']}")
    print("candidates:")
    width = max(len(c["deployment"]) for c in explanation["candidates"])
    for i, cand in enumerate(explanation["candidates"], 1):
        period = cand.get("open_period_s")
        breaker = cand["breaker"] or "none"
        if period is not None:  # the adaptive open period (docs/DESIGN.md §4.1)
            breaker += f" (open period {period:g} s)"
        print(
            f"  {i}. {cand['deployment']:<{width}}  model={cand['model']}  "
            f"breaker={breaker}  prefill={'yes' if cand['prefill'] else 'no'}"
            f"  → {cand['would_be']}"
        )
    return 0
