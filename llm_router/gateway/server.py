"""Running the gateway: start, reload on SIGHUP, drain on SIGTERM.

:class:`GatewayServer` owns one aiohttp runner in front of the router built from a
policy. It serves with ``handler_cancellation=True``: a client that disconnects
cancels its handler in every phase, which closes the routed stream and the upstream
connection at once (the breaker records nothing: a cancelled stream is neutral).

- **Reload** (:meth:`GatewayServer.reload`, SIGHUP): the file is loaded and validated
  again; a valid policy applies to new requests while streams in flight finish on
  the old router, and breakers of deployments that did not change keep their state.
  The old router is let go when its last stream ends (with the Redis connection it
  alone used), so memory stays flat however often the policy is reloaded. An
  invalid policy is rejected, its issues logged, and the old one kept.
- **Shutdown** (:meth:`GatewayServer.shutdown`, SIGTERM/SIGINT): report not-ready
  (``/readyz`` answers 503 ``draining``, new chat requests 503 ``shutting_down``)
  while requests in flight finish, for up to ``server.shutdown_grace`` seconds: the
  listener stays open meanwhile, so a load balancer sees the drain instead of a
  refused connection. Then the rest end with an error (an SSE error event, never a
  ``[DONE]``), the listener closes, the router closes, and the process exits.

Connections get read deadlines (``server.header_timeout``, ``server.body_timeout``)
and idle keep-alive connections close after ``server.keepalive_timeout`` (see
:mod:`._protocol`).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from llm_router.builder import Assembly
from llm_router.errors import LLMRouterError, PolicyError
from llm_router.gateway._protocol import GatewaySite, bind_error
from llm_router.gateway.app import STATE, create_app
from llm_router.gateway.state import GatewayState
from llm_router.layers.routing import Router
from llm_router.observe import Hook, fan_out
from llm_router.observe.logs import Logs, get_logger
from llm_router.policy import Policy, assemble_policy, load_policy
from llm_router.policy.secrets import register_policy_secrets

log = get_logger("llm_router.gateway")


class GatewayServer:
    """The gateway on ``policy``, listening on ``host``/``port`` (override the policy's
    ``server`` settings; port 0 picks a free port, see :attr:`port`).

    ``hooks`` receive the router's events besides the built-in metrics and logs
    (the demo uses one to narrate); the logs and the Prometheus metrics (on
    ``registry``, a fresh one by default, exposed on ``/metrics``) are always on.

    As one worker of a group (:mod:`.workers`): ``reuse_port`` shares the port with
    the others, ``metrics_dir`` is where every worker's samples are merged for
    ``/metrics``, ``workers`` how many there are (shown by ``/v1/router/status``).
    """

    def __init__(
        self,
        policy: Policy,
        *,
        host: str | None = None,
        port: int | None = None,
        hooks: Sequence[Hook] = (),
        registry: CollectorRegistry | None = None,
        reuse_port: bool = False,
        metrics_dir: str | None = None,
        workers: int = 1,
    ) -> None:
        self.policy = policy
        self.host = policy.server.host if host is None else host
        self._port = policy.server.port if port is None else port
        self._group = (reuse_port, metrics_dir, workers)
        self.registry = CollectorRegistry() if registry is None else registry
        self.hook = fan_out(Logs(), *hooks)
        self._runner: web.AppRunner | None = None
        self._site: GatewaySite | None = None
        self._in_use: dict[Router, Assembly] = {}  # the current one, and those in flight
        self._closing: set[asyncio.Task[None]] = set()
        self.state: GatewayState | None = None
        self.assembly: Assembly | None = None
        """What serves new requests: the router, its deployments and shared state."""
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
        register_policy_secrets(self.policy)  # load_policy did; a Policy made in code too
        self.assembly = assemble_policy(self.policy, hook=self.hook, registry=self.registry)
        router = self.assembly.router
        self._in_use[router] = self.assembly
        settings = self.policy.server
        app = create_app(
            router,
            api_keys=settings.api_keys,
            registry=self.registry,
            max_body_bytes=settings.max_body_bytes,
            body_timeout=settings.body_timeout,
            policy_path=self.policy.file,
        )
        self.state = app[STATE]
        self.state.on_release = self._release
        reuse_port, self.state.metrics_dir, self.state.workers = self._group
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        self._site = GatewaySite(
            self._runner,
            self.host,
            self._port,
            header_timeout=settings.header_timeout,
            keepalive_timeout=settings.keepalive_timeout,
            access_log=None,
            reuse_port=reuse_port,
        )
        try:
            await self._site.start()
        except OSError as exc:  # nothing was served: no draining, nothing to stop
            await self._runner.cleanup()
            self._runner = None
            await self.assembly.aclose()
            clear = bind_error(exc, self.host, self._port)
            if clear is exc:
                raise
            raise clear from exc
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
            assembly = assemble_policy(
                policy, hook=self.hook, registry=self.registry, previous=self.assembly
            )
        except PolicyError as exc:
            log.error("policy.reload_rejected", file=file, issues=[str(i) for i in exc.issues])
            return False
        except (LLMRouterError, ValueError, OSError) as exc:
            log.error("policy.reload_rejected", file=file, issues=[str(exc)])
            return False
        self._warn_restart_only(policy)
        self.state.body_timeout = policy.server.body_timeout
        self._in_use[assembly.router] = assembly
        self.state.swap(assembly.router, api_keys=policy.server.api_keys)
        self.state.policy_path = file
        self.policy, self.assembly = policy, assembly
        log.info("policy.reloaded", file=file, routes=list(assembly.router.routes))
        return True

    async def shutdown(self, grace: float | None = None) -> int:
        """Drain and stop (see the module doc); returns how many requests were cut."""
        if self._runner is None or self.state is None:
            return 0
        grace = self.policy.server.shutdown_grace if grace is None else grace
        log.info("gateway.draining", inflight=self.state.inflight, grace_s=grace)
        self.state.draining = True  # probes answer 503 draining; the listener stays open
        cut = await self.state.drain(grace)
        for site in list(self._runner.sites):
            await site.stop()
        await self._runner.cleanup()
        if self._closing:
            await asyncio.wait(self._closing)
        if self.assembly is not None:  # the HTTP session, the breakers' Redis connection
            await self.assembly.aclose()
        self._runner = None
        log.info("gateway.stopped", cut_requests=cut)
        return cut

    def _warn_restart_only(self, policy: Policy) -> None:
        old, new = self.policy.server, policy.server
        for name in ("max_body_bytes", "header_timeout", "keepalive_timeout", "host", "port"):
            if getattr(old, name) != getattr(new, name):
                log.warning("policy.reload_partial", detail=f"server.{name} needs a restart")

    def _release(self, router: Router) -> None:
        """A replaced router's last request ended: drop its assembly, closing the
        shared breaker state (Redis) it owns unless a router still in use shares it.
        The HTTP session stays: it is the event loop's, shared by every router."""
        assembly = self._in_use.pop(router, None)
        if assembly is None or assembly.shared is None:
            return
        sharing = [a for a in self._in_use.values() if a.shared is assembly.shared]
        if not assembly.release_shared():
            return
        if sharing:  # still used: the owner's duty passes to a user
            sharing[0].owns_shared = True
            return
        aclose = getattr(assembly.shared, "aclose", None)
        if aclose is not None:
            task = asyncio.get_running_loop().create_task(aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)


async def serve(policy: Policy, *, host: str | None = None, port: int | None = None) -> None:
    """Run the gateway on ``policy`` until SIGTERM or SIGINT; SIGHUP reloads its file."""
    await run_until_stopped(GatewayServer(policy, host=host, port=port))


async def run_until_stopped(
    server: GatewayServer,
    stop: asyncio.Event | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Start ``server`` and serve until SIGTERM or SIGINT (or until ``stop`` is set),
    reloading on SIGHUP; then shut it down. The signal handlers are in place before
    ``gateway.started`` is logged (and ``on_started`` called), so a signal sent as soon
    as that line appears is never lost; they stay until the drain has ended, so a
    second SIGTERM (a process manager signalling every process of a group, and the
    group's parent forwarding its own) changes nothing."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event() if stop is None else stop
    reloads: set[asyncio.Task[bool]] = set()

    def _reload() -> None:
        if stop.is_set():  # draining: nothing to reload
            return
        task = loop.create_task(server.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload)
    try:
        await server.start()
        if on_started is not None:
            on_started()
        await stop.wait()
    finally:
        try:
            await server.shutdown()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
