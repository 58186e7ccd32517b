"""A policy's credentials: registered with the redactor when it loads, and never quoted
in a validation message, even when placed in the wrong field."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_router.cli.main import main
from llm_router.errors import PolicyError
from llm_router.policy import parse_policy
from llm_router.policy.secrets import policy_secrets, url_secrets
from llm_router.redact import redact_text

POLICY = """
version: 1
providers:
  vllm:
    type: openai_compatible
    base_url: http://127.0.0.1:8000/v1
    model: m
    api_key: ${VLLM_KEY}
    headers:
      X-Org-Token: literal-header-value-77
      anthropic-version: "2023-06-01"
  spare:
    type: openai_compatible
    base_url: https://svc:url-password-42@example.com/v1?key=query-key-value-9
    model: m
    api_key: written-in-the-file-3
routes:
  default: [vllm]
breaker_storage:
  redis: redis://:redis-password-5@127.0.0.1:1/0
server:
  api_keys: [client-key-value-8]
"""
ENV = {"VLLM_KEY": "plain-looking-token-1"}
SECRETS = (
    "plain-looking-token-1",
    "literal-header-value-77",
    "url-password-42",
    "query-key-value-9",
    "written-in-the-file-3",
    "redis-password-5",
    "client-key-value-8",
)


def test_every_credential_is_registered_on_load() -> None:
    """After parsing, each credential (not only sk-… lookalikes) is scrubbed from text."""
    policy = parse_policy(POLICY, env=ENV)
    assert set(SECRETS) <= policy_secrets(policy)
    assert "2023-06-01" not in policy_secrets(policy)  # a protocol setting, not a secret
    for secret in SECRETS:
        assert redact_text(f"upstream said: bad key {secret}!") == (
            "upstream said: bad key [REDACTED]!"
        )


@pytest.mark.parametrize(
    ("url", "found"),
    [
        pytest.param("http://host/v1", set(), id="none"),
        pytest.param("redis://:pw-1234@h:6379/0", {"pw-1234"}, id="password"),
        pytest.param("https://user:pw-1234@h/v1", {"pw-1234"}, id="user-and-password"),
        pytest.param(
            "https://ghp_0123456789abcdefghij@h/", {"ghp_0123456789abcdefghij"}, id="token"
        ),
        pytest.param("https://h/v1?api_key=q-1234&x=1", {"q-1234"}, id="query"),
        pytest.param("http://h:notaport/v1", set(), id="bad-port"),
    ],
)
def test_url_secrets(url: str, found: set[str]) -> None:
    """Passwords, tokens used as user names and key-named query parameters."""
    assert url_secrets(url) == found


@pytest.mark.parametrize(
    ("fragment", "secret"),
    [
        pytest.param(
            "timeouts: {first_token: sk-proj-abcdefghijklmnop}",
            "sk-proj-abcdefghijklmnop",
            id="key-lookalike-in-a-number-field",
        ),
        pytest.param(
            "timeouts: {first_token: '${OTHER_KEY}'}",
            "from-the-environment-2",
            id="env-value-in-a-number-field",
        ),
        pytest.param("api_key: 987654321", "987654321", id="number-in-the-key-field"),
        pytest.param("api_key: [in-a-list-secret]", "in-a-list-secret", id="list-in-the-key-field"),
        pytest.param("headers: {Authorization: 12345678}", "12345678", id="number-as-header"),
    ],
)
def test_validation_messages_do_not_quote_secrets(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fragment: str,
    secret: str,
) -> None:
    """A secret in the wrong field (or of the wrong type) is not echoed by the loader,
    nor by ``llm-router validate``."""
    text = (
        "version: 1\nproviders:\n  p:\n    type: openai_compatible\n"
        f"    base_url: http://h/v1\n    model: m\n    {fragment}\nroutes:\n  default: [p]\n"
    )
    with pytest.raises(PolicyError) as info:
        parse_policy(text, env={"OTHER_KEY": "from-the-environment-2"})
    assert info.value.issues, "the policy must be invalid"
    assert secret not in str(info.value)
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    monkeypatch.setenv("OTHER_KEY", "from-the-environment-2")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    assert secret not in out.out + out.err
    assert "policy.yaml" in out.out
