"""Steps every provider takes with a request's OpenAI options (docs/DESIGN.md §2.1):
refuse what the table refuses (before any call), log and leave out what it drops,
and read the options whose translation is provider-specific (``response_format``,
``reasoning_effort``) into checked values. The table itself is :mod:`._fields`.

Nothing here logs or quotes a field's value: it may hold the caller's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from llm_router import errors
from llm_router.observe.logs import get_logger
from llm_router.providers._fields import ANTHROPIC, Treatment
from llm_router.types import ChatRequest

log = get_logger("llm_router.providers")

RESPONSE_TYPES = ("text", "json_object", "json_schema")
"""``response_format`` types the providers translate."""

ANTHROPIC_ONLY = "anthropic"
"""An ``extra`` key whose mapping holds options only Anthropic takes, with Anthropic's
values (the Messages door's ``thinking``, ``top_k``, ``service_tier``): merged into an
Anthropic body as they are, left out (logged) by every other provider, whose API would
refuse them (OpenAI: "Unrecognized request argument: thinking")."""

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
"""``reasoning_effort`` values OpenAI documents (``xhigh`` is read as ``high``)."""


def plain(value: Any) -> Any:
    """``value`` with frozen mappings and tuples turned into JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def unsupported(field: str, why: str, provider: str) -> errors.Unsupported:
    """The :class:`~llm_router.errors.Unsupported` error for ``field``."""
    return errors.Unsupported(
        f"{provider} cannot honour {field}: {why}", provider=provider, capability=field, param=field
    )


def dropped(request: ChatRequest, field: str, provider: str, why: str = "no equivalent") -> None:
    """Log (debug) that ``field`` was left out of the request sent to ``provider``;
    silent until logging is configured (a library must not print on its own)."""
    if not structlog.is_configured():
        return
    log.debug(
        "request.field_dropped",
        request_id=request.request_id,
        provider=provider,
        field=field,
        why=why,
    )


def refusal(
    request: ChatRequest,
    table: Mapping[str, Treatment],
    provider: str,
    *,
    any_format: bool = False,
) -> errors.Unsupported | None:
    """The option of ``request`` that ``provider`` cannot honour, or ``None``: a field
    its table refuses, an output modality other than text, a ``response_format`` type
    it does not know (unless ``any_format``: the OpenAI wire sends it as is)."""
    extra = request.extra
    for key in extra:
        treatment = table.get(key)
        if treatment is not None and treatment.action == "refused":
            return unsupported(key, treatment.note or "no equivalent", provider)
    modalities = extra.get("modalities")
    if isinstance(modalities, list | tuple) and any(m != "text" for m in modalities):
        return unsupported("modalities", "only text output is relayed", provider)
    fmt = extra.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if fmt is not None and kind not in RESPONSE_TYPES and not any_format:
        return unsupported("response_format", f"type {str(kind)[:40]!r} is not known", provider)
    return None


def anthropic_only(request: ChatRequest, anthropic: bool, provider: str) -> dict[str, Any]:
    """The options under :data:`ANTHROPIC_ONLY` for ``provider``: all of them for an
    Anthropic one (``anthropic``), none (each logged as dropped) for any other."""
    options = request.extra.get(ANTHROPIC_ONLY)
    if not isinstance(options, Mapping):
        return {}
    if anthropic:
        return dict(plain(options))
    for name in options:
        dropped(request, name, provider, "an option of Anthropic's alone")
    return {}


def split_extra(
    request: ChatRequest, table: Mapping[str, Treatment], provider: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(openai, native)``: the OpenAI fields of ``request.extra`` that ``provider``
    translates or sends as is, and its other keys (the provider's own options, merged
    into the body as they are), as plain JSON values. Dropped fields are logged and
    left out; ``modalities`` (text only, once :func:`refusal` passed) too; the options
    under :data:`ANTHROPIC_ONLY` are Anthropic's native ones, nobody else's."""
    openai: dict[str, Any] = {}
    native: dict[str, Any] = {}
    for key, value in request.extra.items():
        if key == ANTHROPIC_ONLY and isinstance(value, Mapping):
            native.update(anthropic_only(request, table is ANTHROPIC, provider))
            continue
        treatment = table.get(key)
        if treatment is None:
            native[key] = plain(value)
        elif treatment.action == "dropped" or key == "modalities":
            dropped(request, key, provider)
        else:
            openai[key] = plain(value)
    return openai, native


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """A JSON ``response_format``: ``json_object`` (``schema`` is ``{"type": "object"}``)
    or ``json_schema`` with its ``name``, ``schema`` and ``description``."""

    kind: str
    name: str
    schema: dict[str, Any]
    description: str | None = None


def response_format(request: ChatRequest, provider: str) -> ResponseFormat | None:
    """The request's JSON response format, or ``None`` for none or ``text`` (dropped,
    logged). A ``json_schema`` without an object ``schema`` is the caller's error
    (:class:`~llm_router.errors.BadRequest`), as at OpenAI."""
    fmt = request.extra.get("response_format")
    if not isinstance(fmt, Mapping):
        return None
    kind = fmt.get("type")
    if kind == "json_object":
        return ResponseFormat("json_object", format_name(fmt), {"type": "object"})
    if kind != "json_schema":
        dropped(request, "response_format", provider, "text is the default")
        return None
    spec = fmt.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(spec, Mapping) or not isinstance(schema, Mapping):
        raise errors.BadRequest(
            "response_format json_schema needs a 'json_schema' object with a 'schema'",
            provider=provider,
        )
    description = spec.get("description")
    return ResponseFormat(
        "json_schema",
        format_name(fmt),
        plain(schema),
        description if isinstance(description, str) and description else None,
    )


def format_name(fmt: Mapping[str, Any]) -> str:
    """The name of a JSON ``response_format``: ``json_object``, or its ``json_schema``'s
    ``name`` (``json_response`` when it has none)."""
    if fmt.get("type") == "json_object":
        return "json_object"
    spec = fmt.get("json_schema")
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return name if isinstance(name, str) and name else "json_response"


def effort(request: ChatRequest, provider: str) -> str | None:
    """The request's ``reasoning_effort`` (``xhigh`` read as ``high``), or ``None``
    (an unknown value is dropped and logged)."""
    value = request.extra.get("reasoning_effort")
    if value is None:
        return None
    if value not in EFFORTS:
        dropped(request, "reasoning_effort", provider, "unknown value")
        return None
    return "high" if value == "xhigh" else str(value)
