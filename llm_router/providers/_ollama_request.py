"""OpenAI-shaped :class:`ChatRequest` → Ollama ``POST /api/chat`` body (docs/DESIGN.md
§2.1; the table is :data:`~._fields.OLLAMA`).

Messages carry text ``content``, data-URL images as base64 ``images`` and tool-call
arguments as objects. Sampling options go under ``options``; ``response_format`` is
``format`` (``"json"`` or the schema itself) and ``reasoning_effort`` ``think``. Ollama
has no ``tool_choice``: ``none`` is served by not sending the tools, ``auto`` is its
behaviour anyway, and a forced call (``required``, a named function) cannot be honoured.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from llm_router import errors
from llm_router.providers._fields import OLLAMA
from llm_router.providers._translate import (
    effort,
    plain,
    refusal,
    response_format,
    split_extra,
    unsupported,
)
from llm_router.types import ChatRequest, Message

_OPTION_KEYS = ("seed", "presence_penalty", "frequency_penalty")
"""OpenAI options that Ollama takes under ``options`` with the same name."""


def _ollama_message(m: Message) -> dict[str, Any]:
    item: dict[str, Any] = {"role": m.role, "content": m.text()}
    if isinstance(m.content, tuple):
        images = []
        for part in m.content:
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, Mapping) else url
            if isinstance(url, str) and url.startswith("data:") and "," in url:
                images.append(url.split(",", 1)[1])
        if images:
            item["images"] = images
    if m.tool_calls:
        calls = []
        for call in plain(m.tool_calls):
            fn = call.get("function") or {}
            args = fn.get("arguments")
            if isinstance(args, str):
                try:
                    args = json.loads(args) if args else {}
                except ValueError:
                    args = {}
            calls.append({"function": {"name": fn.get("name"), "arguments": args}})
        item["tool_calls"] = calls
    if m.role == "tool" and m.name:
        item["tool_name"] = m.name
    return item


def ollama_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in Ollama's shape (text content, base64 ``images``, object arguments)."""
    return [_ollama_message(m) for m in messages]


def check(request: ChatRequest, provider: str) -> errors.Unsupported | None:
    """What Ollama cannot honour: the table's refusals and a forced tool call."""
    choice = request.tool_choice
    if request.tools and (choice in ("required", "any") or isinstance(choice, Mapping)):
        return unsupported("tool_choice", "Ollama cannot force a tool call", provider)
    return refusal(request, OLLAMA, provider)


def build_body(request: ChatRequest, model: str, *, provider: str) -> dict[str, Any]:
    """The JSON body for ``request``: its core fields and OpenAI options as the table
    says, then the other keys of ``request.extra`` (Ollama's own: ``keep_alive``,
    ``options`` merged into ours…). An option Ollama cannot honour raises
    :class:`~llm_router.errors.Unsupported` before any call."""
    refused = check(request, provider)
    if refused is not None:
        raise refused
    openai, native = split_extra(request, OLLAMA, provider)
    options: dict[str, Any] = {}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.top_p is not None:
        options["top_p"] = request.top_p
    if request.stop is not None:
        options["stop"] = list(request.stop)
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    options.update({k: openai[k] for k in _OPTION_KEYS if k in openai})
    options.update(native.pop("options", None) or {})
    body: dict[str, Any] = {
        "model": model,
        "messages": ollama_messages(request.messages),
        "stream": True,
    }
    if options:
        body["options"] = options
    if request.tools is not None and request.tool_choice != "none":
        body["tools"] = plain(request.tools)
    fmt = response_format(request, provider) if "response_format" in openai else None
    if fmt is not None:
        body["format"] = "json" if fmt.kind == "json_object" else fmt.schema
    level = effort(request, provider)
    if level is not None:
        body["think"] = level not in ("none", "minimal")
    body.update(native)
    return body
