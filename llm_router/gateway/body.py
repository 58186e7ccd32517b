"""A client's JSON body, read defensively: :func:`read_body`, :class:`RequestInvalid`
and typed field readers.

Nothing a client sends can make these fail with anything but :class:`RequestInvalid`
(a 400): JSON nested deeper than :data:`MAX_DEPTH` is refused (deep nesting would
otherwise exhaust the interpreter's recursion limit here, or later when the body is
encoded again for the upstream), numbers are range-checked without converting a
400-digit integer to a float, and input quoted back in an error is clipped to
:data:`MAX_ECHO` characters.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Set
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from llm_router.types import TASK_NAMES

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a request body."""

MAX_ECHO = 64
"""Longest piece of client input (a field name, a model) quoted back in an error."""

MAX_TOKENS = 2**31 - 1
"""Largest ``max_tokens`` / ``max_completion_tokens`` accepted (no model comes close)."""


class RequestInvalid(Exception):
    """The client's request is malformed; answered with ``status`` (400 unless said
    otherwise) in OpenAI's shape."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
    ):
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


class BodyUnread(RequestInvalid):
    """The body could not be read: too large (413), too slow (408) or broken (400).
    Answer with :func:`body_refused`."""


async def read_body(request: web.Request, *, limit: int, within: float) -> bytes:
    """The whole body, at most ``limit`` bytes, within ``within`` seconds; else
    :class:`BodyUnread` (``Content-Length`` over ``limit`` is refused unread; aiohttp
    enforces ``limit`` while reading too, as ``client_max_size``)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyUnread(_TOO_LARGE, code="request_too_large", status=413)
    try:
        async with asyncio.timeout(within):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyUnread(_TOO_LARGE, code="request_too_large", status=413) from None
    except TimeoutError:
        raise BodyUnread(_SLOW, code="request_timeout", status=408) from None
    except (HttpProcessingError, web.RequestPayloadError):  # bad chunking, bad gzip …
        raise BodyUnread(_BROKEN, code="malformed_http") from None


_TOO_LARGE = "the request body exceeds the gateway's size limit"
_SLOW = "the request body was not received in time"
_BROKEN = "the request body is malformed (its framing or its Content-Encoding)"


async def body_refused(request: web.Request, response: web.Response) -> web.Response:
    """Send ``response`` (413, 408 or 400) to a request whose body was refused; the
    connection is not kept alive. After a 408 or 400 it closes at once: the rest of a
    slow or broken body is not worth waiting for (aiohttp would linger up to 10 s
    reading it). After a 413 aiohttp reads on for a while, so that the client, still
    sending, gets to read the answer."""
    response.force_close()
    if response.status == 413:
        return response
    await response.prepare(request)
    await response.write_eof()
    if request.protocol is not None:
        request.protocol.force_close()
    return response


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for quoting in an error."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _too_deep(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (iterative: a deep
    value must not exhaust the recursion limit while it is being measured)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: valid JSON, but no number anyone can use
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _constant(name: str) -> float:  # NaN, Infinity: Python's extension, not JSON
    raise ValueError(f"{name} is not valid JSON")


def load_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, refusing malformed and too deeply nested bodies and
    numbers that are not finite (``NaN``, ``Infinity``, ``1e400``: JSON has none, and
    they would reach the upstream as invalid JSON)."""
    try:
        body = json.loads(raw, parse_float=_finite, parse_constant=_constant)
    except RecursionError:
        body = None
        deep = True
    except (ValueError, UnicodeDecodeError):
        raise RequestInvalid("the request body is not valid JSON") from None
    else:  # fewer brackets than the limit cannot nest deeper: skip the walk
        brackets = raw.count(b"[") + raw.count(b"{")
        deep = brackets > MAX_DEPTH and isinstance(body, dict | list) and _too_deep(body, MAX_DEPTH)
    if deep:
        raise RequestInvalid(
            f"the request body nests arrays and objects more than {MAX_DEPTH} levels deep"
        )
    return body


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object (:func:`load_json`; anything else is refused)."""
    body = load_json(raw)
    if not isinstance(body, dict):
        raise RequestInvalid("the request body must be a JSON object")
    return body


def first_unknown(fields: Iterable[str], known: Set[str]) -> str | None:
    """The first (sorted) of ``fields`` not in ``known``, clipped for quoting in an
    error; ``None`` when all are known."""
    unknown = set(fields) - known
    return clip(sorted(unknown)[0]) if unknown else None


def check_task(task: str | None) -> None:
    """The ``x-llm-router-task`` header: absent, or one of the task names."""
    if task is not None and task not in TASK_NAMES:
        raise RequestInvalid(
            f"header x-llm-router-task must be one of {', '.join(TASK_NAMES)}",
            param="x-llm-router-task",
        )


@contextmanager
def values_checked() -> Iterator[None]:
    """What :class:`~llm_router.types.ChatRequest`'s own checks refuse inside
    (``ValueError``) as a :class:`RequestInvalid`."""
    try:
        yield
    except ValueError as exc:
        raise RequestInvalid(str(exc), param="messages") from None


def number(body: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    """``body[key]``: absent/null, or a number from ``low`` to ``high``."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestInvalid(f"'{key}' must be a number", param=key)
    # An int is compared as it is: float() of a 400-digit integer would overflow.
    if isinstance(value, float) and not math.isfinite(value):
        raise RequestInvalid(f"'{key}' must be a number", param=key)
    if not low <= value <= high:
        raise RequestInvalid(f"'{key}' must be between {low:g} and {high:g}", param=key)
    return float(value)


def integer(body: Mapping[str, Any], key: str) -> int | None:
    """``body[key]``: absent/null, or an integer from 1 to :data:`MAX_TOKENS`."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOKENS:
        raise RequestInvalid(f"'{key}' must be an integer between 1 and {MAX_TOKENS}", param=key)
    return value


def boolean(body: Mapping[str, Any], key: str) -> bool:
    """``body[key]``: a boolean (absent or null: ``False``)."""
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RequestInvalid(f"'{key}' must be a boolean", param=key)
    return value


__all__ = [
    "MAX_DEPTH",
    "MAX_ECHO",
    "MAX_TOKENS",
    "BodyUnread",
    "RequestInvalid",
    "body_refused",
    "boolean",
    "check_task",
    "clip",
    "first_unknown",
    "integer",
    "json_object",
    "load_json",
    "number",
    "read_body",
    "values_checked",
]
