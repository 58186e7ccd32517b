"""Capability-aware routing (docs/DESIGN.md §4.6): candidates that cannot serve a
request are skipped before any call, with the reason in ``explain``, the ``fallback``
event and the ``AllProvidersFailed`` attempts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from structlog.testing import capture_logs

from llm_router import ChatRequest, complete, errors
from llm_router.builder import RouteEntry, assemble, capabilities_of
from llm_router.capabilities import CAPABILITY_NAMES, Capabilities, Needs
from llm_router.layers.routing import Candidate, Route, Router
from llm_router.observe import Event, FellBack
from llm_router.observe.logs import Logs
from llm_router.providers import AnthropicProvider, OllamaProvider, OpenAIProvider, ScriptedProvider

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "Out", "schema": {"type": "object", "properties": {}}},
}


def request(**fields: Any) -> ChatRequest:
    """A one-turn request (``content`` replaces the user turn's content)."""
    content = fields.pop("content", "hello there")
    return ChatRequest(messages=[{"role": "user", "content": content}], **fields)


def provider(name: str) -> ScriptedProvider:
    return ScriptedProvider(name=name, model=f"{name}-1")


def router(*cands: Candidate, hook: Any = None) -> Router:
    return Router({"default": Route("default", cands)}, hook=hook, detector=_chat)


@dataclass(frozen=True)
class _Chat:
    task: str = "chat"
    score: float = 1.0
    signals: tuple[str, ...] = ()


def _chat(req: ChatRequest) -> _Chat:
    return _Chat()


WITH_IMAGE = {"content": [{"type": "text", "text": "?"}, IMAGE]}
CASES = [
    ("tools", Capabilities(tools=False), {"tools": [TOOL]}, "tools"),
    ("vision", Capabilities(vision=False), WITH_IMAGE, "messages"),
    ("json_schema", Capabilities(json_schema=False), {"extra": {"response_format": SCHEMA_FORMAT}},
     "response_format"),
    ("context_window", Capabilities(context_window=10), {"content": "word " * 100}, "messages"),
    ("max_output_tokens", Capabilities(max_output_tokens=100), {"max_tokens": 500}, "max_tokens"),
]  # fmt: skip


@pytest.mark.parametrize(("capability", "caps", "fields", "param"), CASES)
async def test_candidate_lacking_a_capability_is_skipped(
    capability: str, caps: Capabilities, fields: dict[str, Any], param: str
) -> None:
    """The unfit candidate is never called; the next one answers; the fallback event
    names the reason and, in words, the capability."""
    small, big = provider("small"), provider("big")
    events: list[Event] = []
    unfit = Candidate(small, "small", capabilities=caps)
    r = router(unfit, Candidate(big, "big"), hook=events.append)
    result = await complete(r, request(**fields))
    assert result.provider == "big" and small.calls == [] and len(big.calls) == 1
    (fell,) = [e for e in events if isinstance(e, FellBack)]
    assert (fell.from_provider, fell.to_provider, fell.reason) == ("small", "big", "unsupported")
    assert fell.detail is not None and f"no {capability}" in fell.detail
    explained = r.explain(request(**fields)).candidates
    skipped = f"skipped: small cannot serve this request: no {capability}"
    assert explained[0].would_be.startswith(skipped)
    assert explained[1].would_be == "chosen"
    lack = caps.lacks(Needs.of(request(**fields)))
    assert lack is not None and (lack.capability, lack.param) == (capability, param)


async def test_no_candidate_can_serve_lists_every_lack() -> None:
    """AllProvidersFailed carries one Unsupported attempt per candidate, none called."""
    a, b = provider("a"), provider("b")
    r = router(
        Candidate(a, "a", capabilities=Capabilities(tools=False)),
        Candidate(b, "b", capabilities=Capabilities(tools=False, vision=False)),
    )
    with pytest.raises(errors.AllProvidersFailed) as caught:
        await complete(r, request(tools=[TOOL]))
    attempts = caught.value.attempts
    assert [a.provider for a in attempts] == ["a", "b"]
    assert all(isinstance(a.error, errors.Unsupported) for a in attempts)
    assert "a cannot serve this request: no tools" in str(caught.value)
    assert a.calls == [] and b.calls == []


async def test_fallback_log_has_the_detail() -> None:
    """The ``fallback`` log line says which capability was missing."""
    r = router(
        Candidate(provider("a"), "a", capabilities=Capabilities(vision=False)),
        Candidate(provider("b"), "b"),
        hook=Logs(),
    )
    with capture_logs() as logs:
        await complete(r, request(content=[IMAGE]))
    (line,) = [e for e in logs if e["event"] == "fallback"]
    assert line["reason"] == "unsupported" and "no vision" in line["detail"]


async def test_provider_screen_skips_before_any_call() -> None:
    """An option the provider cannot honour (its ``unsupported``) skips it like a missing
    capability: no HTTP request is even attempted (the URL is unreachable)."""
    claude = AnthropicProvider(base_url="http://127.0.0.1:9", api_key="k", model="c")
    backup = provider("backup")
    assembly = assemble({"default": [RouteEntry(claude), RouteEntry(backup)]}, retry=None)
    async with assembly.router as r:
        req = request(extra={"logit_bias": {"1": 5}})
        result = await complete(r, req)
        explained = r.explain(req).candidates
    assert result.provider == "backup"
    assert "cannot honour logit_bias" in explained[0].would_be
    assert explained[0].capabilities == Capabilities(prefill=True).to_dict()


def test_candidate_fields_and_capabilities_agree() -> None:
    """``context_window`` and ``prefill`` read the same as the capabilities, and given
    beside them override them."""
    p = provider("p")
    plain = Candidate(p, "p", context_window=8000, prefill=True)
    assert plain.capabilities == Capabilities(context_window=8000, prefill=True)
    both = Candidate(p, "p", context_window=9000, capabilities=Capabilities(context_window=5))
    assert both.context_window == both.capabilities.context_window == 9000
    caps = Candidate(p, "p", capabilities=Capabilities(context_window=5, prefill=True))
    assert (caps.context_window, caps.prefill) == (5, True)


def test_provider_type_defaults() -> None:
    """The providers' own capabilities: Anthropic continues a prefill, Ollama's models
    read no images by default, OpenAI's API takes everything but a prefill."""
    ant = AnthropicProvider(base_url="http://h", api_key="k", model="m")
    oll = OllamaProvider(base_url="http://h", model="m")
    gpt = OpenAIProvider(base_url="http://h", api_key="k", model="m")
    assert capabilities_of(ant) == Capabilities(prefill=True)
    assert capabilities_of(oll) == Capabilities(vision=False)
    assert capabilities_of(gpt) == Capabilities()
    vllm = OpenAIProvider(base_url="http://h", api_key="k", model="m", prefill=True)
    assert capabilities_of(vllm).prefill
    assert capabilities_of(ScriptedProvider(prefill=True)) == Capabilities(prefill=True)


def test_capabilities_validate() -> None:
    """Bad values and unknown names are configuration errors."""
    with pytest.raises(errors.ConfigurationError):
        Capabilities(context_window=0)
    with pytest.raises(errors.ConfigurationError):
        yes: Any = "yes"
        Capabilities(tools=yes)
    with pytest.raises(errors.ConfigurationError):
        Capabilities().replace(telepathy=True)
    assert CAPABILITY_NAMES[-1] == "prefill"


def test_needs_estimate_is_low() -> None:
    """The prompt estimate (5 characters a token) stays under the usual 4: a candidate
    is skipped only when the prompt surely does not fit."""
    needs = Needs.of(request(content="x" * 1000, max_tokens=7))
    assert (needs.prompt_tokens, needs.max_tokens) == (200, 7)
    assert not (needs.tools or needs.vision or needs.json_schema)
    assert Capabilities(context_window=200).lacks(needs) is None
    assert Capabilities(context_window=199).lacks(needs) is not None
