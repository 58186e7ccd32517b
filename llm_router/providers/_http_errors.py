"""HTTP status and error body → the typed errors of docs/DESIGN.md §1.3 (shared by providers).

The upstream's own message is passed on, cut to a bounded length; request content is
never echoed (only the upstream's ``error.message`` / ``error`` field is read) and the
API key never appears.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from llm_router import errors

_MAX_MESSAGE = 300
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
# Context-window overflow, as each server words it (lower-cased substrings of the
# message or of the code/type fields; only 400, 413 and 422 answers are searched):
# - OpenAI, Azure OpenAI: code ``context_length_exceeded``, "This model's maximum context
#   length is 8192 tokens. However, your messages resulted in 10383 tokens."
#   (Azure/azure-sdk-for-net#41892) and "Your input exceeds the context window of this
#   model." (anomalyco/opencode#6071).
# - Anthropic: "prompt is too long: 208656 tokens > 200000 maximum"
#   (sojohnnysaid/project-guide#2) and "input length and `max_tokens` exceed context
#   limit: 189136 + 20000 > 204648, …" (anthropics/claude-code#408).
# - Gemini: 400 INVALID_ARGUMENT "The input token count (1200293) exceeds the maximum
#   number of tokens allowed (1048576)." (google-gemini/gemini-cli#6678).
# - Ollama: 400 ``{"error": "the input length exceeds the context length"}``
#   (nano-step/nano-brain#208).
# - vLLM: "This model's maximum context length is 4096 tokens. However, you requested …"
#   (vllm/entrypoints/openai/serving_engine.py; vllm-project/vllm#33425 for the newer
#   "… your request has 8 input tokens plus 2045 'max_tokens'"), and the engine's "The
#   decoder prompt (length 17772) is longer than the maximum model length of 16384"
#   (xorbitsai/inference#3785).
# - llama.cpp's llama-server: 400 type ``exceed_context_size_error``, "request (4476
#   tokens) exceeds the available context size (4096 tokens), try increasing it"
#   (tools/server/server-context.cpp); older builds "input (N tokens) is larger than the
#   max context size (M tokens). skipping".
# - TGI: 422 ``{"error": "Input validation error: `inputs` tokens + `max_new_tokens` must
#   be <= 2048. Given: …", "error_type": "validation"}``
#   (huggingface/text-generation-inference#628) and "`inputs` must have less than 1024
#   tokens. Given: 1168" (#695).
# - OpenRouter: 400 "This endpoint's maximum context length is 131072 tokens. However,
#   you requested about 141607 tokens (…) … use the "middle-out" transform …"
#   (Aider-AI/aider#3721).
_CONTEXT_HINTS = (
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "exceed context limit",
    "prompt is too long",
    "input is too long",
    "too many tokens",
    "reduce the length",
    "exceeds the maximum number of tokens",
    "maximum model length",
    "exceed_context_size_error",
    "exceeds the available context size",
    "larger than the max context size",
    "`inputs` tokens + `max_new_tokens`",
    "`inputs` must have less than",
    "string_above_max_length",
)
_FILTER_HINTS = (
    "content_filter",
    "responsibleaipolicyviolation",
    "content management policy",
    "content_policy_violation",
)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date
    (relative to ``now``, a Unix time, default the current time). ``None`` if absent
    or unparseable; never negative."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def parse_duration(value: str | None) -> float | None:
    """An OpenAI ``x-ratelimit-reset-*`` duration (``"1s"``, ``"6m0s"``, ``"20ms"``)
    or plain seconds, in seconds; ``None`` if unparseable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


def retry_after_from_headers(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait before retrying a 429, or ``None``.

    ``retry-after-ms`` (milliseconds; Azure OpenAI sends it, and OpenAI's SDK reads it
    before ``Retry-After``), then ``Retry-After``. Only when both are missing, the
    ``x-ratelimit-reset-<limit>`` of a limit whose ``x-ratelimit-remaining-<limit>`` is
    ``0``: the time until that limit is fully replenished, so an upper bound. A reset
    of a limit that is not exhausted says nothing about this 429 and is ignored."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    seconds = parse_retry_after(headers.get("retry-after"), now)
    if seconds is not None:
        return seconds
    exhausted: list[float] = []
    for kind in ("requests", "tokens"):
        if headers.get(f"x-ratelimit-remaining-{kind}", "").strip() != "0":
            continue
        reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
        if reset is not None:
            exhausted.append(reset)
    return max(exhausted) if exhausted else None


def _error_object(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, list) and data:  # Gemini may wrap the error in a list
        data = data[0]
    if isinstance(data, dict):
        return data.get("error", data)
    return None


def error_message_from_body(body: bytes) -> str:
    """The upstream's own error message (OpenAI/Anthropic ``error.message``, Gemini
    ``error.message`` + ``status``, Ollama ``error``), bounded; plain text bodies are
    cut short; HTML pages are not echoed."""
    err = _error_object(body)
    if isinstance(err, str):
        message = err
    elif isinstance(err, dict):
        message = str(err.get("message") or err.get("type") or err.get("code") or "")
        reasons = [str(r) for r in _finish_reasons(err) if r]
        if not message and reasons:
            message = f"finish_reason: {reasons[0]}"
        status = err.get("status")
        if isinstance(status, str) and status and status not in message:
            message = f"{status}: {message}" if message else status
    else:
        text = body[:2000].decode("utf-8", "replace").strip()
        message = "" if text[:1] == "<" else " ".join(text.split())
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _finish_reasons(err: dict[str, Any]) -> list[Any]:
    """The ``finish_reason`` of each choice when the error body is a completion (Azure
    AI Foundry answers a filtered request with a 400 whose body is a
    ``chat.completion`` with ``finish_reason: "content_filter"``)."""
    choices = err.get("choices")
    if not isinstance(choices, list):
        return []
    return [c.get("finish_reason") for c in choices if isinstance(c, dict)]


def _codes(body: bytes) -> str:
    """Lower-cased code/type/status fields of the error object (and the finish reasons
    of a completion-shaped body), for classification."""
    err = _error_object(body)
    if not isinstance(err, dict):
        return ""
    fields = [err.get("code"), err.get("type"), err.get("status"), *_finish_reasons(err)]
    inner = err.get("innererror")
    if isinstance(inner, dict):
        fields.append(inner.get("code"))
    return " ".join(str(f) for f in fields if f).lower()


def map_http_error(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
    model: str | None = None,
) -> errors.ProviderError:
    """The common status → error mapping (docs/DESIGN.md §1.3)."""
    message = error_message_from_body(body) or f"HTTP {status}"
    cls: type[errors.ProviderError]
    retry_after: float | None = None
    if status in (429, 529):
        cls = errors.RateLimited
        retry_after = retry_after_from_headers(headers)
    elif status in (401, 403):
        cls = errors.AuthError
    elif status in (400, 413, 422) and _matches(message, body, _CONTEXT_HINTS):
        cls = errors.ContextWindowExceeded
    elif status in (400, 403, 422) and _matches(message, body, _FILTER_HINTS):
        cls = errors.ContentFiltered
    elif status == 408:
        cls = errors.ServerError  # a request timeout upstream is transient
    elif 400 <= status < 500:
        cls = errors.BadRequest
    elif status >= 500:
        cls = errors.ServerError
        retry_after = parse_retry_after(headers.get("retry-after"))
    else:
        cls = errors.ProtocolError
        message = f"unexpected HTTP status {status}"
    return cls(message, provider=provider, status=status, retry_after=retry_after, model=model)


def _matches(message: str, body: bytes, hints: tuple[str, ...]) -> bool:
    haystack = f"{message} {_codes(body)}".lower()
    return any(h in haystack for h in hints)
