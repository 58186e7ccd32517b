"""Running the gateway: start, reload on SIGHUP, drain on SIGTERM.

:class:`GatewayServer` owns one aiohttp runner in front of the router built from a
policy. It serves with ``handler_cancellation=True``: a client that disconnects
cancels its handler in every phase, which closes the routed stream and the upstream
connection at once (the breaker records nothing: a cancelled stream is neutral).

- **Reload** (:meth:`GatewayServer.reload`, SIGHUP): the file is loaded and validated
  again; a valid policy applies to new requests while streams in flight finish on
  the old router, and breakers of deployments that did not change keep their state.
  An invalid one is rejected, its issues logged, and the old policy kept.
- **Shutdown** (:meth:`GatewayServer.shutdown`, SIGTERM/SIGINT): stop accepting
  connections, report not-ready, let requests in flight finish for up to
  ``server.shutdown_grace`` seconds, then end the rest with an error (an SSE error
  event, never a ``[DONE]``), close the router and exit.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from llm_router.errors import LLMRouterError, PolicyError
from llm_router.gateway.app import STATE, create_app
from llm_router.gateway.state import GatewayState
from llm_router.obs.logs import LogObserver, get_logger
from llm_router.observe import MultiObserver, Observer
from llm_router.policy import Policy, build_router, load_policy
from llm_router.policy.build import shared_state_of

log = get_logger("llm_router.gateway")


class GatewayServer:
    """The gateway on ``policy``, listening on ``host``/``port`` (override the policy's
    ``server`` settings; port 0 picks a free port, see :attr:`port`).

    ``observers`` receive the router's events besides the built-in metrics and logs
    (the demo uses one to narrate); the logs and the Prometheus metrics (on
    ``registry``, a fresh one by default, exposed on ``/metrics``) are always on.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        host: str | None = None,
        port: int | None = None,
        observers: Sequence[Observer] = (),
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.policy = policy
        self.host = policy.server.host if host is None else host
        self._port = policy.server.port if port is None else port
        self.registry = CollectorRegistry() if registry is None else registry
        self.observer = MultiObserver([LogObserver(), *observers])
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.state: GatewayState | None = None
        self.started = asyncio.Event()
        """Set once the server listens (after the ``gateway.started`` log event)."""

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return self._site.port if self._site is not None else self._port

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8080/v1``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    async def start(self) -> None:
        """Build the router and start listening."""
        router = build_router(self.policy, observer=self.observer, registry=self.registry)
        app = create_app(
            router,
            api_keys=self.policy.server.api_keys,
            registry=self.registry,
            max_body_bytes=self.policy.server.max_body_bytes,
            policy_path=self.policy.file,
        )
        self.state = app[STATE]
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self._port)
        await self._site.start()
        log.info(
            "gateway.started",
            host=self.host,
            port=self.port,
            url=self.url,
            policy=self.policy.file,
            routes=list(router.routes),
        )
        self.started.set()
        if not self.policy.server.api_keys:
            log.warning(
                "gateway.open_access",
                detail="no server.api_keys in the policy: any client may call the gateway",
            )

    async def reload(self, path: str | Path | None = None) -> bool:
        """Load the policy file again (or ``path``); apply it if valid. Returns success."""
        assert self.state is not None, "start() first"
        file = str(path or self.policy.file)
        try:
            policy = load_policy(file)
            router = build_router(
                policy, observer=self.observer, registry=self.registry, previous=self.state.router
            )
        except PolicyError as exc:
            log.error("policy.reload_rejected", file=file, issues=[str(i) for i in exc.issues])
            return False
        except (LLMRouterError, ValueError, OSError) as exc:
            log.error("policy.reload_rejected", file=file, issues=[str(exc)])
            return False
        if policy.server.max_body_bytes != self.policy.server.max_body_bytes:
            log.warning("policy.reload_partial", detail="server.max_body_bytes needs a restart")
        self.state.swap(router, api_keys=policy.server.api_keys)
        self.state.policy_path = file
        self.policy = policy
        log.info("policy.reloaded", file=file, routes=list(router.routes))
        return True

    async def shutdown(self, grace: float | None = None) -> int:
        """Drain and stop (see the module doc); returns how many requests were cut."""
        if self._runner is None or self.state is None:
            return 0
        grace = self.policy.server.shutdown_grace if grace is None else grace
        log.info("gateway.draining", inflight=self.state.inflight, grace_s=grace)
        self.state.draining = True
        for site in list(self._runner.sites):
            await site.stop()
        cut = await self.state.drain(grace)
        await self._runner.cleanup()
        shared = shared_state_of(self.state.router)
        await self.state.router.aclose()
        aclose = getattr(shared, "aclose", None)
        if aclose is not None:  # the Redis connection of the breakers' shared state
            await aclose()
        self._runner = None
        log.info("gateway.stopped", cut_requests=cut)
        return cut


async def serve(policy: Policy, *, host: str | None = None, port: int | None = None) -> None:
    """Run the gateway on ``policy`` until SIGTERM or SIGINT; SIGHUP reloads its file."""
    await run_until_stopped(GatewayServer(policy, host=host, port=port))


async def run_until_stopped(server: GatewayServer) -> None:
    """Start ``server`` and serve until SIGTERM or SIGINT, reloading on SIGHUP; then
    shut it down. The signal handlers are in place before ``gateway.started`` is logged,
    so a signal sent as soon as that line appears is never lost."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reloads: set[asyncio.Task[bool]] = set()

    def _reload() -> None:
        task = loop.create_task(server.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload)
    try:
        await server.start()
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        await server.shutdown()
