"""The policy format, written once as a table of shapes (docs/DESIGN.md §6).

:data:`POLICY` drives the loader's structural checks and :func:`schema` renders it as
the JSON Schema (draft 2020-12) that ``llm-router schema`` prints for editors::

    # yaml-language-server: $schema=llm-router-policy.schema.json
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llm_router.policy.compound import ListOf, MapOf, Obj, OneOf, Variant
from llm_router.policy.load import Document, PathT
from llm_router.policy.shapes import Bool, Json, Num, Str
from llm_router.providers.scripted import FAULT_KINDS
from llm_router.types import TASK_NAMES

SCHEMA_ID = "https://llm-router.dev/schemas/policy.schema.json"
"""The ``$id`` of the policy schema."""

PROVIDER_TYPES: tuple[str, ...] = (
    "openai",
    "azure",
    "openrouter",
    "openai_compatible",
    "anthropic",
    "gemini",
    "ollama",
    "scripted",
)
"""Provider ``type`` values; the four OpenAI-shaped ones use the ``openai`` wire format."""

TEXT_TASKS: tuple[str, ...] = tuple(
    t for t in TASK_NAMES if t not in ("tool_use", "vision", "long_context")
)
"""Tasks decided from the prompt text, which detector rules may score."""

NAME_PATTERN = r"[a-z][a-z0-9_.-]{0,62}"
"""Provider, task and route names: they become metric labels and model aliases."""

_NAME_HINT = (
    "names start with a lowercase letter and use only a-z, 0-9, '_', '.', '-' "
    "(at most 63 characters), since they become metric labels"
)


def _name(what: str) -> Str:
    return Str(f"A {what}.", what=what, pattern=NAME_PATTERN, hint=_NAME_HINT)


def _seconds(doc: str) -> Num:
    return Num(f"{doc} (seconds, > 0).", exclusive_minimum=0)


def _count(doc: str, minimum: int = 1) -> Num:
    return Num(doc, integer=True, minimum=minimum)


@dataclass(frozen=True)
class NeedsObj(Obj):
    """An :class:`Obj` some of whose keys only mean something beside another key:
    ``needs`` pairs ``(key, required_key)`` (JSON Schema ``dependentRequired``)."""

    needs: tuple[tuple[str, str], ...] = ()

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """The object's checks, then each key present without the key it needs."""
        super().check(doc, value, path)
        for key, other in self.needs if isinstance(value, dict) else ():
            if key in value and other not in value:
                doc.issue((*path, key), f"'{key}' only applies with '{other}'; set '{other}' too")

    def schema(self) -> Json:
        """The object's schema with ``dependentRequired``."""
        out = super().schema()
        deps: dict[str, list[str]] = {}
        for key, other in self.needs:
            deps.setdefault(key, []).append(other)
        return {**out, "dependentRequired": deps} if deps else out


TIMEOUTS = Obj(
    {
        "connect": _seconds("TCP/TLS connect timeout"),
        "first_token": _seconds("From sending the request to the first content chunk"),
        "idle": _seconds("Longest gap between two chunks after the first"),
        "total": _seconds("The whole stream"),
    },
    "Provider timeouts (docs/DESIGN.md §2).",
)
RETRY = Obj(
    {
        "attempts": _count("Attempts in all, per candidate (1 = no retry)."),
        "initial": _seconds("First backoff wait"),
        "max_wait": _seconds("Longest backoff wait"),
        "max_retry_after": Num(
            "A Retry-After above this fails at once so routing moves on (seconds).", minimum=0
        ),
        "retry_timeouts": Bool("Retry a first-token timeout in place (default: fail over)."),
    },
    "Retry of the setup phase (docs/DESIGN.md §3).",
)
BREAKER = Obj(
    {
        "fail_max": _count("Consecutive failures that open the breaker."),
        "reset_timeout": _seconds(
            "First open period, before one trial stream (one attempt) is admitted;"
            " doubled after each failed trial (default 1)"
        ),
        "max_reset_timeout": _seconds(
            "Longest open period, >= reset_timeout (default 30, or reset_timeout if longer)"
        ),
        "jitter": Num(
            "Each open period is stretched by a random fraction up to this (default 0.2).",
            minimum=0,
            maximum=1,
        ),
        "success_threshold": _count("Successful trials that close it again."),
    },
    "Circuit breaker of each deployment; its open period adapts (docs/DESIGN.md §4.1).",
)
PRICES = Obj(
    {
        "input_per_mtok": Num("USD per million input tokens.", minimum=0),
        "output_per_mtok": Num("USD per million output tokens.", minimum=0),
        "cached_input_per_mtok": Num(
            "USD per million input tokens read from the prompt cache (default: input).",
            minimum=0,
        ),
        "cache_write_per_mtok": Num(
            "USD per million input tokens written to the prompt cache (default: input).",
            minimum=0,
        ),
    },
    "Prices, for the cost_usd_total metric.",
    required=("input_per_mtok", "output_per_mtok"),
)
CAPABILITIES = Obj(
    {
        "context_window": _count("The model's context window in tokens."),
        "max_output_tokens": _count("The longest answer the model gives, in tokens."),
        "tools": Bool("Takes function tools (default: yes)."),
        "vision": Bool("Takes image parts (default: yes; no for ollama and openai_compatible)."),
        "json_schema": Bool("Honours response_format json_schema (default: yes)."),
        "prefill": Bool("Continues a final assistant message (stream rescue)."),
    },
    "What the deployment can serve (docs/DESIGN.md §4.6): requests it cannot serve are "
    "routed to the next candidate before any call. Overrides the provider type's "
    "defaults, and the context_window and prefill keys beside it.",
)
FAULT = Obj(
    {
        "kind": Str("How the call fails.", enum=FAULT_KINDS, what="fault kind"),
        "after_chunks": _count("Chunks sent before failing (0: before the first).", 0),
        "retry_after": Num("Retry-After of a rate_limited fault (seconds).", minimum=0),
        "message": Str("The error message."),
    },
    "A scripted failure.",
    required=("kind",),
)
SCRIPT = Obj(
    {
        "text": Str("The answer streamed, one word per chunk."),
        "chunk_delay": Num("Seconds between chunks.", minimum=0),
        "first_token_delay": Num("Seconds before the first chunk.", minimum=0),
        "model": Str("The model name the upstream reports (Completion.upstream_model)."),
        "fault": FAULT,
    },
    "What one call of a scripted provider does (the last script repeats).",
)
_SCRIPTED = frozenset({"scripted"})
_HTTP = frozenset(PROVIDER_TYPES) - _SCRIPTED
PROVIDER = NeedsObj(
    {
        "type": Str("Which API the provider speaks.", enum=PROVIDER_TYPES, what="provider type"),
        "model": Str("The upstream model (the deployment name on Azure).", min_length=1),
        "base_url": Str("The API base URL (defaults per type).", min_length=1),
        "api_key": Str("The API key, as ${ENV_VAR} (default: the type's usual variable)."),
        "api_version": Str("Azure OpenAI api-version."),
        "headers": MapOf(
            Str(what="header name", pattern=r"[A-Za-z0-9-]+", hint="an HTTP header name"),
            Str(),
            "Extra HTTP headers sent with every request.",
        ),
        "timeouts": TIMEOUTS,
        "retry": RETRY,
        "breaker": BREAKER,
        "max_concurrency": _count("Most concurrent streams to this provider (a bulkhead)."),
        "max_waiting": _count(
            "Streams that may queue for a slot when all are in use, FIFO (default: "
            "max_concurrency; 0: fail over at once).",
            0,
        ),
        "wait_timeout": _seconds(
            "Longest wait in that queue before failing over (default: the request deadline)"
        ),
        "prices": PRICES,
        "context_window": _count("The model's context window in tokens."),
        "prefill": Bool(
            "Whether the deployment continues a final assistant message, used to rescue a "
            "broken stream (default: anthropic and scripted yes, the others no)."
        ),
        "capabilities": CAPABILITIES,
        "text": Str("Scripted: the answer streamed."),
        "chunk_delay": Num("Scripted: seconds between chunks.", minimum=0),
        "first_token_delay": Num("Scripted: seconds before the first chunk.", minimum=0),
        "scripts": ListOf(SCRIPT, "Scripted: one script per call, in order.", min_items=1),
    },
    "One upstream deployment.",
    required=("type",),
    variants=(
        Variant("model", _HTTP, required=True),
        Variant("base_url", frozenset({"azure", "openai_compatible"}), required=True),
        Variant("api_version", frozenset({"azure"})),
        *(Variant(k, _HTTP) for k in ("base_url", "api_key", "headers")),
        *(Variant(k, _SCRIPTED) for k in ("text", "chunk_delay", "first_token_delay", "scripts")),
    ),
    needs=(("max_waiting", "max_concurrency"), ("wait_timeout", "max_concurrency")),
)
CANDIDATE = OneOf(
    (
        _name("provider name"),
        Obj(
            {
                "provider": _name("provider name"),
                "model": Str("Model override for this route.", min_length=1),
                "weight": Num("Share of traffic among equal-rank candidates.", exclusive_minimum=0),
                "context_window": _count("Context window of this model, if overridden."),
                "capabilities": CAPABILITIES,
            },
            "A candidate with options.",
            required=("provider",),
        ),
    ),
    "A provider name, or {provider, model, weight}.",
)
_CANDIDATES = ListOf(CANDIDATE, "Candidates in order of preference.", min_items=1)
RESCUE = OneOf(
    (
        Bool("off (YAML reads it as false) or false: no rescue; true: the default rescue."),
        Str(
            "No rescue: a stream that breaks after its first token ends in an error.",
            enum=("off",),
            what="rescue setting",
        ),
        Obj(
            {
                "strategies": ListOf(
                    Str(enum=("continue", "replay"), what="rescue strategy"),
                    "Strategies in the order tried (default: [continue, replay]).",
                ),
                "max": _count("Most rescue streams per request (default 2; 0: off).", 0),
            },
            "Rescue options.",
        ),
    ),
    "Stream rescue after the first token (docs/DESIGN.md §4.5): off, or options.",
)
ROUTE = OneOf(
    (
        _CANDIDATES,
        Obj(
            {
                "candidates": _CANDIDATES,
                "failover_on_content_filter": Bool("Fail over on content-policy refusals."),
                "rescue": RESCUE,
            },
            "A route with options.",
            required=("candidates",),
        ),
    ),
    "A list of candidates, or {candidates, options}.",
)
TASKS = Obj(
    {
        "long_context_tokens": _count("Prompt tokens above which the task is long_context."),
        "rules": ListOf(
            Obj(
                {
                    "task": Str("The task scored.", enum=TEXT_TASKS, what="task"),
                    "pattern": Str("A case-insensitive regular expression.", min_length=1),
                    "weight": Num("Score added when the pattern matches."),
                },
                "An extra detection rule.",
                required=("task", "pattern"),
            ),
            "Extra rules, added to the built-in ones.",
        ),
        "disabled": ListOf(Str(enum=TASK_NAMES, what="task"), "Tasks never detected."),
    },
    "Task detection (docs/DESIGN.md §4.2).",
)
BREAKER_STORAGE = OneOf(
    (
        Str("Each process keeps its own breakers.", enum=("memory",), what="breaker storage"),
        Obj(
            {
                "redis": Str("redis://, rediss:// or unix:// URL.", min_length=1),
                "key_prefix": Str("Prefix of the Redis keys.", min_length=1),
            },
            "Share breaker state between replicas through Redis.",
            required=("redis",),
        ),
    ),
    "Where breaker state lives.",
)
SERVER = Obj(
    {
        "host": Str("Address to listen on.", min_length=1),
        "port": Num("TCP port (0: any free port).", integer=True, minimum=0, maximum=65535),
        "api_keys": ListOf(Str(min_length=1), "Client bearer keys (none: open gateway)."),
        "max_body_bytes": _count("Largest request body accepted."),
        "shutdown_grace": Num("Seconds streams may finish after SIGTERM.", minimum=0),
        "header_timeout": _seconds("Time a client has to send a request's headers (then 408)"),
        "body_timeout": _seconds("Time a client has to send a request's body (then 408)"),
        "keepalive_timeout": _seconds("Idle time after which a keep-alive connection closes"),
    },
    "The gateway (docs/DESIGN.md §7).",
)
LOGGING = Obj(
    {
        "level": Str(enum=("debug", "info", "warning", "error"), what="log level"),
        "json": Bool("JSON lines (true), console (false), or by terminal (null).", nullable=True),
        "include_content": Bool("Log message content (debugging only)."),
    },
    "Structured logs (docs/DESIGN.md §5).",
)
POLICY = Obj(
    {
        "version": Num("Format version.", integer=True, minimum=1, maximum=1),
        "defaults": Obj(
            {"timeouts": TIMEOUTS, "retry": RETRY, "breaker": BREAKER},
            "Settings every provider starts from.",
        ),
        "providers": MapOf(_name("provider name"), PROVIDER, "Upstreams by name.", min_items=1),
        "tasks": TASKS,
        "routes": MapOf(_name("route name"), ROUTE, "Routes by task or alias.", min_items=1),
        "breaker_storage": BREAKER_STORAGE,
        "server": SERVER,
        "logging": LOGGING,
        "deadline": _seconds("Request-wide deadline shared by retries and failovers"),
        "rescue": RESCUE,
    },
    "An llm_router policy.",
    required=("providers", "routes"),
)
"""The whole policy format."""


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of policy files."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "llm_router policy",
        **POLICY.schema(),
    }
