"""Broken policies: every problem reported with its message, path and line."""

from __future__ import annotations

import pytest

from llm_router.errors import PolicyError
from llm_router.policy import parse_policy
from llm_router.policy.validate import check_text

ENV = {"OPENAI_API_KEY": "sk-test", "EMPTY": ""}

GOOD = """\
providers:
  fast:
    type: scripted
  gpt:
    type: openai
    model: gpt-4o-mini
    api_key: ${OPENAI_API_KEY}
routes:
  code: [gpt, fast]
  default: [fast]
"""

_ALL_TEXT = "[code, reasoning, summarization, translation, extraction, creative, chat]"

CASES = [
    pytest.param(
        GOOD + "breaker_storage: {redis: 'redis://:pw@host:x'}\n",
        11,
        "invalid URL 'redis://***@host:x'",
        id="url-password-hidden",
    ),
    pytest.param(
        GOOD + f"tasks:\n  disabled: {_ALL_TEXT}\n",
        12,
        "disables every text task",
        id="all-disabled",
    ),
    pytest.param("providers:\n\tfast: {type: scripted}\n", 2, "tab character", id="tab"),
    pytest.param("providers: [a, b\nroutes: {}\n", 2, "invalid YAML", id="syntax"),
    pytest.param(
        GOOD + "routes: {}\n",
        11,
        "duplicate key 'routes' (first defined on line 8)",
        id="duplicate-top-key",
    ),
    pytest.param(
        GOOD.replace("  gpt:\n", "  fast:\n"), 4, "duplicate key 'fast'", id="duplicate-provider"
    ),
    pytest.param(
        GOOD + "deadline: soon\n", 11, "deadline: expected a number, got 'soon'", id="wrong-type"
    ),
    pytest.param(
        GOOD.replace("    model: gpt", "    modle: gpt"),
        6,
        "unknown key 'modle' (did you mean 'model'?)",
        id="unknown-key",
    ),
    pytest.param(
        GOOD + "loging: {level: info}\n",
        11,
        "unknown key 'loging' (did you mean 'logging'?)",
        id="unknown-top-key",
    ),
    pytest.param(
        GOOD.replace("[gpt, fast]", "[gpt, fats]"),
        9,
        "routes.code[1]: unknown provider 'fats' (did you mean 'fast'?)",
        id="unknown-provider",
    ),
    pytest.param(
        GOOD.replace("[gpt, fast]", "[{provider: gtp}]"),
        9,
        "routes.code[0].provider: unknown provider 'gtp' (did you mean 'gpt'?)",
        id="unknown-provider-mapping",
    ),
    pytest.param(
        GOOD.replace("${OPENAI_API_KEY}", "${ANTHROPIC_KEY}"),
        7,
        "environment variable ANTHROPIC_KEY is not set",
        id="missing-env",
    ),
    pytest.param(
        GOOD.replace("${OPENAI_API_KEY}", "${EMPTY}"),
        7,
        "EMPTY is not set (it is empty)",
        id="empty-env",
    ),
    pytest.param(
        GOOD.replace("${OPENAI_API_KEY}", "${9BAD}"),
        7,
        "invalid variable reference '${9BAD}'",
        id="bad-env-reference",
    ),
    pytest.param(
        GOOD + "deadline: ${DEADLINE:-0}\n",
        11,
        "deadline: must be > 0, got 0",
        id="env-default-checked",
    ),
    pytest.param(
        GOOD + "server:\n  port: ${PORT:-http}\n",
        12,
        "server.port: expected an integer, got 'http'",
        id="env-default-type",
    ),
    pytest.param(
        GOOD.replace("    type: scripted\n", "    type: scripted\n    timeouts: {idle: -1}\n"),
        4,
        "providers.fast.timeouts.idle: must be > 0, got -1",
        id="negative-timeout",
    ),
    pytest.param(
        GOOD.replace("    type: scripted\n", "    type: scripted\n    retry: {attempts: 0}\n"),
        4,
        "retry.attempts: must be >= 1, got 0",
        id="zero-attempts",
    ),
    pytest.param(
        GOOD.replace("    type: scripted\n", "    type: scripted\n    breaker: {fail_max: 1.5}\n"),
        4,
        "breaker.fail_max: expected an integer, got 1.5",
        id="float-fail-max",
    ),
    pytest.param(
        GOOD.replace("[gpt, fast]", "[]"), 9, "routes.code: must not be empty", id="empty-route"
    ),
    pytest.param(
        GOOD.replace("  default: [fast]\n", ""), 8, "no 'default' route", id="no-default-route"
    ),
    pytest.param(
        GOOD.replace("  code:", "  Code Route:"),
        9,
        "invalid route name 'Code Route'",
        id="label-unsafe-route",
    ),
    pytest.param(
        GOOD.replace("  fast:", "  Fast!:").replace("[fast]", "[gpt]").replace(", fast]", "]"),
        2,
        "invalid provider name 'Fast!'",
        id="label-unsafe-provider",
    ),
    pytest.param(GOOD.replace("  code:", "  auto:"), 9, "'auto' is reserved", id="reserved-route"),
    pytest.param(
        GOOD.replace("type: openai", "type: opneai"),
        5,
        "unknown provider type 'opneai' (did you mean 'openai'?)",
        id="unknown-type",
    ),
    pytest.param(
        GOOD.replace(
            "    model: gpt-4o-mini\n", "    model: gpt-4o-mini\n    base_url: api.openai.com\n"
        ),
        7,
        "invalid URL 'api.openai.com'",
        id="bad-url",
    ),
    pytest.param(
        GOOD.replace("    type: openai\n", "    type: openai_compatible\n"),
        4,
        "missing required key 'base_url' (needed by type openai_compatible)",
        id="compatible-needs-url",
    ),
    pytest.param(
        GOOD.replace("    model: gpt-4o-mini\n", ""),
        4,
        "missing required key 'model'",
        id="missing-model",
    ),
    pytest.param(
        GOOD.replace(
            "    model: gpt-4o-mini\n", "    model: gpt-4o-mini\n    scripts: [{text: hi}]\n"
        ),
        7,
        "'scripts' is only valid for type scripted, not openai",
        id="scripts-on-http",
    ),
    pytest.param(
        GOOD + "tasks:\n  rules:\n    - {task: cod, pattern: x}\n",
        13,
        "unknown task 'cod' (did you mean 'code'?)",
        id="unknown-task",
    ),
    pytest.param(
        GOOD + "tasks:\n  rules:\n    - {task: code, pattern: '(unclosed'}\n",
        13,
        "invalid regular expression",
        id="invalid-regex",
    ),
    pytest.param(
        GOOD + "tasks:\n  disabled: [visoin]\n",
        12,
        "unknown task 'visoin' (did you mean 'vision'?)",
        id="unknown-disabled-task",
    ),
    pytest.param(
        GOOD.replace(
            "    type: scripted\n",
            "    type: scripted\n    scripts:\n      - fault: {kind: timeout}\n",
        ),
        5,
        "unknown fault kind 'timeout'",
        id="unknown-fault-kind",
    ),
    pytest.param(
        GOOD + "breaker_storage: {redis: 'localhost:6379'}\n",
        11,
        "must start with redis://, rediss://, unix://",
        id="redis-url-scheme",
    ),
    pytest.param(
        GOOD + "breaker_storage: {redis: 'redis://host:port'}\n",
        11,
        "invalid URL 'redis://host:port'",
        id="redis-url-port",
    ),
    pytest.param(
        GOOD + "breaker_storage: redis\n",
        11,
        "unknown breaker storage 'redis'",
        id="storage-string",
    ),
    pytest.param(
        GOOD + "server:\n  port: 70000\n",
        12,
        "server.port: must be <= 65535, got 70000",
        id="port-range",
    ),
    pytest.param(
        GOOD + "logging: {level: verbose}\n", 11, "unknown log level 'verbose'", id="log-level"
    ),
    pytest.param(GOOD + "version: 2\n", 11, "version: must be <= 1", id="version"),
    pytest.param("", 1, "the policy file is empty", id="empty-file"),
    pytest.param("- providers\n", 1, "must be a mapping", id="not-a-mapping"),
    pytest.param(
        "routes:\n  default: [x]\n", 1, "missing required key 'providers'", id="no-providers"
    ),
    pytest.param(
        GOOD.replace("[gpt, fast]", "[gpt, gpt]"),
        9,
        "'gpt' is already candidate [0]",
        id="duplicate-candidate",
    ),
    pytest.param(
        GOOD + "server: {api_keys: [${KEY}]}\n",
        11,
        "put ${VAR} references inside [ ] or { } in quotes",
        id="unquoted-env-in-flow",
    ),
    pytest.param(
        GOOD.replace("[gpt, fast]", "[gpt, {provider: fast, weight: 0}]"),
        9,
        "weight: must be > 0, got 0",
        id="zero-weight",
    ),
    pytest.param(
        GOOD + "deadline: !!python/object/apply:os.system [ls]\n",
        11,
        "unsupported YAML tag",
        id="unsafe-tag-collection",
    ),
    pytest.param(
        GOOD + "deadline: !!python/name:os.system ''\n",
        11,
        "unsupported YAML tag",
        id="unsafe-tag-scalar",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), CASES)
def test_broken_policy_reports_message_and_line(text: str, line: int, message: str) -> None:
    """A broken policy raises PolicyError naming the problem on the right line."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, file="p.yaml", env=ENV)
    matches = [i for i in caught.value.issues if message in str(i)]
    assert matches, [str(i) for i in caught.value.issues]
    assert matches[0].line == line, str(matches[0])
    assert matches[0].file == "p.yaml"


def test_every_problem_is_reported_at_once() -> None:
    """Several problems in one file are all reported, in line order."""
    text = """\
providers:
  claude:
    type: anthropc
    model: c
  gpt:
    type: openai
    model: m
    timeouts: {connect: -1}
    api_key: ${NOPE}
routes:
  code: [claud, gpt]
  auto: [gpt]
server: {port: 0.5}
"""
    issues = check_text(text, file="multi.yaml", env={}).issues
    rendered = [str(i) for i in issues]
    assert rendered == [
        "multi.yaml:3: providers.claude.type: unknown provider type 'anthropc' (did you mean "
        "'anthropic'?); expected one of: openai, azure, openrouter, openai_compatible, "
        "anthropic, gemini, ollama, scripted",
        "multi.yaml:8: providers.gpt.timeouts.connect: must be > 0, got -1",
        "multi.yaml:9: providers.gpt.api_key: environment variable NOPE is not set; set it or "
        "write ${NOPE:-default}",
        "multi.yaml:10: routes: no 'default' route: requests whose task has no route of its "
        "own need one",
        "multi.yaml:11: routes.code[0]: unknown provider 'claud' (did you mean 'claude'?)",
        "multi.yaml:12: routes.auto: 'auto' is reserved (it asks for task detection); pick "
        "another name",
        "multi.yaml:13: server.port: expected an integer, got 0.5 (a number)",
    ]


def test_missing_file_is_one_issue(tmp_path: object) -> None:
    """An unreadable file is a PolicyError with one issue, not an OSError."""
    from llm_router.policy import load_policy

    with pytest.raises(PolicyError) as caught:
        load_policy("/nonexistent/policy.yaml")
    (issue,) = caught.value.issues
    assert "cannot read the policy file" in issue.message
