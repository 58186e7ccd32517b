"""``llm-router demo``: the gateway on the demo policy, exercised and narrated.

No keys, no network: the demo policy's providers are scripted to fail in instructive
ways. The demo starts the gateway on a free loopback port, sends a few requests
through it over HTTP and explains what happened — task detection and routing, a
retry honouring ``Retry-After``, a failover before the first token, a breaker
opening and recovering, a stream cut mid-answer rescued whole, and (with rescue off)
a mid-stream interruption reported honestly — then prints
the relevant ``/metrics`` lines. It ends by itself in a few seconds; ``--serve``
keeps the gateway running afterwards so you can try it with curl or the openai SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Container
from typing import Any

import aiohttp

from llm_router.cli._demo_client import Recorder, Tour, breaker_walkthrough
from llm_router.gateway.server import GatewayServer, run_until_stopped
from llm_router.observe.logs import configure_logging
from llm_router.policy import demo_policy_path, load_policy

METRICS = (
    "llm_router_requests_total",
    "llm_router_retries_total",
    "llm_router_fallbacks_total",
    "llm_router_rescues_total",
    "llm_router_circuit_transitions_total",
    "llm_router_circuit_state",
)


_EPILOG = """\
examples:
  llm-router demo                  # the narrated tour, then exit
  llm-router demo --verbose        # with the gateway's log events
  llm-router demo --serve --port 8080   # keep the demo gateway running for curl/SDKs
"""


def add_parser(sub: Any) -> None:
    """Register the ``demo`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="see routing, retries, failover and breakers at work (no keys, no network)",
        description="Start the gateway on the demo policy, send requests through it and "
        "narrate what happens; ends by itself in a few seconds.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--policy", help="policy file (default: the demo policy)")
    p.add_argument("--serve", action="store_true", help="keep the gateway running after the tour")
    p.add_argument("--port", type=int, help="port for --serve (default: the policy's)")
    p.add_argument("--verbose", action="store_true", help="show the gateway's log events too")
    p.set_defaults(func=run)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _heading(text: str) -> None:
    _write(f"\n{text}\n")


async def _ask_route(tour: Tour, routes: Container[str], route: str, prompt: str) -> None:
    """Ask ``route`` through the tour, or say that the policy has no such route."""
    if route in routes:
        await tour.ask(route, prompt)
    else:
        _skipped(route)


def _skipped(route: str) -> None:
    _write(f"   (this policy has no '{route}' route: skipped)\n")


async def _tour(server: GatewayServer, recorder: Recorder) -> None:
    assert server.state is not None
    routes = server.state.router.routes
    base = server.url.removesuffix("/v1")
    async with aiohttp.ClientSession() as session:
        tour = Tour(session, base, recorder, _write)
        _heading("1. Task detection, routing, and a retry that honours Retry-After")
        _write("   model=auto asks the router to detect the task from the prompt.\n")
        await tour.ask("auto", "Hi! How are you today?")
        _heading("2. Failover before the first token")
        _write("   If a provider fails before sending anything, the next one answers;\n")
        _write("   the client only notices a little latency.\n")
        await tour.ask("auto", "Write a Python function that reverses a linked list.")
        _heading("3. A circuit breaker opens, then recovers through a half-open trial")
        if "summarization" in routes:
            await breaker_walkthrough(tour, "summarization", routes["summarization"].deployments)
        else:
            _skipped("summarization")
        _heading("4. A stream cut mid-answer is rescued: the client receives it whole")
        _write("   The router continues the answer from the words already delivered and\n")
        _write("   checks the seam; the client sees one uninterrupted stream and [DONE].\n")
        await _ask_route(tour, routes, "rescue-demo", "Tell me about a lighthouse keeper.")
        _heading("5. With rescue off, a failure after the first token is reported, never hidden")
        _write("   Once text is on screen the gateway cannot switch providers without\n")
        _write("   garbling the answer, so it says the answer is incomplete.\n")
        await _ask_route(tour, routes, "interrupt-demo", "Tell me a story about a lighthouse.")
        _heading("6. What Prometheus sees (GET /metrics, non-zero series)")
        for line in await tour.metrics(METRICS):
            _write(f"   {line}\n")


async def _demo(args: argparse.Namespace) -> int:
    path = args.policy or demo_policy_path()
    policy = load_policy(path)
    recorder = Recorder()
    start = time.monotonic()
    server = GatewayServer(policy, port=0, hooks=[recorder])
    _write(f"llm-router demo: the gateway on {policy.file}\n")
    _write("(scripted providers: no API keys, no network)\n")
    await server.start()
    _write(f"gateway listening on {server.url}\n")
    try:
        await _tour(server, recorder)
    finally:
        await server.shutdown(grace=1.0)
    _write(f"\nDemo finished in {time.monotonic() - start:.1f} s.\n")
    if not args.serve:
        _write("Run `llm-router demo --serve` to keep the gateway running and try it yourself.\n")
        return 0
    live = GatewayServer(policy, port=args.port)
    serving = asyncio.create_task(run_until_stopped(live))
    started = asyncio.create_task(live.started.wait())
    await asyncio.wait({serving, started}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():  # failed to start (port taken, …): raise its error
        started.cancel()
        await serving
        return 1
    _write(
        f"\nThe gateway is serving {live.url} (Ctrl-C to stop). Try:\n"
        f"  curl -N {live.url}/chat/completions -H 'Content-Type: application/json' \\\n"
        '    -d \'{"model": "auto", "stream": true, '
        '"messages": [{"role": "user", "content": "Hello"}]}\'\n'
        f"  python -c \"import openai; c = openai.OpenAI(base_url='{live.url}', api_key='x'); "
        "print(c.chat.completions.create(model='auto', "
        "messages=[{'role': 'user', 'content': 'Hi'}]).choices[0].message.content)\"\n"
    )
    await serving
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    configure_logging(level="info" if args.verbose else "critical")
    return asyncio.run(_demo(args))
