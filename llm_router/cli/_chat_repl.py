"""``llm-router chat`` on a terminal: a conversation, not a single answer.

One router (and one event loop, so breakers and connections carry over) serves the
whole session. Each answer streams to stdout and is followed by the stats line on
stderr; the conversation so far is sent with every new message. Ctrl-C while an
answer streams cancels that answer (the upstream stream is closed) and keeps the
session; what was shown of it stays in the conversation. Ctrl-C at the prompt clears
the line; Ctrl-D or ``/exit`` ends the session. ``/reset`` forgets the conversation,
``/history`` shows it, ``/help`` lists the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from llm_router._aio import closing
from llm_router.errors import LLMRouterError, StreamInterrupted
from llm_router.layers.routing import Router
from llm_router.types import ChatRequest

HELP = "commands: /reset (forget the conversation), /history, /help, /exit (or Ctrl-D)"
PROMPT = "you> "


class Session:
    """The conversation of one interactive ``chat`` (see the module doc)."""

    def __init__(self, router: Router, hook: Any, args: argparse.Namespace) -> None:
        self.router = router
        self.hook = hook
        self.args = args
        self.system = args.system
        self.turns: list[dict[str, str]] = []

    def request(self) -> ChatRequest:
        """The conversation so far as one request."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return ChatRequest(
            messages=[*head, *self.turns], model=self.args.model, task=self.args.task
        )

    async def answer(self, shown: list[str]) -> None:
        """Stream the answer to the conversation; ``shown`` collects the text printed."""
        async with closing(self.router.stream_complete(self.request())) as stream:
            async for chunk in stream:
                if chunk.text:
                    shown.append(chunk.text)
                    sys.stdout.write(chunk.text)
                    sys.stdout.flush()

    def command(self, line: str) -> bool:
        """Run a ``/command``; False ends the session."""
        name = line.split()[0].lower()
        if name in ("/exit", "/quit"):
            return False
        if name == "/reset":
            self.turns.clear()
            _say("conversation cleared")
        elif name == "/history":
            for turn in self.turns:
                text = " ".join(turn["content"].split())
                _say(f"{turn['role']}: {text[:70] + '…' if len(text) > 70 else text}")
            if not self.turns:
                _say("no messages yet")
        else:
            _say(HELP)
        return True


def _say(text: str) -> None:
    print(f"[{text}]", file=sys.stderr, flush=True)


def run_session(runner: asyncio.Runner, session: Session, stats: Any, policy_name: str) -> int:
    """Read messages until Ctrl-D or ``/exit``; returns the exit status (0)."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    _say(f"chat on {policy_name}: Ctrl-C stops an answer, Ctrl-D ends, /help lists commands")
    while True:
        try:
            line = input(PROMPT).strip()
        except EOFError:
            print(file=sys.stderr)
            return 0
        except KeyboardInterrupt:  # at the prompt: a fresh line, the session goes on
            print(file=sys.stderr)
            continue
        if not line:
            continue
        if line.startswith("/"):
            if not session.command(line):
                return 0
            continue
        session.turns.append({"role": "user", "content": line})
        shown: list[str] = []
        session.hook.record = None
        try:
            runner.run(session.answer(shown))
        except KeyboardInterrupt:  # asyncio.Runner cancelled the answer: stream closed
            _end_line(shown)
            _say("answer cancelled")
        except StreamInterrupted as exc:
            _end_line(shown)
            _say(f"error: {exc}")
        except LLMRouterError as exc:
            _end_line(shown)
            _say(f"error: {exc}")
            session.turns.pop()  # nothing was answered: the message can be sent again
            continue
        else:
            _end_line(shown)
            if session.hook.record is not None:
                print(stats(session.hook.record), file=sys.stderr, flush=True)
        if shown:
            session.turns.append({"role": "assistant", "content": "".join(shown)})
        else:
            session.turns.pop()


def _end_line(shown: list[str]) -> None:
    if shown and not shown[-1].endswith("\n"):
        print(flush=True)
