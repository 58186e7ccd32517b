"""OpenAI-shaped :class:`ChatRequest` → Gemini ``generateContent`` request body.

System messages become ``systemInstruction``; user and assistant turns become
``contents`` with roles ``user`` / ``model``; data-URL images become ``inlineData``
parts; assistant ``tool_calls`` become ``functionCall`` parts and ``tool`` messages
``functionResponse`` parts (the function name is recovered from the call's id).

Gemini 3 models answer 400 ("Function call is missing a thought_signature") to a
history whose function calls lack the ``thoughtSignature`` they were given. A router
cannot always have it: the call may come from another provider after a failover, or
from a client that knows only OpenAI's shape. So for a model named ``gemini-N…`` with
N ≥ 3 (:func:`needs_signature`) the first ``functionCall`` part of each assistant turn
carries :data:`SKIP_SIGNATURE`, the value Google documents for calls it did not sign
("thought signatures" in the Gemini API docs); older and unrecognised models get the
history as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from llm_router import errors
from llm_router.providers._anthropic_request import parse_arguments, split_data_url
from llm_router.providers._fields import GEMINI
from llm_router.providers._translate import effort, refusal, response_format, split_extra
from llm_router.types import ChatRequest, Message

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""The ``thoughtSignature`` Google documents for function calls it did not sign."""

_GENERATION = re.compile(r"(?:models/)?gemini-(\d+)")


def needs_signature(model: str) -> bool:
    """Whether ``model`` is Gemini 3 or later, which refuses unsigned function calls."""
    found = _GENERATION.match(model)
    return found is not None and int(found.group(1)) >= 3


_MODES = {"auto": "AUTO", "required": "ANY", "any": "ANY", "none": "NONE"}


def _image_part(part: Mapping[str, Any]) -> dict[str, Any]:
    image = part.get("image_url")
    url = str(image.get("url", "") if isinstance(image, Mapping) else image or "")
    inline = split_data_url(url)
    if inline is not None:
        return {"inlineData": {"mimeType": inline[0], "data": inline[1]}}
    return {"fileData": {"fileUri": url}}


def _parts(message: Message) -> list[dict[str, Any]]:
    content = message.content
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            parts.append({"text": str(part.get("text", ""))})
        elif kind == "image_url":
            parts.append(_image_part(part))
        else:  # already Gemini-shaped: passed through
            parts.append({k: v for k, v in part.items() if k != "type"})
    return parts


def _function_response(message: Message, names: Mapping[str, str]) -> dict[str, Any]:
    text = message.text()
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    response = dict(value) if isinstance(value, dict) else {"result": value}
    name = message.name or names.get(message.tool_call_id or "", "")
    out: dict[str, Any] = {"name": name, "response": response}
    return {"functionResponse": out}


def translate_contents(
    request: ChatRequest, provider: str, *, sign: bool = False
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``(systemInstruction, contents)`` in Gemini's shape (``sign``: each assistant
    turn's first function call carries :data:`SKIP_SIGNATURE`)."""
    system = request.system_text()
    names: dict[str, str] = {}
    contents: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role in ("system", "developer"):
            continue
        if message.role == "tool":
            role, parts = "user", [_function_response(message, names)]
        elif message.role == "assistant":
            role, parts = "model", _parts(message)
            for n, call in enumerate(message.tool_calls or ()):
                function = call.get("function")
                function = function if isinstance(function, Mapping) else {}
                name = str(function.get("name", ""))
                names[str(call.get("id", ""))] = name
                args = parse_arguments(function.get("arguments"), provider=provider)
                part: dict[str, Any] = {"functionCall": {"name": name, "args": args}}
                if sign and n == 0:  # a step's signature goes on its first call
                    part["thoughtSignature"] = SKIP_SIGNATURE
                parts.append(part)
        elif message.role == "user":
            role, parts = "user", _parts(message)
        else:
            raise errors.BadRequest(f"unsupported message role {message.role!r}", provider=provider)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    instruction = {"parts": [{"text": system}]} if system else None
    return instruction, contents


def translate_tools(tools: tuple[Mapping[str, Any], ...]) -> list[dict[str, Any]]:
    """OpenAI function tools → one ``functionDeclarations`` tool; other (Gemini-shaped)
    tools such as ``googleSearch`` pass through.

    An OpenAI tool's ``parameters`` is JSON Schema, so it goes to Gemini's
    ``parametersJsonSchema``, which takes JSON Schema as is (``additionalProperties``,
    ``anyOf``, lower-case types…). Gemini's ``parameters`` field is its own OpenAPI-subset
    ``Schema`` and rejects such keys with a 400 ("Unknown name additionalProperties")."""
    declarations: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for tool in tools:
        function = tool.get("function")
        if tool.get("type") == "function" and isinstance(function, Mapping):
            declaration: dict[str, Any] = {"name": function.get("name", "")}
            if function.get("description"):
                declaration["description"] = function["description"]
            if function.get("parameters"):
                declaration["parametersJsonSchema"] = function["parameters"]
            declarations.append(declaration)
        else:
            others.append(dict(tool))
    return ([{"functionDeclarations": declarations}] if declarations else []) + others


def translate_tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI ``tool_choice`` → Gemini ``toolConfig``."""
    if isinstance(choice, str):
        return {"functionCallingConfig": {"mode": _MODES.get(choice, choice.upper())}}
    function = choice.get("function")
    if choice.get("type") == "function" and isinstance(function, Mapping):
        config = {"mode": "ANY", "allowedFunctionNames": [function.get("name", "")]}
        return {"functionCallingConfig": config}
    return dict(choice)


THINKING_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
"""``reasoning_effort`` → ``thinkingConfig.thinkingBudget`` (Google's own mapping for its
OpenAI compatibility layer; ``minimal`` is the smallest budget every 2.5 model takes)."""

_CONFIG_KEYS = {
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}


def check(request: ChatRequest, provider: str) -> errors.Unsupported | None:
    """What Gemini cannot honour (the table's refusals, audio output, unknown formats)."""
    return refusal(request, GEMINI, provider)


def _options(
    config: dict[str, Any], request: ChatRequest, openai: Mapping[str, Any], provider: str
) -> None:
    """Put the request's OpenAI options into ``generationConfig``."""
    for key, name in _CONFIG_KEYS.items():
        if key in openai:
            config[name] = openai[key]
    fmt = response_format(request, provider) if "response_format" in openai else None
    if fmt is not None:
        config["responseMimeType"] = "application/json"
        if fmt.kind == "json_schema":
            config["responseJsonSchema"] = fmt.schema
    level = effort(request, provider)
    if level is not None:
        config["thinkingConfig"] = {"thinkingBudget": THINKING_BUDGETS[level]}


def build_body(request: ChatRequest, *, provider: str, model: str = "") -> dict[str, Any]:
    """The JSON body of ``:streamGenerateContent`` for ``request``: its core fields and
    OpenAI options as the table says (:data:`~._fields.GEMINI`), then the other keys of
    ``request.extra`` (Gemini's own options); a mapping there (``generationConfig``, …)
    extends ours. An option Gemini cannot honour raises
    :class:`~llm_router.errors.Unsupported` before any call. ``model`` decides
    whether unsigned function calls get :data:`SKIP_SIGNATURE`."""
    refused = check(request, provider)
    if refused is not None:
        raise refused
    openai, native = split_extra(request, GEMINI, provider)
    instruction, contents = translate_contents(request, provider, sign=needs_signature(model))
    body: dict[str, Any] = {"contents": contents}
    if instruction is not None:
        body["systemInstruction"] = instruction
    config: dict[str, Any] = {}
    if request.max_tokens is not None:
        config["maxOutputTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.stop:
        config["stopSequences"] = list(request.stop)
    _options(config, request, openai, provider)
    if config:
        body["generationConfig"] = config
    if request.tools:
        body["tools"] = translate_tools(request.tools)
    if request.tool_choice is not None:
        body["toolConfig"] = translate_tool_choice(request.tool_choice)
    for key, value in native.items():
        if isinstance(value, Mapping) and isinstance(body.get(key), dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body
