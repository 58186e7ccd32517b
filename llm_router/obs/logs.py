"""Structured logs for routed streams (SPEC §5), with structlog.

The library never configures logging: importing it changes nothing. The CLI and the
gateway call :func:`configure_logging` (JSON lines in production, readable console
output on a terminal, secrets and message content redacted). :class:`LogObserver`
turns the router's hooks into events with key/value fields: ``route.selected``,
``retry``, ``fallback``, ``circuit.state_change``, ``stream.completed`` and
``stream.failed``, each carrying the request's ``request_id``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar, Token
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import Processor

from llm_router.obs.redact import Redactor, redact_text, register_env_secrets
from llm_router.observe import BreakerState, NullObserver, StreamRecord

LOGGER_NAME = "llm_router"

# The request whose route was last selected in this context: a breaker transition
# (which has no request id of its own) happens inside that request's stream.
_routing: ContextVar[str | None] = ContextVar("llm_router_routing_request", default=None)


def configure_logging(
    *,
    json: bool | None = None,
    level: str = "info",
    include_content: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Configure structlog for an application (the CLI and the gateway call this).

    ``json=None`` chooses JSON lines when ``stream`` (default: ``sys.stderr``) is not
    a terminal, and readable console output when it is. ``level`` filters events
    (``debug``, ``info``, ``warning``, ``error``). Secrets are always redacted;
    message content only appears with ``include_content=True`` (for debugging).
    Exceptions are rendered without local variables, so a key held in a local never
    reaches a log. Each call replaces the previous configuration.
    """
    out = sys.stderr if stream is None else stream
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    if json is None:
        json = not (hasattr(out, "isatty") and out.isatty())
    register_env_secrets()
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        processors.append(
            structlog.processors.ExceptionRenderer(
                ExceptionDictTransformer(show_locals=False, use_rich=False)
            )
        )
    else:
        processors.append(structlog.processors.format_exc_info)
    processors.append(Redactor(include_content=include_content))
    if json:
        processors.append(structlog.processors.JSONRenderer(sort_keys=False))
    else:
        colors = hasattr(out, "isatty") and out.isatty()
        processors.append(
            structlog.dev.ConsoleRenderer(
                colors=colors, exception_formatter=structlog.dev.plain_traceback
            )
        )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=out),  # PrintLogger, minus print()
        cache_logger_on_first_use=False,
    )


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


class LogObserver(NullObserver):
    """The log observer: one event per routing decision, retry, fallback, breaker
    transition and stream end, with key/value fields (never formatted strings).

    Error messages are scrubbed of key-looking strings here too, so events are safe
    even when the application did not install the redacting processors.
    """

    def __init__(self, logger: Any = None) -> None:
        self.log = get_logger() if logger is None else logger

    def route_selected(
        self, request_id: str, task: str, route: str, candidates: Sequence[str]
    ) -> None:
        """Log ``route.selected``."""
        _routing.set(request_id)
        self.log.info(
            "route.selected",
            request_id=request_id,
            task=task,
            route=route,
            candidates=list(candidates),
        )

    def retry(
        self, request_id: str, provider: str, reason: str, attempt: int, wait_s: float
    ) -> None:
        """Log ``retry``."""
        self.log.warning(
            "retry",
            request_id=request_id,
            provider=provider,
            reason=reason,
            attempt=attempt,
            wait_s=round(wait_s, 3),
        )

    def fallback(
        self, request_id: str, task: str, from_provider: str, to_provider: str, reason: str
    ) -> None:
        """Log ``fallback``."""
        self.log.warning(
            "fallback",
            request_id=request_id,
            task=task,
            from_provider=from_provider,
            to_provider=to_provider,
            reason=reason,
        )

    def circuit_state_change(
        self, provider: str, old: BreakerState, new: BreakerState, *, source: str = "local"
    ) -> None:
        """Log ``circuit.state_change``, with the id of the request being routed in this
        context (``None`` for a transition seen outside any request, e.g. from Redis)."""
        method = self.log.warning if new == "open" else self.log.info
        method(
            "circuit.state_change",
            request_id=bound_request_id() or _routing.get(),
            provider=provider,
            from_state=old,
            to_state=new,
            source=source,
        )

    def stream_finished(self, record: StreamRecord) -> None:
        """Log ``stream.completed`` (success) or ``stream.failed`` (anything else)."""
        usage = record.usage
        fields: dict[str, Any] = {
            "request_id": record.request_id,
            "provider": record.provider,
            "model": record.model,
            "task": record.task,
            "route": record.route,
            "outcome": record.outcome,
            "ttft_s": None if record.ttft_s is None else round(record.ttft_s, 4),
            "duration_s": round(record.duration_s, 4),
            "input_tokens": None if usage is None else usage.input_tokens,
            "output_tokens": None if usage is None else usage.output_tokens,
            "chunks": record.chunks,
            "fallbacks": record.fallbacks,
        }
        if record.outcome == "success":
            self.log.info("stream.completed", **fields)
            return
        fields["error"] = record.error
        fields["error_message"] = (
            None if record.error_message is None else redact_text(record.error_message)
        )
        method = self.log.info if record.outcome == "cancelled" else self.log.error
        method("stream.failed", **fields)
