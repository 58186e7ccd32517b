"""Loading valid policies: interpolation, YAML features, defaults and typed values."""

from __future__ import annotations

from llm_router.config import Timeouts
from llm_router.policy import parse_policy
from llm_router.providers.scripted import Fault

BASE = """\
providers:
  fast: {type: scripted}
routes:
  default: [fast]
"""


def test_env_default_and_number_coercion() -> None:
    """${VAR:-default} is used when VAR is unset; unquoted results are re-read as YAML."""
    text = BASE + "server:\n  port: ${PORT:-9000}\n  host: '${HOST:-0.0.0.0}'\ndeadline: ${D}\n"
    policy = parse_policy(text, env={"D": "12.5"})
    assert policy.server.port == 9000
    assert policy.server.host == "0.0.0.0"
    assert policy.deadline == 12.5


def test_env_value_wins_over_default_and_dollar_escape() -> None:
    """A set variable wins over its default; $$ is a literal dollar."""
    text = BASE.replace("{type: scripted}", "{type: scripted, text: 'cost $$5 ${W:-x}'}")
    policy = parse_policy(text, env={"W": "today"})
    assert policy.providers["fast"].scripts[0].text == "cost $5 today"


def test_defaults_merge_under_provider_settings() -> None:
    """`defaults` apply to every provider; a provider's own values override key by key."""
    text = """\
defaults:
  timeouts: {connect: 1, first_token: 2}
providers:
  a: {type: scripted, timeouts: {first_token: 5}}
  b: {type: scripted}
routes:
  default: [a, b]
"""
    policy = parse_policy(text, env={})
    assert policy.providers["a"].timeouts == Timeouts(connect=1, first_token=5)
    assert policy.providers["b"].timeouts == Timeouts(connect=1, first_token=2)


def test_yaml_anchors_and_merge_keys() -> None:
    """Anchors, aliases and `<<` merge keys work, with the mapping's own keys winning."""
    text = """\
providers:
  a: &common {type: scripted, chunk_delay: 0.5}
  b: {<<: *common, chunk_delay: 0.1}
routes:
  default: [a, b]
"""
    policy = parse_policy(text, env={})
    assert policy.providers["a"].scripts[0].chunk_delay_s == 0.5
    assert policy.providers["b"].scripts[0].chunk_delay_s == 0.1


def test_keys_stay_text() -> None:
    """A route named `no` is that text, not the boolean YAML 1.1 would make of it."""
    policy = parse_policy(BASE + "  no: [fast]\n", env={})
    assert "no" in policy.routes


def test_scripts_inherit_provider_text_and_map_faults() -> None:
    """Scripts inherit the provider's text and delays and map `fault` onto Fault."""
    text = """\
providers:
  s:
    type: scripted
    text: hello world
    chunk_delay: 0.01
    scripts:
      - fault: {kind: rate_limited, retry_after: 1}
      - first_token_delay: 0.2
routes:
  default: [s]
"""
    scripts = parse_policy(text, env={}).providers["s"].scripts
    assert scripts[0].fault == Fault(kind="rate_limited", retry_after=1.0)
    assert scripts[1].text == "hello world"
    assert (scripts[1].chunk_delay_s, scripts[1].first_token_delay_s) == (0.01, 0.2)


def test_routes_candidates_and_options() -> None:
    """Candidates may be names or mappings; routes may be lists or option mappings."""
    text = """\
providers:
  a: {type: scripted}
  b: {type: scripted, context_window: 1000}
routes:
  default:
    candidates: [a, {provider: b, model: big, weight: 2, context_window: 9000}]
    failover_on_content_filter: true
"""
    route = parse_policy(text, env={}).routes["default"]
    assert route.failover_on_content_filter
    assert [c.deployment for c in route.candidates] == ["a", "b/big"]
    assert route.candidates[1].weight == 2.0
    assert route.candidates[1].context_window == 9000


def test_secrets_are_not_in_repr() -> None:
    """API keys and client keys never appear in the policy's repr."""
    text = """\
providers:
  gpt: {type: openai, model: m, api_key: sk-secret-1}
routes:
  default: [gpt]
server: {api_keys: [client-secret-2]}
breaker_storage: {redis: 'redis://:pw-secret-3@host:6379/0'}
"""
    policy = parse_policy(text, env={})
    assert policy.providers["gpt"].api_key == "sk-secret-1"
    for secret in ("sk-secret-1", "client-secret-2", "pw-secret-3"):
        assert secret not in repr(policy)


def test_section_defaults() -> None:
    """Omitted sections take documented defaults."""
    policy = parse_policy(BASE, env={})
    assert policy.deadline == 60.0
    assert policy.breaker_storage.kind == "memory"
    assert (policy.server.host, policy.server.port) == ("127.0.0.1", 8080)
    assert policy.logging.level == "info" and policy.logging.json is None
    assert policy.tasks.long_context_tokens == 32000
