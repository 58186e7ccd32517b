"""``llm-router explain`` as a subprocess: human-readable and JSON."""

from __future__ import annotations

import json

from tests.cli._run import llm_router


def test_explain_json_for_a_code_prompt() -> None:
    """--json gives the detected task, signals, route and candidates with roles."""
    result = llm_router(
        "explain", "--prompt", "Fix this Python function: def f(x): return x +", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["task"] == "code"
    assert data["route"] == "code"
    assert data["signals"]
    assert [(c["deployment"], c["breaker"], c["would_be"]) for c in data["candidates"]] == [
        ("down", "closed", "chosen"),
        ("fast", "closed", "fallback #1"),
    ]
    assert data["candidates"][1]["model"] == "fast-1"


def test_explain_human_readable_with_task() -> None:
    """An explicit --task skips detection; the text output lists candidates in order."""
    result = llm_router("explain", "--prompt", "hi", "--task", "summarization")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("task:    summarization")
    assert lines[1] == "route:   summarization"
    assert lines[2] == "rescue:  continue, replay (at most 2)"
    assert "flaky" in lines[4] and "chosen" in lines[4] and "prefill=yes" in lines[4]
    assert "fast" in lines[5] and "fallback #1" in lines[5]


def test_explain_never_needs_or_prints_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Explain builds no real provider: the key is neither required nor printed."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "providers:\n  gpt: {type: openai, model: gpt-4o, api_key: '${K}'}\n"
        "routes:\n  default: [gpt]\n"
    )
    result = llm_router(
        "explain", "--policy", str(path), "--prompt", "hi", "--json", env={"K": "sk-SECRET"}
    )
    assert result.returncode == 0, result.stderr
    assert "sk-SECRET" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["candidates"][0]["model"] == "gpt-4o"


def test_explain_unknown_model_is_one_line() -> None:
    """An unknown --model is one clear error line and exit status 1."""
    result = llm_router("explain", "--prompt", "hi", "--model", "nope")
    assert result.returncode == 1
    assert result.stderr.startswith("llm-router: error: ")
    assert "unknown model 'nope'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_explain_invalid_policy_is_reported_without_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A broken policy prints its issues, not a traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text("providers: {}\n")
    result = llm_router("explain", "--policy", str(path), "--prompt", "hi")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "providers: must not be empty" in result.stderr
