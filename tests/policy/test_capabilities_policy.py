"""Capabilities and cached-token prices in policy files (docs/DESIGN.md §4.6, §6)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from llm_router.capabilities import Capabilities
from llm_router.errors import PolicyError
from llm_router.layers.routing import Candidate
from llm_router.observe import StreamEnded, StreamRecord
from llm_router.observe.metrics import Metrics, Price
from llm_router.policy import assemble_policy, parse_policy
from llm_router.types import Usage

POLICY = """
providers:
  gpt: {type: openai, model: gpt-4o, api_key: sk-test}
  local:
    type: openai_compatible
    base_url: http://127.0.0.1:9/v1
    model: qwen
    context_window: 32000
    prefill: true
  llava:
    type: ollama
    model: llava
    capabilities: {vision: true, max_output_tokens: 2048}
  claude:
    type: anthropic
    model: claude-sonnet-4-5
    api_key: sk-ant-test
    context_window: 200000
    capabilities: {json_schema: false, context_window: 100000}
    prices:
      input_per_mtok: 3
      output_per_mtok: 15
      cached_input_per_mtok: 0.3
      cache_write_per_mtok: 3.75
routes:
  default:
    - gpt
    - local
    - llava
    - claude
    - {provider: claude, model: claude-haiku-4-5, capabilities: {json_schema: true}}
"""


def candidates() -> dict[str, Candidate]:
    router = assemble_policy(parse_policy(POLICY)).router
    return {c.deployment: c for c in router.routes["default"].candidates}


def test_capabilities_per_type_with_overrides() -> None:
    """Type defaults, then the provider's keys and ``capabilities:``, then the
    candidate's; ``capabilities:`` wins over the shorthand keys beside it."""
    cands = candidates()
    assert cands["gpt"].capabilities == Capabilities()
    assert cands["local"].capabilities == Capabilities(
        context_window=32000, vision=False, prefill=True
    )
    assert cands["llava"].capabilities == Capabilities(max_output_tokens=2048)
    assert cands["claude"].capabilities == Capabilities(
        context_window=100000, json_schema=False, prefill=True
    )
    haiku = cands["claude/claude-haiku-4-5"]
    assert haiku.capabilities == Capabilities(context_window=100000, prefill=True)
    assert (haiku.context_window, haiku.prefill) == (100000, True)


def test_unknown_or_ill_typed_capability_is_a_policy_error() -> None:
    """Capabilities are checked like every other key, with their path."""
    bad = POLICY.replace("{vision: true, max_output_tokens: 2048}", "{vision: 1, telepathy: true}")
    with pytest.raises(PolicyError) as caught:
        parse_policy(bad)
    text = str(caught.value)
    assert "providers.llava.capabilities.vision" in text
    assert "telepathy" in text


def test_cached_prices_reach_the_cost_metric() -> None:
    """Cached reads and cache writes are billed at their own prices."""
    policy = parse_policy(POLICY)
    prices = policy.providers["claude"].prices
    assert prices is not None and prices.cached_input_per_mtok == 0.3
    registry = CollectorRegistry()
    assemble_policy(policy, registry=registry)
    metrics = Metrics(registry, prices={"claude": Price(3, 15, 0.3, 3.75)}, providers=["claude"])
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cached_input_tokens=600_000,
                  cache_write_input_tokens=100_000)  # fmt: skip
    metrics(StreamEnded(StreamRecord("r", "chat", "default", "claude", "claude-sonnet-4-5",
                                     "success", 0.1, 1.0, 2, usage, 0)))  # fmt: skip
    cost = registry.get_sample_value(
        "llm_router_cost_usd_total", {"provider": "claude", "model": "claude-sonnet-4-5"}
    )
    assert cost == pytest.approx(0.3 * 3 + 0.6 * 0.3 + 0.1 * 3.75)


def test_price_without_cached_prices_bills_cached_tokens_as_input() -> None:
    """No cached price: the whole prompt at the input price, as before."""
    assert Price(2, 4).cost(1000, 10, 900, 50) == pytest.approx((1000 * 2 + 10 * 4) / 1e6)
    assert Price(2, 4, cached_input=1).cost(1000, 10, 900, 50) == pytest.approx(
        (100 * 2 + 900 * 1 + 10 * 4) / 1e6
    )
