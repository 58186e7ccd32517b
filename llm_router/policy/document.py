"""A parsed policy file as the checks see it: :class:`Document` holds the plain data,
the line every value came from, and the issues found so far; a :data:`PathT` names a
place in it (``routes.code[1]``). The loader (:mod:`.load`) fills it, the shapes
(:mod:`.shapes`, :mod:`.compound`, :mod:`.schema`) and :mod:`.validate` check it.
Issues never quote a secret (:meth:`Document.scrub`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from llm_router.errors import PolicyIssue
from llm_router.redact import REDACTED, is_secret_key, redact_text

PathT: TypeAlias = tuple[str | int, ...]
"""A location in the document: mapping keys and list indexes from the root."""


def format_path(path: PathT) -> str:
    """``("routes", "code", 1)`` → ``routes.code[1]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class Document:
    """A parsed policy file: plain data, the line of every path, and what went wrong."""

    file: str
    data: Any = None
    lines: dict[PathT, int] = field(default_factory=dict)
    issues: list[PolicyIssue] = field(default_factory=list)
    unresolved: set[PathT] = field(default_factory=set)
    """Paths whose ``${VAR}`` failed: already reported, so later checks skip them."""
    from_env: set[str] = field(default_factory=set, repr=False)
    """Values read from the environment (never quoted in an issue)."""

    def line(self, path: PathT) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def issue(self, path: PathT, message: str, *, line: int | None = None) -> None:
        """Record a problem at ``path`` (its line is looked up unless given)."""
        if path in self.unresolved:
            return
        where = line if line is not None else self.line(path)
        self.issues.append(
            PolicyIssue(self.file, format_path(path), where, self.scrub(path, message))
        )

    def scrub(self, path: PathT, message: str) -> str:
        """``message`` without what it must not quote: values read from the environment
        (a key in ``${VLLM_KEY}``), the value of a field named like a credential, and
        anything that looks like a key (:func:`llm_router.redact.redact_text`)."""
        hidden = [value for value in self.from_env if len(value) >= 4]
        names = [part for part in path if isinstance(part, str)]
        if names and (is_secret_key(names[-1]) or is_secret_key(names[-1].rstrip("s"))):
            value = self.value_at(path)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                hidden += [repr(value), str(value)]
        for text in sorted(hidden, key=len, reverse=True):
            if text:
                message = message.replace(text, REDACTED)
        return redact_text(message)

    def value_at(self, path: PathT) -> Any:
        """The parsed value at ``path`` (``None`` if there is none)."""
        value = self.data
        for part in path:
            if isinstance(value, dict) and isinstance(part, str):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                value = value[part]
            else:
                return None
        return value
