"""A small table language for the policy's shape: one description, two uses.

This module holds the protocol and the scalar shapes; :mod:`.compound` the lists,
mappings and alternatives.

Each shape checks parsed YAML data (reporting every problem with its path, through
:class:`~llm_router.policy.document.Document`) and renders itself as JSON Schema (draft
2020-12), so the loader and the schema editors use cannot drift apart. Checks that
need the whole document (references between sections, regexes, URLs) live in
:mod:`llm_router.policy.validate`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from llm_router.policy.document import Document, PathT

Json = dict[str, Any]
"""A JSON Schema fragment."""

INTERPOLATED: Json = {"type": "string", "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$"}
"""A whole-value ``${VAR}`` reference: accepted by the schema wherever a number or a
boolean is, since the loader substitutes it before checking."""


def suggest(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def json_type(value: Any) -> str:
    """The JSON type name of a parsed YAML value, as used in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


_ARTICLE = {"integer": "an integer", "mapping": "a mapping", "list": "a list", "null": "null"}


def article(kind: str) -> str:
    """``kind`` with its article, for messages (``an integer``, ``a mapping``)."""
    return _ARTICLE.get(kind, f"a {kind}")


def got(value: Any) -> str:
    """How a wrong value is shown in messages: ``'soon' (a string)``, ``a list``."""
    kind = json_type(value)
    if kind in ("list", "mapping", "null"):
        return article(kind)
    return f"{value!r} ({article(kind)})"


class Shape(Protocol):
    """A checker of parsed data that can also describe itself as JSON Schema."""

    @property
    def doc(self) -> str:
        """What the value means (the schema's ``description``)."""
        ...

    def kinds(self) -> frozenset[str]:
        """The JSON types this shape accepts (``string``, ``number``, ``mapping``…)."""
        ...

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Record an issue in ``doc`` for everything wrong with ``value``."""
        ...

    def schema(self) -> Json:
        """This shape as a JSON Schema fragment."""
        ...


def with_doc(doc: str, schema: Json) -> Json:
    """``schema`` with ``description`` first when ``doc`` is given."""
    return {"description": doc, **schema} if doc else schema


@dataclass(frozen=True)
class Str:
    """A string, optionally from a closed set (``enum``) or matching ``pattern``."""

    doc: str = ""
    enum: tuple[str, ...] = ()
    what: str = "value"
    pattern: str | None = None
    hint: str = ""
    min_length: int = 0

    def kinds(self) -> frozenset[str]:
        """Strings only."""
        return frozenset({"string"})

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Type, emptiness, enum (with a suggestion) and pattern."""
        if not isinstance(value, str):
            doc.issue(path, f"expected a string, got {got(value)}")
        elif len(value) < self.min_length:
            doc.issue(path, "must not be empty")
        elif self.enum and value not in self.enum:
            doc.issue(
                path,
                f"unknown {self.what} '{value}'{suggest(value, self.enum)}; "
                f"expected one of: {', '.join(self.enum)}",
            )
        elif self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            doc.issue(path, f"invalid {self.what} '{value}': {self.hint}")

    def schema(self) -> Json:
        """``type: string`` with ``enum``/``pattern``/``minLength``."""
        out: Json = {"type": "string"}
        if self.enum:
            out["enum"] = list(self.enum)
        if self.pattern is not None:
            out["pattern"] = f"^(?:{self.pattern})$"
        if self.min_length:
            out["minLength"] = self.min_length
        return with_doc(self.doc, out)


@dataclass(frozen=True)
class Num:
    """A number (or an integer) with optional bounds."""

    doc: str = ""
    integer: bool = False
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None

    def kinds(self) -> frozenset[str]:
        """Integers, and numbers unless ``integer``."""
        return frozenset({"integer"} if self.integer else {"integer", "number"})

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Type and bounds."""
        if json_type(value) not in self.kinds():
            wanted = "an integer" if self.integer else "a number"
            doc.issue(path, f"expected {wanted}, got {got(value)}")
        elif self.exclusive_minimum is not None and value <= self.exclusive_minimum:
            doc.issue(path, f"must be > {self.exclusive_minimum:g}, got {value!r}")
        elif self.minimum is not None and value < self.minimum:
            doc.issue(path, f"must be >= {self.minimum:g}, got {value!r}")
        elif self.maximum is not None and value > self.maximum:
            doc.issue(path, f"must be <= {self.maximum:g}, got {value!r}")

    def schema(self) -> Json:
        """``type: number|integer`` with bounds, or a ``${VAR}`` string."""
        out: Json = {"type": "integer" if self.integer else "number"}
        for key, bound in (
            ("minimum", self.minimum),
            ("exclusiveMinimum", self.exclusive_minimum),
            ("maximum", self.maximum),
        ):
            if bound is not None:
                out[key] = int(bound) if self.integer else bound
        return with_doc(self.doc, {"anyOf": [out, INTERPOLATED]})


@dataclass(frozen=True)
class Bool:
    """``true`` or ``false`` (and ``null`` when ``nullable``: "decide automatically")."""

    doc: str = ""
    nullable: bool = False

    def kinds(self) -> frozenset[str]:
        """Booleans (and null)."""
        return frozenset({"boolean", "null"} if self.nullable else {"boolean"})

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Type only."""
        if json_type(value) not in self.kinds():
            doc.issue(path, f"expected true or false, got {got(value)}")

    def schema(self) -> Json:
        """``type: boolean``, or a ``${VAR}`` string."""
        kind: Any = ["boolean", "null"] if self.nullable else "boolean"
        return with_doc(self.doc, {"anyOf": [{"type": kind}, INTERPOLATED]})


def seconds(doc: str) -> Num:
    """A duration in seconds, above 0 (``doc`` is completed with the unit)."""
    return Num(f"{doc} (seconds, > 0).", exclusive_minimum=0)


def count(doc: str, minimum: int = 1) -> Num:
    """A whole number from ``minimum`` (default 1)."""
    return Num(doc, integer=True, minimum=minimum)
