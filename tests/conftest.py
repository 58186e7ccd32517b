"""Shared fixtures: a fake clock and sleep, so no test waits for real time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from llm_router.observe import default_hook, set_default_hook


class FakeClock:
    """A monotonic clock that only moves when ``sleep`` is awaited (or ``advance``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture(autouse=True)
def _restore_default_hook() -> Iterator[None]:
    """``configure_logging()`` installs a default log hook for routers built later; a
    test that calls it must not leave it to the next ones."""
    before = default_hook()
    yield
    set_default_hook(before)
