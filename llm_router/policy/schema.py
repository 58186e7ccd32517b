"""The policy format, written once as a table of shapes (docs/DESIGN.md §6); the
``providers:`` entries are in :mod:`.schema_providers`.

:data:`POLICY` drives the loader's structural checks and :func:`schema` renders it as
the JSON Schema (draft 2020-12) that ``llm-router schema`` prints for editors::

    # yaml-language-server: $schema=llm-router-policy.schema.json
"""

from __future__ import annotations

from typing import Any

from llm_router.policy.compound import ListOf, MapOf, Obj, OneOf
from llm_router.policy.schema_providers import BREAKER, CAPABILITIES, PROVIDER, RETRY, TIMEOUTS
from llm_router.policy.shapes import Bool, Num, Str, count, seconds
from llm_router.types import TASK_NAMES

SCHEMA_ID = "https://llm-router.dev/schemas/policy.schema.json"
"""The ``$id`` of the policy schema."""

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


CANDIDATE = OneOf(
    (
        _name("provider name"),
        Obj(
            {
                "provider": _name("provider name"),
                "model": Str("Model override for this route.", min_length=1),
                "weight": Num("Share of traffic among equal-rank candidates.", exclusive_minimum=0),
                "context_window": count("Context window of this model, if overridden."),
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
                "max": count("Most rescue streams per request (default 2; 0: off).", 0),
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
        "long_context_tokens": count("Prompt tokens above which the task is long_context."),
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
        "max_body_bytes": count("Largest request body accepted."),
        "shutdown_grace": Num("Seconds streams may finish after SIGTERM.", minimum=0),
        "header_timeout": seconds("Time a client has to send a request's headers (then 408)"),
        "body_timeout": seconds("Time a client has to send a request's body (then 408)"),
        "keepalive_timeout": seconds("Idle time after which a keep-alive connection closes"),
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
        "deadline": seconds("Request-wide deadline shared by retries and failovers"),
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
