"""Redaction of secrets and message content from log events.

Two kinds of things never reach a log line:

- **secrets**: values of fields named like a credential (``api_key``, ``token``,
  ``Authorization``, ``x-api-key``, ``password``, ``secret`` …), strings that look like
  provider keys (``sk-…``, ``sk-ant-…``, ``AIza…``), ``Bearer …`` values, ``key=``
  query parameters, URL passwords (``scheme://user:password@host``), and any value
  registered with :func:`register_secret` (every credential of a loaded policy);
- **message content** (fields such as ``messages``, ``prompt``, ``content``,
  ``text``), unless content logging was enabled explicitly for debugging.

:class:`Redactor` is a structlog processor; :func:`redact_text` scrubs one string.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

REDACTED = "[REDACTED]"
"""What a secret is replaced with."""

CONTENT_REDACTED = "[content redacted]"
"""What message content is replaced with (unless content logging is enabled)."""

_SECRET_KEY = re.compile(
    r"(?:^|_)(?:api_?key|apikey|key|token|secret|password|passwd|authorization|auth|"
    r"access_token|refresh_token|auth_token|id_token|bearer|credentials?|cookie|set_cookie|"
    r"private_key|client_secret|session_token)$"
)
# Fields that hold counts or settings, not credentials, despite a secret-looking suffix.
_NOT_SECRET_KEYS = frozenset({"first_token", "max_token", "max_tokens", "cache_key", "sort_key"})

CONTENT_KEYS = frozenset(
    {
        "messages",
        "message_content",
        "prompt",
        "prompts",
        "content",
        "text",
        "partial_text",
        "completion",
        "thinking",
        "system",
        "arguments",
        "tool_calls",
        "input_text",
        "output_text",
        "body",
        "request_body",
        "response_body",
        "payload",
        "json",
        "data",
    }
)
"""Field names whose values are (or may carry) message content."""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Header lines or key/value pairs rendered into a string.
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|x-goog-api-key|api_key|"
            r"apikey|password|secret|token)(\"?'?\s*[:=]\s*\"?'?)(?:bearer\s+|basic\s+)?"
            r"[^\s\"',;&}]+"
        ),
        r"\1\2" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-*]{6,}"), r"\1 " + REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_\-*]{6,}"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{16,}"), REDACTED),
    (
        re.compile(r"(?i)([?&](?:key|api_key|api-key|access_token|token)=)[^&\s\"']+"),
        r"\1" + REDACTED,
    ),
    # The password of a URL: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s/@]+@"), r"\1" + REDACTED + "@"),
)


def _maybe_secret(text: str) -> bool:
    """False only if no pattern of ``_PATTERNS`` can match ``text``: every match holds
    one of these words (case-insensitively). Most log values (ids, names, times) hold
    none and skip the five regex scans. Non-ASCII text always takes the scans, since
    ``re``'s case folding differs from ``str.lower`` there."""
    if not text.isascii():
        return True
    t = text.lower()
    return (
        "key" in t
        or "token" in t
        or "secret" in t
        or "password" in t
        or "authorization" in t
        or "bearer" in t
        or "basic" in t
        or "sk-" in t
        or "aiza" in t
        or ("://" in t and "@" in t)
    )


_SECRET_ENV = re.compile(r"(?i)(?:api_?key|token|secret|password|passwd)$")
_MIN_SECRET = 6
_secrets: set[str] = set()
_secrets_by_length: tuple[str, ...] = ()  # _secrets, longest first (rebuilt on change)
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Scrub ``value`` wherever it appears in a log event from now on (short values,
    under 6 characters, are ignored: they would scrub ordinary words)."""
    global _secrets_by_length
    if value and len(value) >= _MIN_SECRET:
        with _secrets_lock:
            _secrets.add(value)
            _secrets_by_length = tuple(sorted(_secrets, key=len, reverse=True))
            _short.clear()


def register_env_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Register the values of environment variables named like credentials
    (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``)."""
    for name, value in (os.environ if environ is None else environ).items():
        if _SECRET_ENV.search(name):
            register_secret(value)


def _norm(key: str) -> str:
    return key.strip().lower().replace("-", "_")


_key_kinds: dict[str, int] = {}  # field name -> _SECRET, _CONTENT or _PLAIN (memo)
_PLAIN, _SECRET, _CONTENT = 0, 1, 2
_MAX_KEY_KINDS = 4096


def _key_kind(key: str) -> int:
    """Whether field ``key`` is a secret, (possibly) content, or plain; memoised, as
    events reuse a small set of field names."""
    kind = _key_kinds.get(key)
    if kind is None:
        k = _norm(key)
        if k not in _NOT_SECRET_KEYS and _SECRET_KEY.search(k) is not None:
            kind = _SECRET
        else:
            kind = _CONTENT if k in CONTENT_KEYS else _PLAIN
        if len(_key_kinds) < _MAX_KEY_KINDS:
            _key_kinds[key] = kind
    return kind


def is_secret_key(key: str) -> bool:
    """Whether a field (or header) named ``key`` holds a credential."""
    return _key_kind(key) == _SECRET


def is_plain_key(key: str) -> bool:
    """Whether a field named ``key`` is neither a credential nor message content (its
    value is kept, scrubbed of anything that looks like a key)."""
    return _key_kind(key) == _PLAIN


_short: dict[str, str] = {}  # memo for short strings (names, ids); cleared on change
_SHORT, _MAX_SHORT = 64, 4096


def redact_text(text: str) -> str:
    """``text`` with every key-looking string and registered secret replaced."""
    if len(text) <= _SHORT:
        done = _short.get(text)
        if done is None:
            done = _redact_text(text)
            if len(_short) >= _MAX_SHORT:
                _short.clear()
            _short[text] = done
        return done
    return _redact_text(text)


def _redact_text(text: str) -> str:
    for secret in _secrets_by_length:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if not _maybe_secret(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_SCALARS = frozenset({int, float, bool, type(None)})


def redact(value: Any, *, include_content: bool = False, _depth: int = 0) -> Any:
    """A copy of ``value`` (strings, mappings, sequences nested) with secrets and,
    unless ``include_content``, message content removed."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    if _depth > 20:
        return REDACTED
    if type(value) is list or type(value) is tuple:  # before the (slower) ABC check
        items = [redact(v, include_content=include_content, _depth=_depth + 1) for v in value]
        return items if type(value) is list else tuple(items)
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            kind = _key_kind(str(k))
            if kind == _SECRET:
                out[k] = REDACTED
            elif not include_content and kind == _CONTENT and v is not None:
                out[k] = CONTENT_REDACTED
            else:
                out[k] = redact(v, include_content=include_content, _depth=_depth + 1)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = [redact(v, include_content=include_content, _depth=_depth + 1) for v in value]
        return items if isinstance(value, list | set | frozenset) else tuple(items)
    if isinstance(value, int | float | bool) or value is None:
        return value
    # Anything else (an exception, a request object, …) is rendered, then scrubbed.
    return redact_text(repr(value) if isinstance(value, BaseException) else str(value))


class Redactor:
    """A structlog processor applying :func:`redact` to every field of an event."""

    def __init__(self, *, include_content: bool = False) -> None:
        self.include_content = include_content

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Redact ``event_dict`` in place and return it.

        The common fields (numbers, ``None``, names and ids already seen) take an
        inlined path: one memo lookup per field, no call. Only values change while
        the dict is walked, never its keys.
        """
        include = self.include_content
        kinds, short = _key_kinds, _short
        for key, value in event_dict.items():
            if key == "exc_info":
                continue  # rendered (then redacted) by the exception processor
            kind = kinds.get(key)
            if kind is None:
                kind = _key_kind(key)
            if kind == _PLAIN:
                if type(value) in _SCALARS:
                    continue
                if type(value) is str and len(value) <= _SHORT:
                    done = short.get(value)
                    if done is not None:
                        if done is not value:
                            event_dict[key] = done
                        continue
                event_dict[key] = redact(value, include_content=include)
            elif kind == _SECRET:
                event_dict[key] = REDACTED
            elif not include and value is not None:
                event_dict[key] = CONTENT_REDACTED
            else:
                event_dict[key] = redact(value, include_content=include)
        return event_dict
