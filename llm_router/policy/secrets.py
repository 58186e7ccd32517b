"""The credentials a policy holds, registered with the redactor as it is loaded.

A key that does not look like one (a vLLM token read from ``${VLLM_KEY}``, a key
written literally in the file) would pass the redactor's patterns. So every
credential the policy gives the process is registered with
:func:`llm_router.redact.register_secret` as soon as the policy is parsed (and again
on every reload): each provider's ``api_key``, its header values, passwords in its
``base_url`` and in the Redis URL, and the clients' ``server.api_keys``. From then
on none of them can leave through a log line, an error body or an SSE error event,
even when an upstream echoes its own key in an error.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from llm_router.policy.model import Policy
from llm_router.redact import is_secret_key, register_secret

_PLAIN_HEADERS = frozenset(
    {"accept", "anthropic-beta", "anthropic-version", "content-type", "openai-beta", "user-agent"}
)
"""Headers whose values are protocol settings, not credentials (left alone: scrubbing
``2023-06-01`` from every log line would only hide information)."""

_TOKEN_LENGTH = 16  # a URL user name this long (and no password) is a token


def url_secrets(url: str | None) -> set[str]:
    """The credentials in ``url``: its password (or a token used as user name) and the
    values of credential-named query parameters (``?key=…``)."""
    if not url:
        return set()
    try:
        parts = urlsplit(url)
        password, username = parts.password, parts.username
    except ValueError:  # e.g. a bad port: the policy check reports the URL itself
        return set()
    found: set[str] = set()
    if password:
        found.add(password)
    elif username and len(username) >= _TOKEN_LENGTH:
        found.add(username)
    found.update(v for k, v in parse_qsl(parts.query) if v and is_secret_key(k))
    return found


def policy_secrets(policy: Policy) -> set[str]:
    """Every credential ``policy`` holds (see the module doc)."""
    found: set[str] = set(policy.server.api_keys)
    for spec in policy.providers.values():
        if spec.api_key:
            found.add(spec.api_key)
        for name, value in spec.headers.items():
            if name.lower() in _PLAIN_HEADERS or not value:
                continue
            found.add(value)
            scheme, _, credential = value.partition(" ")  # "Bearer <token>"
            if credential and scheme.isalpha():
                found.add(credential.strip())
        found |= url_secrets(spec.base_url)
    found |= url_secrets(policy.breaker_storage.url)
    return found


def register_policy_secrets(policy: Policy) -> None:
    """Register every credential of ``policy`` with the redactor (idempotent)."""
    for secret in policy_secrets(policy):
        register_secret(secret)
