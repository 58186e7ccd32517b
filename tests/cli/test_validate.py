"""``llm-router validate`` as a subprocess: output lines and exit status."""

from __future__ import annotations

from pathlib import Path

from tests.cli._run import llm_router

BROKEN = """\
providers:
  claude:
    type: anthropic
    model: claude-sonnet-4-5
    api_key: ${ANTHROPIC_API_KEY}
    timeouts: {first_tokn: 5}
routes:
  code: [claud]
  default: [claude]
"""


def test_valid_file_prints_ok() -> None:
    """A valid policy prints `OK path` and exits 0."""
    result = llm_router("validate", "policies/demo.yaml")
    assert result.returncode == 0
    assert result.stdout == "OK policies/demo.yaml\n"


def test_every_problem_on_its_own_line(tmp_path: Path) -> None:
    """Each problem is one `file:line: path: message` line; exit status 1."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = llm_router("validate", str(path), env={"ANTHROPIC_API_KEY": ""})
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}:5: providers.claude.api_key: environment variable ANTHROPIC_API_KEY is not "
        "set (it is empty); set it or write ${ANTHROPIC_API_KEY:-default}",
        f"{path}:6: providers.claude.timeouts.first_tokn: unknown key 'first_tokn' (did you "
        "mean 'first_token'?)",
        f"{path}:8: routes.code[0]: unknown provider 'claud' (did you mean 'claude'?)",
        f"FAILED {path}: 3 problems",
    ]
    assert "Traceback" not in result.stderr


def test_several_files_mixed(tmp_path: Path) -> None:
    """Valid and invalid files are all reported; any failure makes the exit status 1."""
    missing = tmp_path / "missing.yaml"
    result = llm_router("validate", "policies/demo.yaml", str(missing))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "OK policies/demo.yaml"
    assert lines[1].startswith(f"{missing}: cannot read the policy file")


def test_help_has_examples() -> None:
    """`validate --help` shows examples."""
    result = llm_router("validate", "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
