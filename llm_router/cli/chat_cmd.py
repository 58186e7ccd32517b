"""``llm-router chat``: stream answers through a policy's router to the terminal.

With a PROMPT (or a prompt piped on stdin) it answers once: the answer goes to stdout
as it streams; retries and fallbacks are narrated on stderr as they happen, and a
final stats line (provider, model, task, route, time to first token, tokens/s,
fallbacks) follows on stderr, so ``> answer.txt`` keeps only the answer. Without a
PROMPT on a terminal it is a conversation (:mod:`._chat_repl`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llm_router._aio import closing
from llm_router.cli._chat_repl import Session, run_session
from llm_router.cli.explain_cmd import make_request
from llm_router.errors import LLMRouterError
from llm_router.layers.routing import Router
from llm_router.observe import Event, FellBack, Retried, StreamEnded, StreamRecord
from llm_router.observe.logs import configure_logging
from llm_router.policy.build import assemble_policy
from llm_router.policy.paths import demo_policy_path
from llm_router.policy.validate import load_policy

_EPILOG = """\
Without PROMPT on a terminal, chat is a conversation: each message is sent with the
ones before it; Ctrl-C cancels the answer being streamed (not the session), Ctrl-D or
/exit ends it, /reset forgets the conversation.

examples:
  llm-router chat
  llm-router chat "Write a haiku about retries"
  llm-router chat --model code "Why does this loop never end?"
  llm-router chat --policy policies/openai-anthropic.yaml --task summarization "..."
"""


def add_parser(sub: Any) -> None:
    """Register the ``chat`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "chat",
        help="stream one answer to the terminal, with a stats line",
        description="Send PROMPT through the policy's router and stream the answer.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (default: the packaged demo policy)"
    )
    p.add_argument("--system", metavar="TEXT", help="a system message")
    p.add_argument("--task", metavar="TASK", help="explicit task hint (skips detection)")
    p.add_argument("--model", metavar="MODEL", help="route, task or provider name, or 'auto'")
    p.add_argument(
        "prompt",
        metavar="PROMPT",
        nargs="?",
        help="the user message (default: a conversation on a terminal, else stdin)",
    )
    p.set_defaults(func=run)


class ChatHook:
    """A hook that narrates retries and fallbacks on stderr and keeps the final record."""

    def __init__(self) -> None:
        self.record: StreamRecord | None = None

    def __call__(self, event: Event) -> None:
        """Say that a provider will be tried again or that routing moved on; keep the
        record for the stats line."""
        match event:
            case Retried(provider=provider, reason=reason, attempt=attempt, wait_s=wait_s):
                _note(f"retry: {provider} ({reason}), attempt {attempt + 1} in {wait_s:.2f}s")
            case FellBack(from_provider=old, to_provider=new, reason=reason):
                _note(f"fallback: {old} → {new} ({reason})")
            case StreamEnded(record=record):
                self.record = record


def _note(text: str) -> None:
    print(f"[{text}]", file=sys.stderr, flush=True)


def stats_line(record: StreamRecord) -> str:
    """``[provider=… model=… task=… route=… ttft=…s tokens/s=… fallbacks=…]``."""
    parts: Sequence[tuple[str, object]] = [
        ("provider", record.provider),
        ("model", record.model),
        ("task", record.task),
        ("route", record.route),
        ("ttft", "-" if record.ttft_s is None else f"{record.ttft_s:.3f}s"),
    ]
    tokens = record.usage.output_tokens if record.usage is not None else record.chunks
    streaming = record.duration_s - (record.ttft_s or 0.0)
    rate = f"{tokens / streaming:.1f}" if streaming > 0 and tokens else "-"
    parts = [*parts, ("tokens/s", rate), ("fallbacks", record.fallbacks)]
    if record.outcome != "success":
        parts = [*parts, ("outcome", record.outcome)]
    return "[" + " ".join(f"{k}={v}" for k, v in parts) + "]"


async def _chat(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy or demo_policy_path())
    hook = ChatHook()
    router = assemble_policy(policy, hook=hook).router
    ended_line = True
    try:
        async with closing(router.stream_complete(make_request(args))) as stream:
            async for chunk in stream:
                if chunk.text:
                    sys.stdout.write(chunk.text)
                    sys.stdout.flush()
                    ended_line = chunk.text.endswith("\n")
    except LLMRouterError:
        if not ended_line:
            print(flush=True)
        if hook.record is not None:
            _note(stats_line(hook.record)[1:-1])
        raise
    finally:
        await router.aclose()
    if not ended_line:
        print(flush=True)
    if hook.record is not None:
        print(stats_line(hook.record), file=sys.stderr, flush=True)
    return 0


async def _router(args: argparse.Namespace, hook: ChatHook) -> tuple[Router, str]:
    policy = load_policy(args.policy or demo_policy_path())
    return assemble_policy(policy, hook=hook).router, Path(policy.file).name


def _conversation(args: argparse.Namespace) -> int:
    """The interactive session: one event loop and one router for every turn."""
    hook = ChatHook()
    with asyncio.Runner() as runner:
        router, name = runner.run(_router(args, hook))
        try:
            return run_session(runner, Session(router, hook, args), stats_line, name)
        finally:
            runner.run(router.aclose())


def run(args: argparse.Namespace) -> int:
    """Answer once, or hold a conversation (see the module doc); errors of a one-shot
    answer propagate to ``llm-router``'s one-line handler."""
    configure_logging(json=False, level="warning")
    if args.prompt is None:
        if sys.stdin.isatty():
            return _conversation(args)
        args.prompt = sys.stdin.read().strip()
        if not args.prompt:
            raise ValueError("no prompt: give PROMPT, pipe one on stdin, or run on a terminal")
    return asyncio.run(_chat(args))
