"""``llm-router chat`` as a conversation, in a real terminal (tmux)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._run import ROOT

SLOW_POLICY = """\
version: 1
providers:
  slow:
    type: scripted
    model: slow-1
    text: "one two three four five six seven eight nine ten eleven twelve thirteen"
    chunk_delay: 0.25
routes:
  default: [slow]
"""


class Terminal:
    """A tmux session on a private server socket (killed at the end)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed ({out.returncode}): {out.stderr}")
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "chat")

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 20.0) -> str:
        """Poll the screen until ``text`` appears ``count`` times (a condition, not a nap)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen:\n{screen}")
            time.sleep(0.05)

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "chat", *keys)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """A terminal running ``llm-router chat`` on a slow scripted policy."""
    assert shutil.which("tmux"), "tmux is required (apt-get install tmux; .ci/run installs it)"
    policy = tmp_path / "slow.yaml"
    policy.write_text(SLOW_POLICY)
    command = " ".join(
        shlex.quote(a)
        for a in [sys.executable, "-m", "llm_router.cli.main", "chat", "--policy", str(policy)]
    )
    # A server of its own per test: reusing one name right after kill-server can meet
    # the old server still exiting ("duplicate session" / "server exited unexpectedly").
    term = Terminal(f"llm-router-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    term.tmux(
        "new-session", "-d", "-s", "chat", "-x", "160", "-y", "50", "-c", str(ROOT),
        f"{command}; echo EXIT=$?; sleep 30",
    )  # fmt: skip
    try:
        yield term
    finally:
        subprocess.run(["tmux", "-L", term.socket, "kill-server"], check=False)


def test_conversation_cancel_and_history(terminal: Terminal) -> None:
    """Streamed answers, Ctrl-C cancels the answer (not the session), the conversation
    is kept (the partial answer too), /exit ends with status 0."""
    terminal.wait_for("you> ")
    terminal.send("Count for me", "Enter")
    terminal.wait_for("one two ")
    terminal.send("C-c")
    screen = terminal.wait_for("[answer cancelled]")
    assert "thirteen" not in screen
    terminal.wait_for("you> ", count=2)
    terminal.send("/history", "Enter")
    screen = terminal.wait_for("[assistant: one two")
    assert "[user: Count for me]" in screen
    terminal.send("And again", "Enter")
    terminal.wait_for("you> And again")
    terminal.wait_for("one two", count=3)
    terminal.send("C-c")
    terminal.wait_for("[answer cancelled]", count=2)
    terminal.send("/exit", "Enter")
    terminal.wait_for("EXIT=0")


def test_ctrl_c_at_the_prompt_and_ctrl_d(terminal: Terminal) -> None:
    """Ctrl-C at the prompt gives a fresh prompt; Ctrl-D ends the session."""
    terminal.wait_for("you> ")
    terminal.send("half typed", "C-c")
    terminal.wait_for("you> ", count=2)
    terminal.send("C-d")
    terminal.wait_for("EXIT=0")


def test_prompt_from_a_pipe_answers_once() -> None:
    """Not a terminal and no PROMPT: the prompt is read from stdin, answered once."""
    result = subprocess.run(
        [sys.executable, "-m", "llm_router.cli.main", "chat", "--model", "fast"],
        input="Say hello\n", capture_output=True, text=True, cwd=ROOT, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Hello! This answer comes from the fast provider")
    empty = subprocess.run(  # stdin is not a terminal and holds nothing
        [sys.executable, "-m", "llm_router.cli.main", "chat"],
        input="", capture_output=True, text=True, cwd=ROOT, timeout=30, check=False,
    )  # fmt: skip
    assert empty.returncode == 1 and "no prompt" in empty.stderr
