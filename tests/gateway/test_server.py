"""GatewayServer in process: the real runner configuration, drain and reload."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from llm_router.gateway._protocol import GatewayProtocol
from llm_router.gateway.server import GatewayServer
from llm_router.policy import load_policy
from tests.gateway.conftest import chat_body
from tests.gateway.upstream import Upstream, running

POLICY = """
version: 1
providers:
  up:
    type: openai_compatible
    base_url: "{url}"
    model: up-model-1
    retry: {{attempts: 1}}
    breaker: {{fail_max: 1, reset_timeout: 60}}
  fast:
    type: scripted
    model: fast-1
    text: "{text}"
routes:
  default: [up, fast]
  scripted: [fast]
server:
  shutdown_grace: 5
"""


def policy_file(tmp_path: Path, url: str, text: str = "Fast answer.") -> Path:
    """Write the test policy (loopback upstream first, scripted fallback)."""
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(url=url, text=text))
    return path


async def _leave_while_held(
    session: aiohttp.ClientSession, server: GatewayServer, upstream: Upstream
) -> None:
    """Ask for a stream, leave once the upstream holds it; it sees the close in 100 ms."""
    call = session.post(f"{server.url}/chat/completions", json=chat_body(stream=True))
    task = asyncio.create_task(call)
    await asyncio.wait_for(upstream.holding.wait(), 2.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(upstream.closed.wait(), 0.1)


async def test_real_server_cancels_upstream_on_disconnect(tmp_path: Path) -> None:
    """With the server's own runner, a client leaving before the first token closes the
    upstream connection within 100 ms."""
    async with running(Upstream(hold_after=0)) as upstream:
        server = GatewayServer(load_policy(policy_file(tmp_path, upstream.url)), port=0)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                await _leave_while_held(session, server, upstream)
                status = await (await session.get(f"{server.url}/router/status")).json()
            assert status["deployments"]["up"] == {
                "breaker": "closed",
                "retry_in_s": None,
                "open_period_s": 60.0,
                "in_flight": 0,
            }
        finally:
            await server.shutdown(grace=0.1)


@pytest.mark.parametrize("hold_after", [0, 2], ids=["waiting-for-first-token", "streaming"])
async def test_the_upstream_is_closed_in_the_turn_that_hears_the_client_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hold_after: int
) -> None:
    """The connection's ``connection_lost`` closes the request's open upstream response
    itself, after cancelling the handler: under load the cancelled handler runs loop
    turns later, each turn long (benchmarks/bench_cancel.py: 90 → 71-75 ms p50 at 100
    saturating streams)."""
    seen: list[tuple[bool, ...]] = []
    lost = GatewayProtocol.connection_lost

    def spy(self: GatewayProtocol, exc: BaseException | None) -> None:
        responses = [close.__self__ for close in self.upstreams or ()]  # bound resp.close
        assert not any(r.closed for r in responses)
        lost(self, exc)
        seen.append(tuple(r.closed for r in responses))

    monkeypatch.setattr(GatewayProtocol, "connection_lost", spy)
    async with running(Upstream(hold_after=hold_after)) as upstream:
        server = GatewayServer(load_policy(policy_file(tmp_path, upstream.url)), port=0)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                await _leave_while_held(session, server, upstream)
        finally:
            await server.shutdown(grace=0.1)
    assert (True,) in seen  # one upstream response, closed by connection_lost itself


async def test_drain_keeps_probes_answering(tmp_path: Path) -> None:
    """While draining, the listener stays open: readyz answers 503 draining, healthz 200,
    new chat requests 503 shutting_down (and the connection closes); the request in
    flight finishes, then the listener closes."""
    async with running(Upstream(hold_after=1)) as upstream:
        server = GatewayServer(load_policy(policy_file(tmp_path, upstream.url)), port=0)
        await server.start()
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as session:
            held = asyncio.create_task(
                session.post(f"{server.url}/chat/completions", json=chat_body())
            )
            await asyncio.wait_for(upstream.holding.wait(), 2.0)
            assert server.state is not None
            shutdown = asyncio.create_task(server.shutdown(grace=30.0))
            await asyncio.sleep(0)  # the drain has begun (draining is set synchronously)
            assert server.state.draining
            async with aiohttp.ClientSession() as probe:
                ready = await probe.get(f"{base}/readyz")
                assert (ready.status, await ready.json()) == (503, {"status": "draining"})
                assert (await probe.get(f"{base}/healthz")).status == 200
                fresh = await probe.post(f"{server.url}/chat/completions", json=chat_body())
                assert fresh.status == 503
                assert (await fresh.json())["error"]["code"] == "shutting_down"
                assert fresh.headers["Connection"] == "close"
            assert not shutdown.done()
            upstream.release.set()
            resp = await held
            assert resp.status == 200
            assert (await resp.json())["choices"][0]["message"]["content"] == "Hello from upstream."
            assert await shutdown == 0
            with pytest.raises(aiohttp.ClientConnectionError):
                async with aiohttp.ClientSession() as late:
                    await late.get(f"{base}/healthz")


async def test_drain_cuts_held_requests(tmp_path: Path) -> None:
    """A request still waiting at the end of the grace period gets 503 shutting_down."""
    async with running(Upstream(hold_after=0)) as upstream:
        server = GatewayServer(load_policy(policy_file(tmp_path, upstream.url)), port=0)
        await server.start()
        async with aiohttp.ClientSession() as session:
            held = asyncio.create_task(
                session.post(f"{server.url}/chat/completions", json=chat_body())
            )
            await asyncio.wait_for(upstream.holding.wait(), 2.0)
            assert await server.shutdown(grace=0.05) == 1
            resp = await held
            assert resp.status == 503
            assert (await resp.json())["error"]["code"] == "shutting_down"


async def test_reload_keeps_breakers_and_rejects_bad_files(tmp_path: Path) -> None:
    """A valid reload keeps an unchanged deployment's open breaker; an invalid one is
    rejected and the old router stays."""
    async with running(Upstream(rate_limit_first=60.0)) as upstream:
        path = policy_file(tmp_path, upstream.url)
        server = GatewayServer(load_policy(path), port=0)
        await server.start()
        assert server.state is not None
        try:
            async with aiohttp.ClientSession() as session:
                resp = await session.post(f"{server.url}/chat/completions", json=chat_body())
                assert resp.headers["x-llm-router-provider"] == "fast"
                policy_file(tmp_path, upstream.url, text="Reloaded answer.")
                assert await server.reload()
                status = await (await session.get(f"{server.url}/router/status")).json()
                assert status["deployments"]["up"]["breaker"] == "open"
                body = chat_body(model="scripted")
                resp = await session.post(f"{server.url}/chat/completions", json=body)
                assert (await resp.json())["choices"][0]["message"]["content"] == (
                    "Reloaded answer."
                )
                current = server.state.router
                path.write_text("version: 1\nroutes: {}\n")
                assert not await server.reload()
                assert server.state.router is current
        finally:
            await server.shutdown(grace=0.1)
