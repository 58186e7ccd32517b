"""The ``providers:`` entries of the policy format (docs/DESIGN.md §6): one
:data:`PROVIDER` shape and the settings it holds (timeouts, retry, breaker, prices,
capabilities, scripted behaviour), which ``defaults:`` and routes reuse.
:mod:`.schema` puts them into the whole format.
"""

from __future__ import annotations

from typing import get_args

from llm_router.policy.compound import ListOf, MapOf, NeedsObj, Obj, Variant
from llm_router.policy.model import ProviderType
from llm_router.policy.shapes import Bool, Num, Str, count, seconds
from llm_router.providers.scripted import FAULT_KINDS

PROVIDER_TYPES: tuple[str, ...] = get_args(ProviderType)
"""Provider ``type`` values; the four OpenAI-shaped ones use the ``openai`` wire format."""

TIMEOUTS = Obj(
    {
        "connect": seconds("TCP/TLS connect timeout"),
        "first_token": seconds("From sending the request to the first content chunk"),
        "idle": seconds("Longest gap between two chunks after the first"),
        "total": seconds("The whole stream"),
    },
    "Provider timeouts (docs/DESIGN.md §2).",
)
RETRY = Obj(
    {
        "attempts": count("Attempts in all, per candidate (1 = no retry)."),
        "initial": seconds("First backoff wait"),
        "max_wait": seconds("Longest backoff wait"),
        "max_retry_after": Num(
            "A Retry-After above this fails at once so routing moves on (seconds).", minimum=0
        ),
        "retry_timeouts": Bool("Retry a first-token timeout in place (default: fail over)."),
    },
    "Retry of the setup phase (docs/DESIGN.md §3).",
)
BREAKER = Obj(
    {
        "fail_max": count("Consecutive failures that open the breaker."),
        "reset_timeout": seconds(
            "First open period, before one trial stream (one attempt) is admitted;"
            " doubled after each failed trial (default 1)"
        ),
        "max_reset_timeout": seconds(
            "Longest open period, >= reset_timeout (default 30, or reset_timeout if longer)"
        ),
        "jitter": Num(
            "Each open period is stretched by a random fraction up to this (default 0.2).",
            minimum=0,
            maximum=1,
        ),
        "success_threshold": count("Successful trials that close it again."),
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
        "context_window": count("The model's context window in tokens."),
        "max_output_tokens": count("The longest answer the model gives, in tokens."),
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
        "after_chunks": count("Chunks sent before failing (0: before the first).", 0),
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
        "max_concurrency": count("Most concurrent streams to this provider (a bulkhead)."),
        "max_waiting": count(
            "Streams that may queue for a slot when all are in use, FIFO (default: "
            "max_concurrency; 0: fail over at once).",
            0,
        ),
        "wait_timeout": seconds(
            "Longest wait in that queue before failing over (default: the request deadline)"
        ),
        "prices": PRICES,
        "context_window": count("The model's context window in tokens."),
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
