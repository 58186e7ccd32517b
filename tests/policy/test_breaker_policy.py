"""Breaker settings in a policy: the adaptive open period's keys (reset_timeout as the
first period, max_reset_timeout, jitter), their defaults and their validation."""

from __future__ import annotations

import pytest

from llm_router.config import BreakerConfig
from llm_router.errors import PolicyError
from llm_router.policy import parse_policy
from llm_router.policy.validate import check_text

POLICY = """\
defaults:
  breaker: {{{defaults}}}
providers:
  a:
    type: scripted
    breaker: {{{own}}}
  b:
    type: scripted
routes:
  default: [a, b]
"""


def policy(defaults: str = "", own: str = "") -> str:
    return POLICY.format(defaults=defaults, own=own)


def test_defaults_are_the_adaptive_ones() -> None:
    """Without breaker keys a provider opens for 1 s at first, 30 s at most, 20 % jitter."""
    breaker = parse_policy(policy(), env={}).providers["b"].breaker
    assert breaker == BreakerConfig()
    assert (breaker.reset_timeout, breaker.cap, breaker.jitter) == (1.0, 30.0, 0.2)


def test_keys_merge_from_defaults_and_reach_the_config() -> None:
    """defaults.breaker applies to every provider; a provider's own keys win."""
    text = policy("reset_timeout: 2, max_reset_timeout: 60", "jitter: 0, fail_max: 3")
    policy_ = parse_policy(text, env={})
    a, b = policy_.providers["a"].breaker, policy_.providers["b"].breaker
    assert (a.reset_timeout, a.cap, a.jitter, a.fail_max) == (2.0, 60.0, 0.0, 3)
    assert (b.reset_timeout, b.cap, b.jitter) == (2.0, 60.0, 0.2)


def test_a_long_reset_timeout_alone_keeps_its_meaning() -> None:
    """A policy written for the fixed period (reset_timeout: 60) still opens for 60 s:
    the cap follows it."""
    breaker = parse_policy(policy(own="reset_timeout: 60"), env={}).providers["a"].breaker
    assert (breaker.reset_timeout, breaker.cap) == (60.0, 60.0)


@pytest.mark.parametrize(
    ("defaults", "own", "path"),
    [
        pytest.param(
            "",
            "reset_timeout: 10, max_reset_timeout: 5",
            "providers.a.breaker.max_reset_timeout",
            id="own",
        ),
        pytest.param(
            "max_reset_timeout: 5",
            "reset_timeout: 10",
            "providers.a.breaker.reset_timeout",
            id="merged",
        ),
        pytest.param(
            "reset_timeout: 8, max_reset_timeout: 4",
            "",
            "defaults.breaker.max_reset_timeout",
            id="defaults",
        ),
        pytest.param("", "jitter: 2", "providers.a.breaker.jitter", id="jitter"),
    ],
)
def test_inconsistent_settings_are_reported_where_they_are_set(
    defaults: str, own: str, path: str
) -> None:
    """A cap below the first period, or jitter outside [0, 1], is an issue with its path
    and line; the policy does not load."""
    doc = check_text(policy(defaults, own), file="p.yaml", env={})
    assert [i.path for i in doc.issues] == [path]
    assert all(i.line in (2, 6) for i in doc.issues)
    with pytest.raises(PolicyError):
        parse_policy(policy(defaults, own), env={})
