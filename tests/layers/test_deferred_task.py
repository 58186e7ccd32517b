"""A task label the route does not depend on is detected off the path to the first
token (docs/DESIGN.md §4.2): when no route is named after a task, ``auto`` goes to
``default`` whatever the task, so the router detects the label while the upstream
prepares its answer, and not at all when nothing wants it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from llm_router import errors
from llm_router.builder import build_router
from llm_router.config import RescueConfig
from llm_router.observe import Event, RouteSelected, StreamEnded, StreamStarted, TaskDetected
from llm_router.types import ChatRequest, StreamChunk

PROMPT = "Translate 'good morning' into French, please."


@dataclass
class Detection:
    task: str
    score: float = 1.0
    signals: tuple[str, ...] = ("test",)


class Counting:
    """A detector that says ``translation``, counts its calls and notes whether the
    upstream request was already out (``watch`` opened) when it ran."""

    def __init__(self, watch: HeldOpen | None = None) -> None:
        self.calls = 0
        self.watch = watch
        self.after_open: list[bool] = []
        self.done = asyncio.Event()

    def __call__(self, request: ChatRequest) -> Detection:
        self.calls += 1
        if self.watch is not None:
            self.after_open.append(self.watch.opened.is_set())
        self.done.set()
        return Detection("translation")


class HeldOpen:
    """A provider whose stream waits for ``release`` before its first chunk (the
    upstream preparing its answer); ``opened`` is set once the request is out."""

    def __init__(self, fail: errors.ProviderError | None = None, name: str = "p") -> None:
        self.name, self.model = name, f"{name}-1"
        self.opened = asyncio.Event()
        self.release = asyncio.Event()
        self.fail = fail

    async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self.opened.set()
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        yield StreamChunk("bonjour", self.name, self.model, finish_reason="stop")


def req(model: str | None = None) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": PROMPT}], model=model)


async def test_the_label_is_detected_while_the_upstream_prepares_its_answer() -> None:
    """With a hook, the detector runs once, during the wait for the first chunk (after
    the request went out, before the answer), and the events carry its label."""
    up, events = HeldOpen(), list[Event]()
    detector = Counting(watch=up)
    router = build_router({"default": [up]}, detector=detector, hook=events.append)
    assert not router.resolve(req()).settled  # the route does not depend on the task
    stream = router.stream_complete(req())
    first = asyncio.create_task(anext(stream))
    await asyncio.wait_for(detector.done.wait(), 1.0)
    assert detector.after_open == [True]  # the request went out first
    assert not first.done()  # the upstream is still preparing its answer
    up.release.set()
    assert (await first).text == "bonjour"
    assert [c async for c in stream] == []
    kinds = [type(e) for e in events]
    assert kinds.index(StreamStarted) < kinds.index(TaskDetected) < kinds.index(RouteSelected)
    assert next(e for e in events if isinstance(e, TaskDetected)).task == "translation"
    ended = next(e for e in events if isinstance(e, StreamEnded))
    assert ended.record.task == "translation" and detector.calls == 1


async def test_without_a_hook_nothing_detects_the_label() -> None:
    """Nobody wants the label: the detector never runs."""
    detector, up = Counting(), HeldOpen()
    up.release.set()
    router = build_router({"default": [up]}, detector=detector, hook=None)
    assert [c.text async for c in router.stream_complete(req())] == ["bonjour"]
    assert detector.calls == 0


async def test_reading_the_label_detects_it_once() -> None:
    """A deferred resolution detects when its label is read (the gateway's task
    header), once."""
    detector = Counting()
    router = build_router({"default": [HeldOpen()]}, detector=detector, hook=None)
    res = router.resolve(req("auto"))
    assert (res.settled, detector.calls) == (False, 0)
    assert (res.task, res.task, res.reasons) == ("translation", "translation", ("test",))
    assert res.settled and detector.calls == 1


async def test_a_route_named_after_a_task_is_chosen_by_the_detected_task() -> None:
    """When routes are named after tasks the route depends on the label: it is
    detected before anything is sent."""
    detector, up = Counting(), HeldOpen()
    routes = {"translation": [up], "default": [HeldOpen(name="q")]}
    router = build_router(routes, detector=detector)
    res = router.resolve(req())
    assert res.settled and res.route.name == "translation" and detector.calls == 1


async def test_a_failed_stream_still_reports_its_task_and_route() -> None:
    """If no candidate answers, the task and route are still reported, before the
    stream's end."""
    detector, events = Counting(), list[Event]()
    up = HeldOpen(fail=errors.ServerError("down", provider="p", status=500))
    up.release.set()
    router = build_router(
        {"default": [up]}, detector=detector, hook=events.append, rescue=RescueConfig.off()
    )
    with pytest.raises(errors.AllProvidersFailed):
        _ = [c async for c in router.stream_complete(req())]
    kinds = [type(e) for e in events]
    assert kinds.index(TaskDetected) < kinds.index(RouteSelected) < kinds.index(StreamEnded)
    assert next(e for e in events if isinstance(e, StreamEnded)).record.task == "translation"
