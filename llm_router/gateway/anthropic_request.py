"""Anthropic Messages requests (``POST /v1/messages``): a body in, a :class:`ChatRequest` out.

The router speaks OpenAI-shaped messages, so the Messages body is translated once,
here: ``system`` becomes a system message; text and image blocks become content
parts; an assistant's ``tool_use`` blocks become its ``tool_calls`` and a user's
``tool_result`` blocks ``tool`` messages (before the rest of that turn, as Anthropic
orders them); tools become function tools and ``tool_choice`` its OpenAI twin.
An assistant turn's ``thinking`` (with its ``signature``) and ``redacted_thinking``
blocks become its ``Message.reasoning``, which only an Anthropic upstream is sent (the
signatures mean something only to the model that wrote them, and Anthropic needs them
back after a tool call when thinking is on); ``cache_control`` marks are ignored.
``top_k``, ``thinking`` and ``service_tier`` travel in ``extra`` to an Anthropic
upstream alone (``ANTHROPIC_ONLY``): another kind of API would refuse them. Parsing is
strict like Anthropic's: an unknown field, a wrong type or a missing ``max_tokens`` is
a 400 naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.gateway.body import (
    RequestInvalid,
    boolean,
    check_task,
    clip,
    first_unknown,
    integer,
    json_object,
    number,
    values_checked,
)
from llm_router.observe.logs import get_logger
from llm_router.providers._translate import ANTHROPIC_ONLY
from llm_router.types import ChatRequest

log = get_logger("llm_router.gateway")

_FIELDS = frozenset({
    "model", "messages", "max_tokens", "system", "stop_sequences", "stream", "temperature",
    "top_p", "top_k", "tools", "tool_choice", "metadata", "thinking", "service_tier",
})  # fmt: skip
_EXTRA = ("top_k", "thinking", "service_tier")
_DROPPED = frozenset({"context_management"})
"""Accepted and left out: Claude Code sends ``context_management`` (server-side clearing
of old tool results and thinking, a beta) with every request to some models; it does
not change what the answer says, only what Anthropic may prune, and a 400 for it would
stop Claude Code dead (as it has at gateways that refuse unknown fields)."""
_THINKING_BLOCKS = frozenset({"thinking", "redacted_thinking"})
_TURN_FIELDS = frozenset({"role", "content"})


@dataclass(frozen=True, slots=True)
class ParsedMessages:
    """A validated Messages request and whether to stream the answer."""

    request: ChatRequest
    stream: bool


def _text(block: Mapping[str, Any], where: str) -> str:
    value = block.get("text")
    if not isinstance(value, str):
        raise RequestInvalid(f"{where}.text: Field required (a string)", param=f"{where}.text")
    return value


def _image(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64":
        media, data = source.get("media_type"), source.get("data")
        if isinstance(media, str) and isinstance(data, str):
            return {"type": "image_url", "image_url": {"url": f"data:{media};base64,{data}"}}
    url = source.get("url") if isinstance(source, dict) else None
    if isinstance(source, dict) and source.get("type") == "url" and isinstance(url, str):
        return {"type": "image_url", "image_url": {"url": url}}
    raise RequestInvalid(
        f"{where}.source: expected a base64 or url image source", param=f"{where}.source"
    )


def _tool_result(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise RequestInvalid(f"{where}.tool_use_id: Field required", param=f"{where}.tool_use_id")
    content = block.get("content", "")
    if isinstance(content, list):
        parts = [b for b in content if isinstance(b, dict)]
        content = "\n".join(_text(b, where) for b in parts if b.get("type") == "text")
    elif not isinstance(content, str):
        raise RequestInvalid(
            f"{where}.content: expected a string or a list of blocks", param=f"{where}.content"
        )
    if block.get("is_error") is True:
        content = f"Error: {content}" if content else "Error"
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _reasoning(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A signed thinking block, kept verbatim (but for ``cache_control``)."""
    keys = ("thinking", "signature") if block.get("type") == "thinking" else ("data",)
    for key in keys:
        if not isinstance(block.get(key), str):
            at = f"{where}.{key}"
            raise RequestInvalid(f"{at}: Field required (a string)", param=at)
    return {"type": block["type"], **{key: block[key] for key in keys}}


def _tool_use(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id, name = block.get("id"), block.get("name")
    if not isinstance(call_id, str) or not isinstance(name, str):
        raise RequestInvalid(f"{where}: tool_use needs an id and a name", param=where)
    arguments = json.dumps(block.get("input") or {}, separators=(",", ":"))
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _turn(i: int, message: Any) -> list[dict[str, Any]]:
    """OpenAI-shaped messages for one Messages turn."""
    where = f"messages.{i}"
    if not isinstance(message, dict):
        raise RequestInvalid(f"{where}: expected an object", param=where)
    name = first_unknown(message, _TURN_FIELDS)
    if name is not None:
        raise RequestInvalid(f"{where}.{name}: Extra inputs are not permitted", param=where)
    role = message.get("role")
    if role not in ("user", "assistant"):
        raise RequestInvalid(f"{where}.role: must be 'user' or 'assistant'", param=f"{where}.role")
    content = message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        raise RequestInvalid(
            f"{where}.content: expected a string or a list of blocks", param=f"{where}.content"
        )
    parts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    reasoning: list[dict[str, Any]] = []
    for j, block in enumerate(content):
        at = f"{where}.content.{j}"
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(kind, str):
            raise RequestInvalid(f"{at}: expected a block with a 'type'", param=at)
        if kind == "text":
            parts.append({"type": "text", "text": _text(block, at)})
        elif kind == "image" and role == "user":
            parts.append(_image(block, at))
        elif kind == "tool_result" and role == "user":
            results.append(_tool_result(block, at))
        elif kind == "tool_use" and role == "assistant":
            calls.append(_tool_use(block, at))
        elif kind in _THINKING_BLOCKS and role == "assistant":
            reasoning.append(_reasoning(block, at))
        elif kind in _THINKING_BLOCKS:
            continue
        elif kind == "document" and role == "user":
            parts.append({k: v for k, v in block.items() if k != "cache_control"})
        else:
            raise RequestInvalid(f"{at}: block type '{clip(kind)}' is not supported here", param=at)
    out = list(results)
    if role == "assistant":
        text = "".join(p["text"] for p in parts if p.get("type") == "text")
        if text or calls:
            turn: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                turn["tool_calls"] = calls
            if reasoning:
                turn["reasoning"] = reasoning
            out.append(turn)
    elif parts:
        only_text = all(p.get("type") == "text" for p in parts)
        body = "\n".join(p["text"] for p in parts) if only_text else parts
        out.append({"role": "user", "content": body})
    return out


def _system(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "system", "content": value}] if value else []
    if isinstance(value, list) and all(
        isinstance(b, dict) and b.get("type") == "text" for b in value
    ):
        text = "\n".join(_text(b, "system") for b in value)
        return [{"role": "system", "content": text}] if text else []
    raise RequestInvalid("system: expected a string or a list of text blocks", param="system")


def _tools(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RequestInvalid("tools: expected a list", param="tools")
    tools = []
    for i, tool in enumerate(value):
        where = f"tools.{i}"
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise RequestInvalid(f"{where}.name: Field required", param=where)
        if tool.get("type") not in (None, "custom"):
            kind = clip(str(tool.get("type")))
            raise RequestInvalid(f"{where}: server tool '{kind}' is not supported", param=where)
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise RequestInvalid(f"{where}.input_schema: Field required", param=where)
        function: dict[str, Any] = {"name": tool["name"], "parameters": schema}
        if isinstance(tool.get("description"), str):
            function["description"] = tool["description"]
        tools.append({"type": "function", "function": function})
    return tools


def _tool_choice(value: Any) -> str | dict[str, Any] | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in ("auto", "none"):
        return str(kind)
    if kind == "any":
        return "required"
    if kind == "tool" and isinstance(value.get("name"), str):
        return {"type": "function", "function": {"name": value["name"]}}
    raise RequestInvalid(
        "tool_choice: expected {type: auto | any | none} or {type: tool, name}",
        param="tool_choice",
    )


def _anthropic_only(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Messages options the router has no field for (``thinking``, ``top_k``,
    ``service_tier``), kept for an Anthropic upstream alone (``ANTHROPIC_ONLY``)."""
    options = {k: body[k] for k in _EXTRA if body.get(k) is not None}
    return {ANTHROPIC_ONLY: options} if options else {}


def parse_messages_request(
    raw: bytes, *, task: str | None = None, request_id: str | None = None
) -> ParsedMessages:
    """Validate a ``/v1/messages`` body; ``task`` is the ``x-llm-router-task`` header."""
    return parse_messages_body(json_object(raw), task=task, request_id=request_id)


def parse_messages_body(
    body: Mapping[str, Any], *, task: str | None = None, request_id: str | None = None
) -> ParsedMessages:
    """:func:`parse_messages_request` for a body already read as a JSON object."""
    name = first_unknown(body, _FIELDS | _DROPPED)
    if name is not None:
        raise RequestInvalid(f"{name}: Extra inputs are not permitted", param=name)
    for name in _DROPPED.intersection(body):
        log.debug("request.field_dropped", field=name, door="messages")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestInvalid(
            "model: Field required (a route, task or provider name)", param="model"
        )
    if body.get("max_tokens") is None:
        raise RequestInvalid("max_tokens: Field required", param="max_tokens")
    max_tokens = integer(body, "max_tokens")
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns:
        raise RequestInvalid("messages: expected a non-empty list", param="messages")
    messages = _system(body.get("system"))
    for i, turn in enumerate(turns):
        messages += _turn(i, turn)
    if not any(m["role"] != "system" for m in messages):
        raise RequestInvalid("messages: no message has any content", param="messages")
    stop = body.get("stop_sequences")
    if stop is not None and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop)):
        raise RequestInvalid("stop_sequences: expected a list of strings", param="stop_sequences")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestInvalid("metadata: expected an object", param="metadata")
    check_task(task)
    with values_checked():
        request = ChatRequest(
            messages=messages,
            model=model,
            max_tokens=max_tokens,
            temperature=number(body, "temperature", 0.0, 1.0),
            top_p=number(body, "top_p", 0.0, 1.0),
            stop=stop or None,
            tools=_tools(body.get("tools")),
            tool_choice=_tool_choice(body.get("tool_choice")),
            task=task,
            metadata=metadata,
            request_id=request_id,
            extra=_anthropic_only(body),
        )
    return ParsedMessages(request=request, stream=boolean(body, "stream"))
