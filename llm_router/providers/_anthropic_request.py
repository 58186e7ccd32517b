"""OpenAI-shaped :class:`ChatRequest` → Anthropic Messages request body.

System and developer messages are lifted into ``system``; image parts become image
blocks; assistant ``tool_calls`` become ``tool_use`` blocks, after the turn's signed
thinking (``Message.reasoning``, sent back verbatim), and ``tool`` messages
``tool_result`` blocks in a user turn; consecutive turns of one role are merged, since
Anthropic expects user and assistant turns to alternate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llm_router import errors
from llm_router.providers._anthropic_options import apply, check
from llm_router.providers._fields import ANTHROPIC
from llm_router.providers._translate import split_extra
from llm_router.types import ChatRequest, Message


def split_data_url(url: str) -> tuple[str, str] | None:
    """``data:<mime>;base64,<data>`` → ``(mime, data)``; ``None`` for other URLs."""
    if not url.startswith("data:"):
        return None
    header, sep, data = url[5:].partition(",")
    if not sep or not header.endswith(";base64"):
        return None
    return header[: -len(";base64")] or "application/octet-stream", data


def parse_arguments(arguments: Any, *, provider: str) -> Any:
    """A tool call's ``arguments`` (JSON text, or already an object) as a value."""
    if not isinstance(arguments, str):
        return arguments if arguments is not None else {}
    if not arguments.strip():
        return {}
    try:
        return json.loads(arguments)
    except ValueError as exc:
        raise errors.BadRequest(
            "tool call arguments are not valid JSON", provider=provider
        ) from exc


def _image_block(part: Mapping[str, Any]) -> dict[str, Any]:
    image = part.get("image_url")
    url = str(image.get("url", "") if isinstance(image, Mapping) else image or "")
    inline = split_data_url(url)
    if inline is not None:
        mime, data = inline
        return {"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _blocks(message: Message) -> list[dict[str, Any]]:
    content = message.content
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "image_url":
            blocks.append(_image_block(part))
        else:  # already Anthropic-shaped (image, document, …): passed through
            blocks.append(dict(part))
    return blocks


def _tool_use(call: Mapping[str, Any], provider: str) -> dict[str, Any]:
    function = call.get("function")
    function = function if isinstance(function, Mapping) else {}
    return {
        "type": "tool_use",
        "id": str(call.get("id", "")),
        "name": str(function.get("name", "")),
        "input": parse_arguments(function.get("arguments"), provider=provider),
    }


def _turn(message: Message, provider: str) -> tuple[str, list[dict[str, Any]]]:
    if message.role == "tool":
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id or ""}
        text = message.text()
        if text:
            result["content"] = text
        return "user", [result]
    if message.role == "assistant":  # signed thinking first, as Anthropic wrote it
        blocks = [dict(block) for block in message.reasoning or ()]
        blocks += _blocks(message)
        blocks += [_tool_use(c, provider) for c in message.tool_calls or ()]
        return "assistant", blocks
    if message.role == "user":
        return "user", _blocks(message)
    raise errors.BadRequest(f"unsupported message role {message.role!r}", provider=provider)


def translate_messages(
    request: ChatRequest, provider: str
) -> tuple[str | None, list[dict[str, Any]]]:
    """``(system, messages)`` in Anthropic's shape."""
    system = request.system_text() or None
    turns: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role in ("system", "developer"):
            continue
        role, blocks = _turn(message, provider)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:  # plain text turns keep the compact string form
        content = turn["content"]
        if len(content) == 1 and content[0].get("type") == "text":
            turn["content"] = content[0]["text"]
    return system, turns


def translate_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool → Anthropic ``{name, description, input_schema}``;
    tools already in Anthropic's shape pass through."""
    if tool.get("type") != "function" or not isinstance(tool.get("function"), Mapping):
        return dict(tool)
    function = tool["function"]
    out: dict[str, Any] = {
        "name": function.get("name", ""),
        "input_schema": dict(function.get("parameters") or {"type": "object", "properties": {}}),
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def translate_tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI ``tool_choice`` → Anthropic's (``required`` is ``any``)."""
    if isinstance(choice, str):
        return {"type": {"auto": "auto", "required": "any", "any": "any"}.get(choice, choice)}
    function = choice.get("function")
    if choice.get("type") == "function" and isinstance(function, Mapping):
        return {"type": "tool", "name": function.get("name", "")}
    return dict(choice)


def build_body(
    request: ChatRequest, model: str, *, provider: str, max_tokens_default: int
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/messages`` for ``request``: its core fields, then its
    OpenAI options as the table says (:mod:`._anthropic_options`), then the other keys
    of ``request.extra`` (Anthropic's own options) as they are. An option Anthropic
    cannot honour raises :class:`~llm_router.errors.Unsupported` before any call."""
    refused = check(request, provider)
    if refused is not None:
        raise refused
    openai, native = split_extra(request, ANTHROPIC, provider)
    system, messages = translate_messages(request, provider)
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": request.max_tokens or max_tokens_default,
        "stream": True,
    }
    if system:
        body["system"] = system
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.tools:
        body["tools"] = [translate_tool(t) for t in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = translate_tool_choice(request.tool_choice)
    apply(body, request, openai, provider)
    body.update(native)
    body["stream"] = True
    return body
