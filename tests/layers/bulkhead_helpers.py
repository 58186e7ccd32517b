"""A provider whose streams are held open by events, for the bulkhead tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from llm_router import ChatRequest, StreamChunk, errors


class Held:
    """Each stream sends ``first`` at once, then waits for its own event (see
    :meth:`finish`) before sending the finish chunk; ``fail`` is raised before the first
    chunk instead, ``fail_after_first`` after it.

    ``opened`` lists the request ids in the order the streams reached the provider;
    ``closed`` counts streams that ended, however they ended.
    """

    def __init__(self, name: str = "p") -> None:
        self.name = name
        self.model = f"{name}-1"
        self.opened: list[str] = []
        self.closed = 0
        self.fail: errors.ProviderError | None = None
        self.fail_after_first: errors.ProviderError | None = None
        self._gates: dict[str, asyncio.Event] = {}

    def gate(self, request_id: str) -> asyncio.Event:
        """The event that lets stream ``request_id`` finish."""
        return self._gates.setdefault(request_id, asyncio.Event())

    def finish(self, request_id: str) -> None:
        """Let stream ``request_id`` send its finish chunk."""
        self.gate(request_id).set()

    async def stream_complete(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """One chunk, a wait for the stream's event, the finish chunk."""
        self.opened.append(request.request_id)
        try:
            if self.fail is not None:
                raise self.fail
            yield StreamChunk("first ", self.name, self.model)
            if self.fail_after_first is not None:
                raise self.fail_after_first
            await self.gate(request.request_id).wait()
            yield StreamChunk("last", self.name, self.model, index=1, finish_reason="stop")
        finally:
            self.closed += 1


def req(request_id: str, **kw: Any) -> ChatRequest:
    """A request with a readable id."""
    return ChatRequest(messages=[{"role": "user", "content": "hi"}], request_id=request_id, **kw)


async def still_pending(*tasks: asyncio.Task[object], within: float = 0.02) -> bool:
    """Whether none of ``tasks`` finishes within ``within`` seconds (a held stream)."""
    done, _ = await asyncio.wait(tasks, timeout=within)
    return not done
