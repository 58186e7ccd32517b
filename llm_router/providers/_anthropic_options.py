"""A request's OpenAI options → Anthropic Messages fields (docs/DESIGN.md §2.1; the
table is :data:`~._fields.ANTHROPIC`).

``response_format`` becomes a *forced tool*: a tool whose ``input_schema`` is the
requested schema (``{"type": "object"}`` for ``json_object``) that the model must call;
the decoder streams that tool's input as the answer's text (``json_tool``), so the
caller gets the JSON as ``content``, as from OpenAI. With the caller's own tools and
``tool_choice`` ``auto`` the model must call *some* tool (``any``): one of the caller's,
or the response tool for a final answer; a ``required`` or named ``tool_choice`` already
rules out a text answer, so the format is dropped.

``reasoning_effort`` becomes ``thinking`` with a token budget (the budgets Google's
OpenAI compatibility layer uses). Anthropic's thinking cannot be combined with a forced
tool, a ``temperature`` or a ``top_p`` below 0.95: the answer's shape wins, so thinking
is left out beside a forced tool, and the sampling values are left out beside thinking
(each logged). Thinking is also left out when the last assistant turn called tools
without signed thinking to go on from (a client that speaks only OpenAI's shape
cannot send it back, and Anthropic refuses such a turn with thinking on). The budget
counts against ``max_tokens``, as OpenAI's reasoning tokens count against
``max_completion_tokens``: with ``max_tokens`` unset the budget is added to the
default; a ``max_tokens`` too small for the smallest budget (1024) leaves thinking out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_router import errors
from llm_router.providers._fields import ANTHROPIC
from llm_router.providers._translate import (
    ResponseFormat,
    dropped,
    effort,
    format_name,
    refusal,
    response_format,
    unsupported,
)
from llm_router.types import ChatRequest

BUDGETS = {"low": 1024, "medium": 8192, "high": 24576}
"""``reasoning_effort`` → ``thinking.budget_tokens`` (``none``, ``minimal``: off)."""

MIN_BUDGET = 1024
"""Anthropic's smallest thinking budget."""

SERVICE_TIERS = {"auto": "auto", "default": "standard_only"}
"""OpenAI ``service_tier`` → Anthropic's (others are dropped)."""

TOOL_DESCRIPTION = (
    "Give your final answer by calling this tool: its input is the answer, a JSON value "
    "that follows the schema."
)


def _forced(request: ChatRequest) -> bool:
    """Whether the caller's ``tool_choice`` forces a tool call (``required``, named)."""
    choice = request.tool_choice
    return bool(request.tools) and (choice in ("required", "any") or isinstance(choice, Mapping))


def response_tool(request: ChatRequest, provider: str) -> tuple[ResponseFormat, str] | None:
    """The request's JSON response format and the name of the tool that carries it, or
    ``None`` when there is none or the caller's ``tool_choice`` already forces a call."""
    fmt = response_format(request, provider)
    if fmt is None:
        return None
    if _forced(request):
        dropped(request, "response_format", provider, "tool_choice forces a tool call")
        return None
    return fmt, fmt.name


def json_tool_name(request: ChatRequest) -> str | None:
    """The name of the forced tool carrying ``response_format`` (for the decoder), or
    ``None`` when the request has none (the same decision as :func:`response_tool`,
    without its logging)."""
    fmt = request.extra.get("response_format")
    if not isinstance(fmt, Mapping) or fmt.get("type") not in ("json_object", "json_schema"):
        return None
    return None if _forced(request) else format_name(fmt)


def check(request: ChatRequest, provider: str) -> errors.Unsupported | None:
    """What Anthropic cannot honour: the table's refusals, and a response format whose
    schema is not an object or whose name is one of the caller's tools."""
    refused = refusal(request, ANTHROPIC, provider)
    if refused is not None:
        return refused
    fmt = request.extra.get("response_format")
    spec = fmt.get("json_schema") if isinstance(fmt, Mapping) else None
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if isinstance(schema, Mapping) and schema.get("type", "object") != "object":
        return unsupported("response_format", "a forced tool's schema must be an object", provider)
    name = spec.get("name") if isinstance(spec, Mapping) else None
    tools = {str((t.get("function") or {}).get("name", "")) for t in request.tools or ()}
    if name is not None and name in tools:
        return unsupported("response_format", "its name is one of the request's tools", provider)
    return None


def apply(
    body: dict[str, Any], request: ChatRequest, openai: Mapping[str, Any], provider: str
) -> None:
    """Put the request's OpenAI options (``openai``: the table's non-dropped fields of
    ``extra``) into the Anthropic ``body`` built from its core fields."""
    if body.get("temperature", 0) > 1:
        body["temperature"] = 1.0
    user = openai.get("user", openai.get("safety_identifier"))  # the newer name, if alone
    if user is not None:
        body["metadata"] = {"user_id": str(user)}
    tier = SERVICE_TIERS.get(str(openai.get("service_tier")))
    if tier is not None:
        body["service_tier"] = tier
    elif "service_tier" in openai:
        dropped(request, "service_tier", provider, "no equivalent tier")
    found = response_tool(request, provider) if "response_format" in openai else None
    if found is not None:
        _force_tool(body, found[0])
    _thinking(body, request, provider, forced=found is not None)
    if openai.get("parallel_tool_calls") is False:
        choice = body.setdefault("tool_choice", {"type": "auto"})
        if choice.get("type") != "none":
            choice["disable_parallel_tool_use"] = True


def _force_tool(body: dict[str, Any], fmt: ResponseFormat) -> None:
    description = TOOL_DESCRIPTION
    if fmt.description:
        description = f"{fmt.description}\n\n{description}"
    tool = {"name": fmt.name, "description": description, "input_schema": fmt.schema}
    body["tools"] = [*body.get("tools", ()), tool]
    choice = body.get("tool_choice")
    if choice is None or choice.get("type") == "auto":
        body["tool_choice"] = {"type": "any"} if len(body["tools"]) > 1 else _named(fmt)
    else:  # none: the caller's tools stay declared, the answer is the response tool
        body["tool_choice"] = _named(fmt)


def _named(fmt: ResponseFormat) -> dict[str, Any]:
    return {"type": "tool", "name": fmt.name}


def _unsigned_tool_turn(request: ChatRequest) -> bool:
    """Whether the last assistant turn called tools without signed thinking (from an
    OpenAI-shaped client, or another provider): with thinking on, Anthropic refuses it
    ("a final assistant message must start with a thinking block")."""
    for message in reversed(request.messages):
        if message.role == "assistant":
            return bool(message.tool_calls) and not message.reasoning
    return False


def _thinking(body: dict[str, Any], request: ChatRequest, provider: str, *, forced: bool) -> None:
    level = effort(request, provider)
    budget = BUDGETS.get(level or "")
    if budget is None:
        if level is not None:
            dropped(request, "reasoning_effort", provider, f"{level}: thinking stays off")
        return
    choice = body.get("tool_choice") or {}
    if forced or choice.get("type") in ("any", "tool"):
        dropped(request, "reasoning_effort", provider, "thinking cannot force a tool")
        return
    if _unsigned_tool_turn(request):
        why = "the tool call it would go on from has no signed thinking"
        dropped(request, "reasoning_effort", provider, why)
        return
    if request.max_tokens is None:
        body["max_tokens"] += budget
    elif request.max_tokens - 1 < MIN_BUDGET:
        dropped(request, "reasoning_effort", provider, "max_tokens leaves no thinking budget")
        return
    else:
        budget = min(budget, request.max_tokens - 1)
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if body.pop("temperature", None) is not None:
        dropped(request, "temperature", provider, "thinking needs the default temperature")
    if body.get("top_p", 1.0) < 0.95:
        del body["top_p"]
        dropped(request, "top_p", provider, "thinking needs top_p >= 0.95")
