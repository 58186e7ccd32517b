"""The text-delta fast path of OpenAI-compatible streams: no JSON parse per event.

An OpenAI-compatible upstream sends most of a stream as text deltas that differ only
in their text: the same ``id``, ``created``, ``model`` and choice fields around one
string, byte for byte. A :class:`TextTemplate` learns that envelope from one such
event (the text's prefix and suffix in the raw payload), and from then on an event
that starts with the prefix and ends with the suffix, with one well-formed JSON string
between them, is decoded by unescaping that string alone (``json``'s C scanner),
without building the event's objects.

Exactness: JSON's grammar is context-free, so replacing one string token of a valid
document by another string token gives a valid document of the same structure, which
parses to the same objects except for that one value. :func:`learn` checks, by parsing
a probe document once, that the token it found is the one that becomes
``choices[0].delta.content`` (not a duplicate key's overridden value, not another
field), and learns only from an event the decoder's object path reads as a plain text
delta (one choice, index 0, only ``content`` in its delta, no finish reason, usage or
error). So the fast path returns exactly the chunk the general path would, and anything
else — another shape, a malformed string, an empty text — goes through the general path,
which raises the ``ProtocolError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, cast

from llm_router.wire.payload import loads

_scanstring = cast(Callable[[str, int, bool], tuple[str, int]], vars(json.decoder)["scanstring"])
_CONTENT_KEY = re.compile(r'"content"[ \t\n\r]*:[ \t\n\r]*"')
_PROBE = ("p\\u0022q\\n", 'p"q\n')  # a string token and its value, used once per template


class TextTemplate:
    """A learned text-delta envelope: ``prefix`` (up to and including the text's opening
    quote) and ``suffix`` (from its closing quote)."""

    __slots__ = ("_n", "prefix", "suffix")

    def __init__(self, prefix: str, suffix: str) -> None:
        self.prefix = prefix
        self.suffix = suffix
        self._n = len(prefix) + len(suffix)

    def text(self, raw: str) -> str | None:
        """The text of ``raw`` if it is this envelope around one well-formed, non-empty
        JSON string; else ``None`` (decode it the general way)."""
        n = len(raw)
        if n <= self._n or not raw.startswith(self.prefix) or not raw.endswith(self.suffix):
            return None
        try:
            value, end = _scanstring(raw, len(self.prefix), True)
        except ValueError:  # a malformed string: the general path names the fault
            return None
        if end != n - len(self.suffix) + 1:  # an unescaped quote inside: another shape
            return None
        return value


def plain_text(data: Any) -> str | None:
    """The text of a parsed event that is a plain text delta (what the decoder's object
    fast path accepts), else ``None``."""
    if type(data) is not dict or data.get("usage") is not None or data.get("error") is not None:
        return None
    choices = data.get("choices")
    if type(choices) is not list or len(choices) != 1 or type(choices[0]) is not dict:
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if type(delta) is not dict or len(delta) != 1 or choice.get("finish_reason") is not None:
        return None
    piece = delta.get("content")
    if type(piece) is not str or not piece or choice.get("index"):
        return None
    return piece


def learn(raw: str, data: Any) -> TextTemplate | None:
    """The template of ``raw`` (whose parse is ``data``), if it is a plain text delta
    whose text token is found and proven by a probe parse; else ``None``."""
    piece = plain_text(data)
    token, probe = _PROBE
    if piece is None or piece == probe:
        return None
    for match in _CONTENT_KEY.finditer(raw):
        start = match.end()
        try:
            value, end = _scanstring(raw, start, True)
        except ValueError:
            continue
        if value != piece:
            continue
        prefix, suffix = raw[:start], raw[end - 1 :]
        try:
            parsed = loads(prefix + token + suffix)
        except (ValueError, RecursionError):
            return None
        choice = data["choices"][0]
        expected = {**data, "choices": [{**choice, "delta": {"content": probe}}]}
        return TextTemplate(prefix, suffix) if parsed == expected else None
    return None
