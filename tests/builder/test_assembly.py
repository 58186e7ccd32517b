"""The builder returns what it built (an Assembly) and owns what must be closed."""

from __future__ import annotations

from typing import Any

import pytest

from llm_router import ChatRequest, complete
from llm_router.builder import Assembly, Layers, RouteEntry, assemble, build_router
from llm_router.layers.breaker import CircuitBreaker
from llm_router.layers.bulkhead import Bulkhead, Slots
from llm_router.layers.routing import Candidate, Route, Router
from llm_router.policy import assemble_policy, parse_policy
from llm_router.policy import build as policy_build
from llm_router.providers import Script, ScriptedProvider, shared_session


class _Shared:
    """A shared breaker state that only counts how often it was closed."""

    def __init__(self) -> None:
        self.closed = 0

    def attach(self, breaker: Any) -> None:
        """Nothing to deliver."""

    def detach(self, breaker: Any) -> None:
        """Nothing to stop."""

    def publish(self, breaker: Any, state: Any, retry_in: float | None) -> None:
        """Nothing to share."""

    async def aclose(self) -> None:
        self.closed += 1


def _request(model: str | None = None) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "hi"}], model=model)


def test_assembly_lists_every_deployment_with_its_layers() -> None:
    """Breakers by deployment are the ones the router reads; bulkheads by provider."""
    a, b = ScriptedProvider(name="a"), ScriptedProvider(name="b")
    built = assemble(
        {"default": [a, RouteEntry(a, model="big"), b]},
        direct=[b],
        bulkheads={"a": 2},
    )
    assert set(built.deployments) == {"a", "a/big", "b"}
    assert set(built.breakers) == {"a", "a/big", "b"}
    cands = built.router.routes["default"].candidates
    assert [c.breaker for c in cands] == [built.breakers[c.deployment] for c in cands]
    assert all(isinstance(br, CircuitBreaker) for br in built.breakers.values())
    slots = built.bulkheads["a"]
    assert set(built.bulkheads) == {"a"} and slots.max_concurrency == 2
    assert built.deployments["a/big"].layers.slots is slots
    assert isinstance(built.deployments["a"].stacked, Bulkhead)
    assert built.providers == {"a": a, "b": b}


def test_entry_layers_override_the_defaults() -> None:
    """A RouteEntry's own layers replace retry, breaker and bulkheads for it."""
    p = ScriptedProvider(name="p")
    built = assemble({"default": [RouteEntry(p, layers=Layers(None, None, Slots(1)))]})
    dep = built.deployments["p"]
    assert dep.breaker is None and isinstance(dep.stacked, Bulkhead)
    assert dep.stacked.inner is p


async def test_router_is_an_async_context_manager_that_closes_the_session() -> None:
    """``async with build_router(...)`` closes the loop's shared HTTP session on exit."""
    session = shared_session()
    async with build_router(
        {"default": [ScriptedProvider(name="p", scripts=[Script(text="ok")])]}
    ) as router:
        assert (await complete(router, _request())).text == "ok"
        assert not session.closed
    assert session.closed


async def test_assembly_closes_only_the_shared_state_it_owns() -> None:
    """A given shared state stays open; an owned one is closed once, however often."""
    p = ScriptedProvider(name="p")
    given = _Shared()
    async with assemble({"default": [p]}, shared=given) as built:
        assert built.shared is given
    assert given.closed == 0
    owned = _Shared()
    built = assemble({"default": [p]}, shared=owned, owns_shared=True)
    await built.router.aclose()
    await built.aclose()
    assert owned.closed == 1


async def test_hand_composed_router_owns_nothing() -> None:
    """A Router built by hand closes nothing (its providers' session is the caller's)."""
    session = shared_session()
    p = ScriptedProvider(name="p")
    async with Router({"default": Route("default", (Candidate(p, "p"),))}):
        pass
    assert not session.closed
    await session.close()


async def test_reload_hands_the_shared_state_to_the_new_assembly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On reload the new assembly takes over (and alone closes) the shared state."""
    made: list[_Shared] = []

    def fake_state(policy: Any) -> _Shared:
        made.append(_Shared())
        return made[-1]

    monkeypatch.setattr(policy_build, "shared_breaker_state", fake_state)
    text = "providers: {a: {type: scripted}}\nroutes: {default: [a]}\n"
    first: Assembly = assemble_policy(parse_policy(text, env={}))
    assert first.owns_shared and first.shared is made[0]
    second = assemble_policy(parse_policy(text, env={}), previous=first)
    assert len(made) == 1 and second.shared is made[0]
    assert second.owns_shared and not first.owns_shared
    assert second.breakers["a"] is first.breakers["a"]
    await first.aclose()
    assert made[0].closed == 0
    await second.aclose()
    assert made[0].closed == 1
