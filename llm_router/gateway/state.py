"""The gateway's mutable state: the current router, client keys, readiness, requests in flight.

A reload swaps the router for new requests; each request keeps the router it
started on (it took it with :meth:`GatewayState.track`), so streams in flight finish
on the old policy. Shutdown drains: it waits for requests in flight up to a grace
period, then cancels the rest, which then end with an error the client can see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from llm_router.layers.router import Router


class GatewayState:
    """What the handlers read on every request, and what reload and shutdown change."""

    def __init__(
        self,
        router: Router,
        *,
        api_keys: Sequence[str] = (),
        registry: Any = None,
        policy_path: str | None = None,
    ) -> None:
        self.router = router
        self.api_keys: tuple[bytes, ...] = tuple(k.encode() for k in api_keys)
        self.registry = registry
        """The Prometheus registry ``/metrics`` exposes (``None``: the default one)."""
        self.policy_path = policy_path
        self.ready = True
        self.draining = False
        self.reloads = 0
        self._inflight: dict[asyncio.Task[Any], Router] = {}
        self._shutdown: set[asyncio.Task[Any]] = set()
        self.retired: list[Router] = []
        """Routers replaced by a reload (closed at shutdown, see :meth:`swap`)."""

    @property
    def inflight(self) -> int:
        """Number of chat requests being answered right now."""
        return len(self._inflight)

    @contextmanager
    def track(self) -> Iterator[Router]:
        """Register the current task as a request in flight; yields the router to use."""
        task = asyncio.current_task()
        assert task is not None
        router = self._inflight[task] = self.router
        try:
            yield router
        finally:
            self._inflight.pop(task, None)
            self._shutdown.discard(task)

    def swap(self, router: Router, *, api_keys: Sequence[str]) -> Router:
        """Use ``router`` and ``api_keys`` for new requests; returns the old router.

        The old router is not closed here: requests in flight still use it, and its
        providers share the per-loop HTTP session with the new one. It is kept in
        :attr:`retired` and closed at shutdown.
        """
        old = self.router
        self.router = router
        self.api_keys = tuple(k.encode() for k in api_keys)
        self.retired.append(old)
        self.reloads += 1
        return old

    def is_shutdown_cancel(self, task: asyncio.Task[Any] | None) -> bool:
        """Whether ``task`` was cancelled by :meth:`drain` (not by a client disconnect)."""
        return task is not None and task in self._shutdown

    async def drain(self, grace: float) -> int:
        """Stop being ready, wait up to ``grace`` seconds for requests in flight, then
        cancel the rest (they answer with a shutdown error). Returns how many were cut."""
        self.draining = True
        pending = set(self._inflight)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=grace)
        for task in pending:
            self._shutdown.add(task)
            task.cancel("gateway shutdown")
        if pending:
            await asyncio.wait(pending, timeout=5.0)
        return len(pending)

    async def aclose(self) -> None:
        """Close the current and every retired router."""
        for router in (*self.retired, self.router):
            await router.aclose()
