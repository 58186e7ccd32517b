"""The contract between the HTTP streaming base and each provider's event decoder, and
the cheap field checks every decoder runs on what it reads (docs/DESIGN.md §1.3:
malformed events are faults, not noise).

A decoder checks the type of each field it actually reads, with the helpers below, and
wraps its work in ``try`` / ``except SHAPE_ERRORS``, turning what it catches into a
:class:`~llm_router.errors.ProtocolError` with :func:`protocol_error`. So an event of the
wrong shape is a typed, retryable fault at that point of the stream, and a wrong-typed
value never reaches the caller. The messages name the field and the JSON type found,
never a value from the event (it may be the answer, or echo a secret).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from llm_router import errors
from llm_router.types import StreamChunk


class StreamDecoder(Protocol):
    """Turns one wire format's parsed events into chunks (one decoder per stream)."""

    finished: bool
    """The format's finish signal has arrived."""
    wants_trailer: bool
    """After ``finished``, keep reading (up to ``trailer_grace``) for trailing usage."""

    def decode(self, event: str, data: Any) -> list[StreamChunk]:
        """Chunks for one event (``data`` is parsed JSON); never empty chunks.
        Raises :class:`~llm_router.errors.ProviderError` for in-stream error events
        and :class:`~llm_router.errors.ProtocolError` for a wrong-shaped event."""
        ...

    def final_chunk(self) -> StreamChunk:
        """The closing chunk (finish reason, raw finish reason, usage); called once."""
        ...


class WrongShape(Exception):
    """A field of an event has the wrong JSON type (internal: see :func:`protocol_error`)."""


SHAPE_ERRORS = (WrongShape, TypeError, AttributeError, KeyError, ValueError, IndexError)
"""What a decoder catches around its access path and reports as a ``ProtocolError``."""

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def json_type(value: Any) -> str:
    """The JSON type of a parsed value, for messages (``"an object"``, ``"null"``…)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def wrong(where: str, value: Any, expected: str) -> WrongShape:
    """The :class:`WrongShape` for field ``where`` holding ``value`` instead of ``expected``."""
    return WrongShape(f"{where} is {json_type(value)}, expected {expected}")


def protocol_error(exc: Exception, provider: str, model: str) -> errors.ProtocolError:
    """The ``ProtocolError`` for what a decoder caught (one of :data:`SHAPE_ERRORS`)."""
    if isinstance(exc, WrongShape):
        what = str(exc)
    else:
        what = f"unexpected structure ({type(exc).__name__})"
    return errors.ProtocolError(f"malformed event: {what}", provider=provider, model=model)


def invalid_json(exc: Exception, event: str, provider: str, model: str) -> errors.ProtocolError:
    """The ``ProtocolError`` for an event whose JSON does not parse (never skipped: it may
    have carried content). Says where the parse failed, never what the event held."""
    where = f" at char {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
    name = f" ({event})" if event and event != "message" else ""
    return errors.ProtocolError(
        f"malformed event{name}: invalid JSON{where}", provider=provider, model=model
    )


def obj(value: Any, where: str) -> dict[str, Any] | None:
    """``value`` if it is a JSON object, ``None`` if null or absent; else wrong shape."""
    if value is None or type(value) is dict:
        return value
    raise wrong(where, value, "an object")


def array(value: Any, where: str) -> list[Any]:
    """``value`` if it is a JSON array, ``[]`` if null or absent; else wrong shape."""
    if type(value) is list:
        return value
    if value is None:
        return []
    raise wrong(where, value, "an array")


def text(value: Any, where: str) -> str:
    """``value`` if it is a string, ``""`` if null or absent; else wrong shape."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    raise wrong(where, value, "a string")


def string(value: Any, where: str) -> str:
    """``value`` if it is a string; anything else, even null, is wrong shape (a field an
    event of its kind always carries, e.g. the text of a text delta)."""
    if type(value) is str:
        return value
    raise wrong(where, value, "a string")


def count(value: Any, where: str) -> int | None:
    """A token count: an integer (a whole float is accepted), ``None`` if null or absent;
    anything else (a string, a boolean, a fraction, a negative number) is wrong shape."""
    if type(value) is int and value >= 0:
        return value
    if value is None:
        return None
    if type(value) is float and value >= 0 and value.is_integer():
        return int(value)
    raise wrong(where, value, "a token count")


def index(value: Any, where: str) -> int:
    """A position (tool call, content block): a non-negative integer, 0 if null or absent."""
    if type(value) is int and value >= 0:
        return value
    if value is None:
        return 0
    raise wrong(where, value, "a non-negative integer")
