"""Shared fixtures: a fake clock and sleep, so no test waits for real time."""

from __future__ import annotations

import asyncio

import pytest


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
