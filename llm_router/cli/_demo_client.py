"""The guided tour of ``llm-router demo``: real HTTP through the gateway, narrated.

The tour sends a short series of requests to a running :class:`GatewayServer` with
an aiohttp client, exactly as any OpenAI client would, and tells what happened from
two sources: what the client saw (status, headers, SSE events) and what the router
reported to a :class:`Recorder` hook (task, route, retries, fallbacks, breaker
transitions). Nothing is claimed that did not happen, so the narration stays
truthful on any policy; the steps are designed for ``policies/demo.yaml``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from llm_router.observe import (
    BreakerChanged,
    BreakerState,
    Event,
    FellBack,
    Rescued,
    Retried,
    RouteSelected,
    StreamEnded,
    StreamRecord,
    TaskDetected,
)

Write = Callable[[str], None]


class Recorder:
    """A hook that keeps the router's events per request id (and breaker transitions
    in order)."""

    def __init__(self) -> None:
        self.events: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        self.transitions: list[tuple[str, BreakerState, BreakerState]] = []
        self.records: dict[str, StreamRecord] = {}

    def __call__(self, event: Event) -> None:
        """Record the task decision, route, retries, failovers, transitions, the end."""
        match event:
            case TaskDetected(request_id=rid, task=task, signals=signals):
                self.events[rid].append(("task", {"task": task, "signals": list(signals)}))
            case RouteSelected(request_id=rid, route=route, candidates=candidates):
                self.events[rid].append(("route", {"route": route, "candidates": candidates}))
            case Retried(request_id=rid, provider=provider, reason=reason, wait_s=wait_s):
                fields = {"provider": provider, "reason": reason, "wait_s": wait_s}
                self.events[rid].append(("retry", fields))
            case FellBack(request_id=rid, from_provider=old, to_provider=new, reason=reason):
                fields = {"from": old, "to": new, "reason": reason}
                self.events[rid].append(("fallback", fields))
            case Rescued() as ev:
                fields = {
                    "from": ev.from_provider,
                    "to": ev.provider,
                    "strategy": ev.strategy,
                    "outcome": ev.outcome,
                    "delivered": ev.delivered_chars,
                    "error": ev.error,
                }
                self.events[ev.request_id].append(("rescue", fields))
            case BreakerChanged(provider=provider, old=old, new=new):
                self.transitions.append((provider, old, new))
            case StreamEnded(record=record):
                self.records[record.request_id] = record


@dataclass
class Answer:
    """What the client saw for one request."""

    status: int
    provider: str = ""
    task: str = ""
    text: str = ""
    model: str = ""
    error: dict[str, Any] | None = None
    done: bool = False
    ttft_s: float | None = None
    transitions: list[tuple[str, BreakerState, BreakerState]] = field(default_factory=list)


class Tour:
    """Runs the demo's requests against ``base_url`` (``http://host:port``)."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, recorder: Recorder, write: Write
    ) -> None:
        self.session = session
        self.base = base_url
        self.recorder = recorder
        self.write = write
        self._n = 0

    async def ask(self, model: str, prompt: str, *, show: bool = True) -> Answer:
        """Stream one request; prints the text as it arrives when ``show``."""
        self._n += 1
        request_id = f"demo-{self._n}"
        before = len(self.recorder.transitions)
        body = {"model": model, "stream": True, "messages": [{"role": "user", "content": prompt}]}
        self.write(f'   POST /v1/chat/completions  model={model}  "{prompt}"\n')
        start = time.monotonic()
        url = f"{self.base}/v1/chat/completions"
        async with self.session.post(url, json=body, headers={"x-request-id": request_id}) as resp:
            answer = Answer(resp.status, resp.headers.get("x-llm-router-provider", ""))
            answer.task = resp.headers.get("x-llm-router-task", "")
            if resp.status != 200:
                answer.error = (await resp.json())["error"]
            else:
                await self._read_sse(resp, answer, start, show)
        answer.transitions = self.recorder.transitions[before:]
        self._narrate(request_id, answer)
        return answer

    async def _read_sse(
        self, resp: aiohttp.ClientResponse, answer: Answer, start: float, show: bool
    ) -> None:
        if show:
            self.write("   > ")
        async for raw in resp.content:
            line = raw.decode().strip()
            if not line.startswith("data: "):
                continue
            data = line[len("data: ") :]
            if data == "[DONE]":
                answer.done = True
                continue
            event = json.loads(data)
            if "error" in event:
                answer.error = event["error"]
                continue
            if answer.ttft_s is None:
                answer.ttft_s = time.monotonic() - start
            answer.model = event["model"]
            for choice in event["choices"]:
                piece = choice["delta"].get("content") or ""
                answer.text += piece
                if show:
                    self.write(piece)
        if show:
            self.write("\n")

    def _narrate(self, request_id: str, answer: Answer) -> None:
        say = self.write
        for kind, ev in self.recorder.events.get(request_id, []):
            if kind == "task":
                signals = ", ".join(ev["signals"]) or "none"
                say(f"   - task: {ev['task']} (signals: {signals})\n")
            elif kind == "route":
                say(f"   - route '{ev['route']}': candidates {' -> '.join(ev['candidates'])}\n")
            elif kind == "retry":
                say(
                    f"   - retry: {ev['provider']} failed with {ev['reason']}; waiting"
                    f" {ev['wait_s']:.1f} s (honouring Retry-After) before trying it again\n"
                )
            elif kind == "fallback":
                verb = (
                    "skipped (circuit open)"
                    if ev["reason"] == "circuit_open"
                    else (f"failed before its first token ({ev['reason']})")
                )
                say(f"   - failover: {ev['from']} {verb}; moving on to {ev['to']}\n")
            elif kind == "rescue":
                how = (
                    "continue from the delivered text (assistant prefill)"
                    if ev["strategy"] == "continue"
                    else "replay, verified against the delivered text"
                )
                say(
                    f"   - rescue: {ev['from']} broke after {ev['delivered']} characters;"
                    f" {how} on {ev['to']}: {ev['outcome']}\n"
                )
        for provider, old, new in answer.transitions:
            say(f"   - breaker {provider}: {old} -> {new}\n")
        ttft = f", first token after {answer.ttft_s:.2f} s" if answer.ttft_s is not None else ""
        if answer.error is not None and answer.status == 200:
            say(
                f"   x interrupted after the answer began: the gateway ended the stream with an"
                f" error event (code {answer.error.get('code')}) and no [DONE], so the client"
                f" knows the answer is incomplete\n"
            )
        elif answer.error is not None:
            say(f"   x HTTP {answer.status}: {answer.error.get('message')}\n")
        else:
            say(f"   = answered by {answer.provider} (model {answer.model}){ttft}\n")

    async def breaker_state(self, deployment: str) -> tuple[str | None, float | None]:
        """The deployment's breaker state and seconds until a trial, from the gateway."""
        async with self.session.get(f"{self.base}/v1/router/status") as resp:
            data = await resp.json()
        dep = data.get("deployments", {}).get(deployment, {})
        return dep.get("breaker"), dep.get("retry_in_s")

    async def metrics(self, prefixes: Sequence[str]) -> list[str]:
        """Non-zero sample lines of ``/metrics`` whose names start with ``prefixes``."""
        async with self.session.get(f"{self.base}/metrics") as resp:
            text = await resp.text()
        return [
            line
            for line in text.splitlines()
            if line.startswith(tuple(prefixes)) and not line.endswith((" 0.0", " 0"))
        ]


async def breaker_walkthrough(tour: Tour, route: str, candidates: Sequence[str]) -> None:
    """Send requests to ``route`` until its first candidate's breaker opens, show it
    skipped, wait out its reset timeout and show the half-open trial closing it."""
    first = candidates[0]
    for _ in range(10):
        await tour.ask(route, "Summarize the incident report in two sentences.", show=False)
        state, _ = await tour.breaker_state(first)
        if state == "open":
            break
    else:
        tour.write(f"   (the breaker of {first} did not open; is its provider healthy?)\n")
        return
    tour.write(
        f"   The breaker of {first} is open: the next request skips it without calling it.\n"
    )
    await tour.ask(route, "Summarize the incident report in two sentences.", show=False)
    state, retry_in = await tour.breaker_state(first)
    wait = max(retry_in or 0.0, 0.0) + 0.05
    tour.write(
        f"   Waiting {wait:.1f} s for its reset timeout, after which one trial is let through...\n"
    )
    await asyncio.sleep(wait)
    await tour.ask(route, "Summarize the incident report in two sentences.", show=False)
    state, _ = await tour.breaker_state(first)
    tour.write(f"   The breaker of {first} is now {state}.\n")
