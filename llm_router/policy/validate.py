"""Validate a policy file and turn it into a :class:`~llm_router.policy.model.Policy`.

Three passes, each reporting *every* problem it finds: YAML parsing (syntax, tabs,
duplicate keys, ``${ENV}``), the structural table of :mod:`.schema` (types, bounds,
unknown keys), and the checks below that need the whole document (route candidates
naming declared providers, a ``default`` route, regexes that compile, URLs). Only a
policy without issues is converted; otherwise :class:`~llm_router.errors.PolicyError`
carries them all, each with file, path, line and, where one is likely, a suggestion.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llm_router.errors import ConfigurationError, PolicyError
from llm_router.policy.convert import to_policy
from llm_router.policy.document import Document, PathT
from llm_router.policy.load import parse
from llm_router.policy.model import Policy
from llm_router.policy.schema import POLICY, TEXT_TASKS
from llm_router.policy.secrets import register_policy_secrets
from llm_router.policy.shapes import suggest

RESERVED_ROUTES = frozenset({"auto"})
"""Route names a client cannot address as a route (``auto`` means "detect")."""


def load_policy(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Policy:
    """Read, validate and convert the policy file at ``path``.

    ``env`` replaces ``os.environ`` for ``${VAR}`` interpolation. Raises
    :class:`~llm_router.errors.PolicyError` listing every problem (an unreadable
    file is one issue too).
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc = Document(file)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        doc.issue((), f"cannot read the policy file: {reason}")
        raise PolicyError(doc.issues) from None
    return parse_policy(text, file=file, env=env)


def parse_policy(
    text: str, *, file: str = "<policy>", env: Mapping[str, str] | None = None
) -> Policy:
    """Validate and convert policy ``text`` (as if read from ``file``). The credentials
    of a valid policy are registered with the redactor (:mod:`.secrets`)."""
    doc = check_text(text, file=file, env=env)
    if doc.issues:
        raise PolicyError(doc.issues)
    try:
        policy = to_policy(doc.data, file)
    except ConfigurationError as exc:  # a safety net: the checks above should catch it
        doc.issue((), str(exc))
        raise PolicyError(doc.issues) from exc
    register_policy_secrets(policy)
    return policy


def check_text(text: str, *, file: str, env: Mapping[str, str] | None = None) -> Document:
    """Run every check on ``text``; the returned document's ``issues`` lists them all."""
    doc = parse(text, file, os.environ if env is None else env)
    if doc.data is None:
        return doc
    POLICY.check(doc, doc.data, ())
    _check_document(doc, doc.data)
    doc.issues.sort(key=lambda i: i.line if i.line is not None else 0)
    return doc


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_breaker(doc: Document, path: PathT, own: dict[str, Any], merged: dict[str, Any]) -> None:
    """``max_reset_timeout`` below ``reset_timeout`` (after merging ``defaults``),
    reported where this part of the file sets either of them."""
    first, cap = merged.get("reset_timeout", 1.0), merged.get("max_reset_timeout")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (first, cap))
    if numbers and cap < first and ("max_reset_timeout" in own or "reset_timeout" in own):
        key = "max_reset_timeout" if "max_reset_timeout" in own else "reset_timeout"
        doc.issue(
            (*path, key),
            f"max_reset_timeout ({cap:g}) must be >= reset_timeout ({first:g}): "
            "the open period starts at reset_timeout and doubles up to max_reset_timeout",
        )


def _check_document(doc: Document, data: dict[str, Any]) -> None:
    providers = _dict(data.get("providers"))
    defaults = _dict(_dict(data.get("defaults")).get("breaker"))
    _check_breaker(doc, ("defaults", "breaker"), defaults, defaults)
    for name, spec in providers.items():
        url = _dict(spec).get("base_url")
        if isinstance(url, str) and url:
            _check_url(doc, ("providers", name, "base_url"), url, ("http", "https"))
        own = _dict(_dict(spec).get("breaker"))
        _check_breaker(doc, ("providers", name, "breaker"), own, {**defaults, **own})
    routes = _dict(data.get("routes"))
    for name, route in routes.items():
        _check_route(doc, name, route, list(providers))
    if routes and "default" not in routes:
        doc.issue(
            ("routes",),
            "no 'default' route: requests whose task has no route of its own need one"
            f"{suggest('default', list(routes))}",
        )
    disabled = _dict(data.get("tasks")).get("disabled")
    if isinstance(disabled, list) and set(TEXT_TASKS) <= set(disabled):
        doc.issue(("tasks", "disabled"), "disables every text task; keep at least 'chat'")
    for i, rule in enumerate(_dict(data.get("tasks")).get("rules") or []):
        pattern = _dict(rule).get("pattern")
        if isinstance(pattern, str) and pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                doc.issue(("tasks", "rules", i, "pattern"), f"invalid regular expression: {exc}")
    redis = _dict(data.get("breaker_storage")).get("redis")
    if isinstance(redis, str) and redis:
        _check_url(doc, ("breaker_storage", "redis"), redis, ("redis", "rediss", "unix"))


def _check_route(doc: Document, name: str, route: Any, providers: list[str]) -> None:
    path: PathT = ("routes", name)
    if name in RESERVED_ROUTES:
        doc.issue(path, f"'{name}' is reserved (it asks for task detection); pick another name")
    candidates = route.get("candidates") if isinstance(route, dict) else route
    if not isinstance(candidates, list):
        return
    if isinstance(route, dict):
        path = (*path, "candidates")
    seen: dict[tuple[str, str | None], int] = {}
    for i, candidate in enumerate(candidates):
        ref = candidate if isinstance(candidate, str) else _dict(candidate).get("provider")
        if not isinstance(ref, str):
            continue
        where: PathT = (*path, i) if isinstance(candidate, str) else (*path, i, "provider")
        if ref not in providers:
            hint = suggest(ref, providers) or (
                f"; declared providers: {', '.join(providers)}" if providers else ""
            )
            doc.issue(where, f"unknown provider '{ref}'{hint}")
            continue
        model = None if isinstance(candidate, str) else _dict(candidate).get("model")
        key = (ref, model if isinstance(model, str) else None)
        if key in seen:
            doc.issue((*path, i), f"'{ref}' is already candidate [{seen[key]}] of this route")
        seen.setdefault(key, i)


def _shown(url: str) -> str:
    """``url`` with any ``user:password@`` hidden: messages never carry secrets."""
    return re.sub(r"(?<=//)[^/@]*@", "***@", url)


def _check_url(doc: Document, path: PathT, raw: str, schemes: tuple[str, ...]) -> None:
    url = _shown(raw)
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as exc:
        doc.issue(path, f"invalid URL '{url}': {exc}")
        return
    if parts.scheme not in schemes:
        wanted = ", ".join(f"{s}://" for s in schemes)
        doc.issue(path, f"invalid URL '{url}': it must start with {wanted}")
    elif parts.scheme != "unix" and not parts.hostname:
        doc.issue(path, f"invalid URL '{url}': it has no host")
    elif parts.scheme == "unix" and not parts.path:
        doc.issue(path, f"invalid URL '{url}': it has no socket path")
