"""OpenAI Chat Completions requests: a body in, a validated :class:`ChatRequest` out.

Parsing is strict, like OpenAI's own API: a malformed body, a missing or ill-typed
field, or an unknown argument is a :class:`RequestInvalid` (400) naming the field
(``param``) but never echoing the prompt. Known OpenAI options that the core types do
not model (``seed``, ``response_format``, …) travel to the upstream in ``extra``.
Field readers and the defences against hostile bodies live in :mod:`.body`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.gateway.body import (
    RequestInvalid,
    boolean,
    check_task,
    first_unknown,
    integer,
    json_object,
    number,
    values_checked,
)
from llm_router.types import ChatRequest

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_PASS_THROUGH = frozenset(
    {
        "seed",
        "response_format",
        "parallel_tool_calls",
        "user",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "reasoning_effort",
        "service_tier",
        "store",
        "prediction",
        "modalities",
        "verbosity",
        "prompt_cache_key",
        "safety_identifier",
    }
)
_MODELLED = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "tools",
        "tool_choice",
        "n",
        "logprobs",
        "top_logprobs",
        "metadata",
    }
)
_KNOWN = _MODELLED | _PASS_THROUGH
_MESSAGE_FIELDS = frozenset({"role", "content", "name", "tool_calls", "tool_call_id"})
_ECHOED = frozenset({"refusal", "annotations", "audio", "function_call", "parsed"})
"""Fields of an assistant message as the API answered it, which the SDKs send back when
a client appends the returned message to its history (OpenAI's function-calling guide
does; the SDK's ``parse`` and ``stream`` helpers add ``parsed``, and
``parsed_arguments`` in each tool call's ``function``). Left out (:func:`_message`):
``annotations`` (citation metadata of the content), ``parsed`` and
``parsed_arguments`` (the content and arguments, parsed), and the others when empty; a
``refusal`` text becomes the turn's content when it has none; ``audio`` or a legacy
``function_call`` that is set is a 400."""


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A validated chat completion request and its gateway-level options."""

    request: ChatRequest
    stream: bool
    include_usage: bool


def _check_message(i: int, msg: Any) -> None:
    where = f"messages[{i}]"
    if not isinstance(msg, dict):
        raise RequestInvalid(f"'{where}' must be an object", param=where)
    role = msg.get("role")
    if role not in _ROLES:
        raise RequestInvalid(
            f"'{where}.role' must be one of {', '.join(sorted(_ROLES))}", param=f"{where}.role"
        )
    for key in ("audio", "function_call"):
        if msg.get(key) is not None:
            raise RequestInvalid(
                f"'{where}.{key}' is not supported (the gateway relays text and tool_calls)",
                param=f"{where}.{key}",
            )
    content = msg.get("content")
    if isinstance(content, list):
        if not all(isinstance(p, dict) and isinstance(p.get("type"), str) for p in content):
            raise RequestInvalid(
                f"'{where}.content' parts must be objects with a 'type'", param=f"{where}.content"
            )
    elif content is None:
        if role != "assistant" or not (msg.get("tool_calls") or msg.get("refusal")):
            raise RequestInvalid(f"'{where}.content' is required", param=f"{where}.content")
    elif not isinstance(content, str):
        raise RequestInvalid(
            f"'{where}.content' must be a string or a list of parts", param=f"{where}.content"
        )
    calls = msg.get("tool_calls")
    if calls is not None and not (
        isinstance(calls, list) and all(isinstance(c, dict) for c in calls)
    ):
        raise RequestInvalid(
            f"'{where}.tool_calls' must be a list of objects", param=f"{where}.tool_calls"
        )
    if role == "tool" and not isinstance(msg.get("tool_call_id"), str):
        raise RequestInvalid(
            f"'{where}.tool_call_id' is required for tool messages", param=f"{where}.tool_call_id"
        )
    for key in ("name", "tool_call_id"):
        if msg.get(key) is not None and not isinstance(msg[key], str):
            raise RequestInvalid(f"'{where}.{key}' must be a string", param=f"{where}.{key}")
    known = _MESSAGE_FIELDS | _ECHOED if role == "assistant" else _MESSAGE_FIELDS
    name = first_unknown(msg, known)
    if name is not None:
        raise RequestInvalid(f"unrecognized message field '{name}'", param=where)
    refusal = msg.get("refusal")
    if refusal is not None and not isinstance(refusal, str):
        raise RequestInvalid(f"'{where}.refusal' must be a string", param=f"{where}.refusal")


def _message(msg: dict[str, Any]) -> dict[str, Any]:
    """``msg`` without the echoed answer fields (:data:`_ECHOED`)."""
    calls: list[dict[str, Any]] = msg.get("tool_calls") or []
    if _ECHOED.isdisjoint(msg) and not any(map(_parsed, calls)):
        return msg
    out = {k: v for k, v in msg.items() if k not in _ECHOED}
    if msg.get("refusal") and not msg.get("content"):
        out["content"] = msg["refusal"]  # what the assistant said instead of answering
    if calls:
        out["tool_calls"] = [_unparsed(c) if _parsed(c) else c for c in calls]
    return out


def _parsed(call: dict[str, Any]) -> bool:
    function = call.get("function")
    return isinstance(function, dict) and "parsed_arguments" in function


def _unparsed(call: dict[str, Any]) -> dict[str, Any]:
    rest = {k: v for k, v in call["function"].items() if k != "parsed_arguments"}
    return {**call, "function": rest}


def _check_tools(body: Mapping[str, Any]) -> None:
    tools = body.get("tools")
    if not tools:  # OpenAI refuses tool options without tools; so does the gateway
        for key in ("tool_choice", "parallel_tool_calls"):
            if body.get(key) is not None:
                raise RequestInvalid(
                    f"'{key}' is only allowed when 'tools' are specified", param=key
                )
    if tools is None:
        return
    if not isinstance(tools, list):
        raise RequestInvalid("'tools' must be a list", param="tools")
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type") != "function"
            or not isinstance(fn, dict)
            or not isinstance(fn.get("name"), str)
        ):
            raise RequestInvalid(
                f"'tools[{i}]' must be {{'type': 'function', 'function': {{'name': ...}}}}",
                param=f"tools[{i}]",
            )
    choice = body.get("tool_choice")
    if choice is not None and not (
        choice in ("none", "auto", "required") or isinstance(choice, dict)
    ):
        raise RequestInvalid(
            "'tool_choice' must be none, auto, required or an object", param="tool_choice"
        )


def parse_chat_request(
    raw: bytes, *, task: str | None = None, request_id: str | None = None
) -> ParsedRequest:
    """Validate a ``/v1/chat/completions`` body; ``task`` is the ``x-llm-router-task`` header."""
    body = json_object(raw)
    name = first_unknown(body, _KNOWN)
    if name is not None:
        raise RequestInvalid(f"Unrecognized request argument supplied: {name}", param=name)
    model = body.get("model", "auto")
    if not isinstance(model, str) or not model:
        raise RequestInvalid("'model' must be a non-empty string", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestInvalid("'messages' must be a non-empty list", param="messages")
    for i, msg in enumerate(messages):
        _check_message(i, msg)
    messages = [_message(msg) for msg in messages]
    _check_tools(body)
    stream = boolean(body, "stream")
    options = body.get("stream_options")
    if options is not None and not stream:
        raise RequestInvalid(
            "'stream_options' is only allowed when 'stream' is true", param="stream_options"
        )
    if options is not None and not isinstance(options, dict):
        raise RequestInvalid("'stream_options' must be an object", param="stream_options")
    include_usage = boolean(options or {}, "include_usage")
    if body.get("n") not in (None, 1):
        raise RequestInvalid("only n=1 is supported", param="n")
    if boolean(body, "logprobs"):
        raise RequestInvalid("logprobs are not supported by the gateway", param="logprobs")
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= 4)
    ):
        raise RequestInvalid("'stop' must be a string or a list of up to 4 strings", param="stop")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestInvalid("'metadata' must be an object", param="metadata")
    check_task(task)
    max_tokens = integer(body, "max_tokens")  # both are checked, the newer one wins
    max_tokens = integer(body, "max_completion_tokens") or max_tokens
    with values_checked():
        request = ChatRequest(
            messages=messages,
            model=model,
            max_tokens=max_tokens,
            temperature=number(body, "temperature", 0.0, 2.0),
            top_p=number(body, "top_p", 0.0, 1.0),
            stop=stop,
            tools=body.get("tools"),
            tool_choice=body.get("tool_choice"),
            task=task,
            metadata=metadata,
            request_id=request_id,
            extra={k: body[k] for k in _PASS_THROUGH if k in body},
        )
    return ParsedRequest(request=request, stream=stream, include_usage=include_usage)
