"""The command line's first-hour paper cuts (issue 16), each run as a real subprocess."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys

import pytest

from llm_router.cli.main import COMMANDS
from tests.cli._run import ROOT, llm_router


def test_version() -> None:
    """``llm-router --version`` prints the installed version."""
    result = llm_router("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"llm-router \d+\.\d+\.\d+\S*\n", result.stdout)


def test_global_flags_after_the_command() -> None:
    """``--debug`` works after the sub-command too: the traceback instead of one line."""
    args = ("explain", "--policy", "no-such-policy.yaml", "--prompt", "hi")
    plain = llm_router(*args)
    debug = llm_router(*args, "--debug")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.startswith("llm-router: error:")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert llm_router("validate", "--debug", "policies/demo.yaml").returncode == 0


def test_a_closed_pipe_is_not_an_error() -> None:
    """``llm-router explain … | head``: the reader left before the output; no
    "[Errno 32] Broken pipe", exit status 141 like SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before anything is written
    try:
        result = subprocess.run(
            [sys.executable, "-m", "llm_router.cli.main", "explain", "--prompt", "hi"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=30,
            check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""


@pytest.mark.parametrize("command", [c.replace("_", "-") for c in COMMANDS])
def test_every_command_help_has_examples(command: str) -> None:
    """The README promises an example in every command's --help."""
    result = llm_router(command, "--help")
    assert result.returncode == 0
    assert "\nexamples:\n" in result.stdout


def _examples(command: str) -> list[list[str]]:
    """The ``llm-router <command> …`` example lines of a command's help (continuations
    joined)."""
    text = llm_router(command, "--help").stdout.split("examples:\n", 1)[1]
    text = text.replace("\\\n", " ")
    return [
        shlex.split(line.split("  #")[0])[1:]
        for line in text.splitlines()
        if line.strip().startswith(f"llm-router {command}")
    ]


def test_explain_help_examples_run_as_written() -> None:
    """Every example of ``explain --help`` works on a fresh machine (no keys set)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    examples = _examples("explain")
    assert len(examples) >= 3
    for args in examples:
        result = subprocess.run(
            [sys.executable, "-m", "llm_router.cli.main", *args],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=30, check=False,
        )  # fmt: skip
        assert result.returncode == 0, (args, result.stderr)
        assert "task" in result.stdout


def test_validate_and_explain_without_secrets() -> None:
    """``--allow-missing-env`` checks the rest of a policy and lists what is unset."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    strict = llm_router("validate", "policies/openai-anthropic.yaml", env=env)
    assert strict.returncode == 1 and "GATEWAY_API_KEY is not set" in strict.stdout
    result = subprocess.run(
        [sys.executable, "-m", "llm_router.cli.main", "validate", "--allow-missing-env",
         "policies/openai-anthropic.yaml", "policies/redis-multi-replica.yaml"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        "OK policies/openai-anthropic.yaml "
        "(unset: OPENAI_API_KEY, ANTHROPIC_API_KEY, GATEWAY_API_KEY)",
        "OK policies/redis-multi-replica.yaml "
        "(unset: OPENAI_API_KEY, ANTHROPIC_API_KEY, GATEWAY_API_KEY, GATEWAY_API_KEY_NEXT)",
    ]


def test_unknown_task_in_chat_is_a_clear_error() -> None:
    """``chat --task poetry`` fails like the gateway's header does, in one line."""
    result = llm_router("chat", "--task", "poetry", "hi")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "llm-router: error: unknown task 'poetry'; use one of code, reasoning, summarization, "
        "translation, extraction, creative, chat, tool_use, vision, long_context"
    )


def test_serve_on_a_port_in_use_fails_cleanly() -> None:
    """A port already taken: one clear error, and no draining/stopped events before it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = llm_router("serve", "--port", str(port), "--log-json")
    assert result.returncode == 1
    assert "gateway.draining" not in result.stderr and "gateway.stopped" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"llm-router: error: cannot listen on 127.0.0.1:{port}")
    assert "already in use" in last
