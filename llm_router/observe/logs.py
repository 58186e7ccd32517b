"""Structured logs for routed streams (docs/DESIGN.md §5), with structlog.

The library never configures logging: importing it changes nothing. The CLI and the
gateway call :func:`configure_logging` (JSON lines in production, readable console
output on a terminal, secrets and message content redacted); so can an application,
in one call: it also makes :class:`Logs` the hook of routers built afterwards without
one. :class:`Logs` is a hook that turns the router's events into log events with
key/value fields: one per stream when it ends, ``stream.completed`` or
``stream.failed`` (with the route, its candidates and the task: what was decided at
the start is logged with the outcome), and ``retry``, ``fallback``,
``circuit.state_change`` and ``stream.rescued`` when they happen, each carrying the
request's ``request_id``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from typing import Any, TextIO

import structlog

from llm_router.observe import (
    BreakerChanged,
    Event,
    FellBack,
    Rescued,
    Retried,
    RouteSelected,
    StreamEnded,
    StreamStarted,
    set_default_hook,
)
from llm_router.observe._chain import capture_stdlib, chain
from llm_router.observe._direct import Direct
from llm_router.redact import redact_text, register_env_secrets

LOGGER_NAME = "llm_router"

# The request whose route was last selected in this context: a breaker transition
# (which has no request id of its own) happens inside that request's stream. Set on
# RouteSelected, which logs nothing itself: its fields are in the stream's end line.
_routing: ContextVar[str | None] = ContextVar("llm_router_routing_request", default=None)
# The stream-end line's short cut through the chain configure_logging installed.
_direct: list[Direct | None] = [None]
_STRINGS = (
    "request_id", "provider", "model", "upstream_model", "task", "route", "candidates",
    "outcome", "error", "error_message",
)  # fmt: skip
_STRINGS_OK = _STRINGS[:-2]


def configure_logging(
    *,
    json: bool | None = None,
    level: str = "info",
    include_content: bool = False,
    stream: TextIO | None = None,
    log_streams: bool = True,
) -> None:
    """Configure structlog for an application (the CLI and the gateway call this).

    With ``log_streams`` (the default) it also makes :class:`Logs` the default hook
    (:func:`~llm_router.observe.set_default_hook`): every router built afterwards
    without a ``hook=`` logs its routing decisions, retries, fallbacks and stream ends.
    A router given its own ``hook=`` uses that instead (add ``Logs()`` to it with
    :func:`~llm_router.observe.fan_out` to keep the log lines).

    ``json=None`` chooses JSON lines when ``stream`` (default: ``sys.stderr``) is not
    a terminal, and readable console output when it is. ``level`` filters events
    (``debug``, ``info``, ``warning``, ``error``). Secrets are always redacted;
    message content only appears with ``include_content=True`` (for debugging).
    Exceptions are rendered without local variables, so a key held in a local never
    reaches a log. Records of the standard ``logging`` module (aiohttp's, asyncio's:
    warnings and errors, tracebacks included) go through the same processors, so with
    JSON every event is one JSON line. Each call replaces the previous configuration.
    """
    out = sys.stderr if stream is None else stream
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    if json is None:
        json = not (hasattr(out, "isatty") and out.isatty())
    register_env_secrets()
    processors = chain(json, include_content, out)
    capture_stdlib(out, numeric, processors)
    factory = structlog.WriteLoggerFactory(file=out)  # PrintLogger, minus print()
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
    _direct[0] = Direct(processors, numeric, factory)
    if log_streams:
        set_default_hook(Logs())


def bind_request_id(request_id: str) -> Mapping[str, Token[Any]]:
    """Bind ``request_id`` to every log event of the current asyncio task (and of
    tasks it starts later). Returns tokens for ``structlog.contextvars.reset_contextvars``."""
    return structlog.contextvars.bind_contextvars(request_id=request_id)


def bound_request_id() -> str | None:
    """The request id bound in the current context, if any."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return None if value is None else str(value)


def get_logger(name: str = LOGGER_NAME) -> Any:
    """The structlog logger llm_router emits on (configured by the application)."""
    return structlog.get_logger(name)


class Logs:
    """The log hook: one event per stream when it ends (task, route, candidates,
    outcome, timings, tokens), and one per retry, fallback, rescue attempt and breaker
    transition, with key/value fields (never formatted strings).

    Error messages are scrubbed of key-looking strings here too, so events are safe
    even when the application did not install the redacting processors.
    """

    def __init__(self, logger: Any = None) -> None:
        self._given = logger
        self._bound: tuple[tuple[Any, Any, Any], Any] = ((None, None, None), None)
        self._on: dict[type[Any], Callable[[Any], None]] = {
            RouteSelected: self._route_selected,
            StreamStarted: self._route_selected,
            Retried: self._retried,
            FellBack: self._fell_back,
            Rescued: self._rescued,
            BreakerChanged: self._breaker_changed,
            StreamEnded: self._stream_ended,
        }

    @property
    def log(self) -> Any:
        """The logger: the one given, else llm_router's structlog logger, bound once
        per structlog configuration (binding a logger on every event costs as much as
        rendering it; a new configuration, e.g. another :func:`configure_logging`
        call, is seen at the next event)."""
        if self._given is not None:
            return self._given
        config = structlog.get_config()
        procs, wrapper, factory = (
            config["processors"],
            config["wrapper_class"],
            config["logger_factory"],
        )
        (old_procs, old_wrapper, old_factory), bound = self._bound
        if procs is not old_procs or wrapper is not old_wrapper or factory is not old_factory:
            bound = get_logger().bind()
            self._bound = ((procs, wrapper, factory), bound)
        return bound

    def __call__(self, event: Event) -> None:
        """Log ``event`` (a hook: events without a log line are ignored)."""
        on = self._on.get(type(event))
        if on is not None:
            on(event)

    def _route_selected(self, event: RouteSelected | StreamStarted) -> None:
        """Remember the request being routed in this context (for breaker transitions,
        from the first candidate's start on); the route and its candidates are logged
        with the stream's end."""
        _routing.set(event.request_id)

    def _retried(self, event: Retried) -> None:
        self.log.warning(
            "retry",
            request_id=event.request_id,
            provider=event.provider,
            reason=event.reason,
            attempt=event.attempt,
            wait_s=round(event.wait_s, 3),
        )

    def _fell_back(self, event: FellBack) -> None:
        self.log.warning(
            "fallback",
            request_id=event.request_id,
            task=event.task,
            from_provider=event.from_provider,
            to_provider=event.to_provider,
            reason=event.reason,
            **({} if event.detail is None else {"detail": event.detail}),
        )

    def _rescued(self, event: Rescued) -> None:
        ok = event.outcome == "rescued"
        (self.log.info if ok else self.log.warning)(
            "stream.rescued" if ok else "stream.rescue_failed",
            request_id=event.request_id,
            from_provider=event.from_provider,
            provider=event.provider,
            strategy=event.strategy,
            outcome=event.outcome,
            delivered_chars=event.delivered_chars,
            extra_chars=event.extra_chars,
            error=redact_text(event.error) if event.error else None,
        )

    def _breaker_changed(self, event: BreakerChanged) -> None:
        """Log ``circuit.state_change``, with the id of the request being routed in this
        context (``None`` for a transition seen outside any request, e.g. from Redis)."""
        method = self.log.warning if event.new == "open" else self.log.info
        method(
            "circuit.state_change",
            request_id=bound_request_id() or _routing.get(),
            provider=event.provider,
            from_state=event.old,
            to_state=event.new,
            source=event.source,
        )

    def _stream_ended(self, event: StreamEnded) -> None:
        """Log ``stream.completed`` (success) or ``stream.failed`` (anything else)."""
        record = event.record
        usage = record.usage
        fields: dict[str, Any] = {
            "request_id": record.request_id,
            "provider": record.provider,
            "model": record.model,
            "upstream_model": record.upstream_model,
            "task": record.task,
            "route": record.route,
            "candidates": list(record.candidates),
            "outcome": record.outcome,
            "ttft_s": None if record.ttft_s is None else round(record.ttft_s, 4),
            "duration_s": round(record.duration_s, 4),
            "input_tokens": None if usage is None else usage.input_tokens,
            "output_tokens": None if usage is None else usage.output_tokens,
            "cached_input_tokens": None if usage is None else usage.cached_input_tokens,
            "chunks": record.chunks,
            "fallbacks": record.fallbacks,
        }
        if record.outcome == "success":
            name, level = "stream.completed", "info"
        else:
            name, level = "stream.failed", "info" if record.outcome == "cancelled" else "error"
            fields["error"] = record.error
            fields["error_message"] = (
                None if record.error_message is None else redact_text(record.error_message)
            )
        direct = _direct[0]
        if self._given is None and direct is not None and direct.current():
            strings = _STRINGS_OK if record.outcome == "success" else _STRINGS
            direct.write(level, name, fields, strings)  # the same line, the same chain
        else:
            getattr(self.log, level)(name, **fields)
