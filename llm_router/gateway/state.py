"""The gateway's mutable state: the current router, client keys, readiness, requests in flight.

A reload swaps the router for new requests; each request keeps the router it
started on (it took it with :meth:`GatewayState.track`), so streams in flight finish
on the old policy. A replaced router is let go as soon as its last request ends (at
once if none is in flight): :attr:`GatewayState.on_release` hears of it, so that its
owner closes what that router alone holds, and nothing of it survives the reload.
Shutdown drains: it waits for requests in flight up to a grace period, then cancels
the rest, which then end with an error the client can see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from llm_router.layers.routing import Router

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""Request body limit when the policy sets none (413 above it)."""

DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a client may take to send a request body when the policy sets none."""


class GatewayState:
    """What the handlers read on every request, and what reload and shutdown change.

    ``max_body_bytes``: larger request bodies get 413. ``body_timeout``: seconds a
    client may take to send its request body (then 408).
    """

    def __init__(
        self,
        router: Router,
        *,
        api_keys: Sequence[str] = (),
        registry: Any = None,
        policy_path: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        self.router = router
        self.api_keys: tuple[bytes, ...] = encode_keys(api_keys)
        self.registry = registry
        """The Prometheus registry ``/metrics`` exposes (``None``: the default one)."""
        self.metrics_dir: str | None = None
        """Where the workers of a group write their samples (``/metrics`` merges them
        all); ``None`` for a single process."""
        self.workers = 1
        """How many processes serve the port (``llm-router serve --workers``)."""
        self.policy_path = policy_path
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.ready = True
        self.draining = False
        self.reloads = 0
        self.on_release: Callable[[Router], None] | None = None
        """Called with a replaced router once no request uses it any more."""
        self._inflight: dict[asyncio.Task[Any], Router] = {}
        self._users: dict[Router, int] = {}  # requests in flight per router
        self._shutdown: set[asyncio.Task[Any]] = set()

    @property
    def inflight(self) -> int:
        """Number of chat requests being answered right now."""
        return len(self._inflight)

    def routers(self) -> list[Router]:
        """The current router and every replaced one still answering a request."""
        return [self.router, *(r for r in self._users if r is not self.router)]

    @contextmanager
    def track(self) -> Iterator[Router]:
        """Register the current task as a request in flight; yields the router to use."""
        task = asyncio.current_task()
        assert task is not None
        router = self._inflight[task] = self.router
        self._users[router] = self._users.get(router, 0) + 1
        try:
            yield router
        finally:
            self._inflight.pop(task, None)
            self._shutdown.discard(task)
            left = self._users[router] - 1
            if left:
                self._users[router] = left
            else:
                del self._users[router]
                if router is not self.router:
                    self._release(router)

    def swap(self, router: Router, *, api_keys: Sequence[str]) -> Router:
        """Use ``router`` and ``api_keys`` for new requests; returns the old router.

        The old router is not closed here (its providers share the per-loop HTTP
        session with the new one); it is released, see :attr:`on_release`, at once
        if no request uses it, else when the last one ends.
        """
        old = self.router
        self.router = router
        self.api_keys = encode_keys(api_keys)
        self.reloads += 1
        if old is not router and old not in self._users:
            self._release(old)
        return old

    def _release(self, router: Router) -> None:
        if self.on_release is not None:
            self.on_release(router)

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


def encode_keys(keys: Sequence[str]) -> tuple[bytes, ...]:
    """Client keys as the bytes :func:`~llm_router.gateway.auth.check_bearer` compares."""
    return tuple(k.encode("utf-8", "surrogatepass") for k in keys)
