"""A small table language for the policy's shape: one description, two uses.

Each shape checks parsed YAML data (reporting every problem with its path, through
:class:`~llm_router.policy.load.Document`) and renders itself as JSON Schema (draft
2020-12), so the loader and the schema editors use cannot drift apart. Checks that
need the whole document (references between sections, regexes, URLs) live in
:mod:`llm_router.policy.validate`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from llm_router.policy.load import Document, PathT

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


def _a(kind: str) -> str:
    return _ARTICLE.get(kind, f"a {kind}")


def _got(value: Any) -> str:
    kind = json_type(value)
    if kind in ("list", "mapping", "null"):
        return _a(kind)
    return f"{value!r} ({_a(kind)})"


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


def _with_doc(doc: str, schema: Json) -> Json:
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
            doc.issue(path, f"expected a string, got {_got(value)}")
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
        return _with_doc(self.doc, out)


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
            doc.issue(path, f"expected {wanted}, got {_got(value)}")
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
        return _with_doc(self.doc, {"anyOf": [out, INTERPOLATED]})


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
            doc.issue(path, f"expected true or false, got {_got(value)}")

    def schema(self) -> Json:
        """``type: boolean``, or a ``${VAR}`` string."""
        kind: Any = ["boolean", "null"] if self.nullable else "boolean"
        return _with_doc(self.doc, {"anyOf": [{"type": kind}, INTERPOLATED]})


@dataclass(frozen=True)
class ListOf:
    """A list whose items all have shape ``item``."""

    item: Shape
    doc: str = ""
    min_items: int = 0

    def kinds(self) -> frozenset[str]:
        """Lists only."""
        return frozenset({"list"})

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Type, length, then every item."""
        if not isinstance(value, list):
            doc.issue(path, f"expected a list, got {_got(value)}")
            return
        if len(value) < self.min_items:
            doc.issue(
                path,
                "must not be empty"
                if self.min_items == 1
                else f"must list at least {self.min_items} items",
            )
        for i, item in enumerate(value):
            self.item.check(doc, item, (*path, i))

    def schema(self) -> Json:
        """``type: array``."""
        out: Json = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        return _with_doc(self.doc, out)


@dataclass(frozen=True)
class MapOf:
    """A mapping from names (each a valid ``key``) to values of shape ``value``."""

    key: Str
    value: Shape
    doc: str = ""
    min_items: int = 0

    def kinds(self) -> frozenset[str]:
        """Mappings only."""
        return frozenset({"mapping"})

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Type, size, every name and every value."""
        if not isinstance(value, dict):
            doc.issue(path, f"expected a mapping, got {_got(value)}")
            return
        if len(value) < self.min_items:
            doc.issue(path, "must not be empty")
        for name, item in value.items():
            self.key.check(doc, name, (*path, name))
            self.value.check(doc, item, (*path, name))

    def schema(self) -> Json:
        """``type: object`` with ``propertyNames`` and ``additionalProperties``."""
        out: Json = {
            "type": "object",
            "propertyNames": self.key.schema(),
            "additionalProperties": self.value.schema(),
        }
        if self.min_items:
            out["minProperties"] = self.min_items
        return _with_doc(self.doc, out)


@dataclass(frozen=True)
class Variant:
    """Keys of an :class:`Obj` allowed (or required) only for some ``type`` values."""

    key: str
    types: frozenset[str]
    required: bool = False


@dataclass(frozen=True)
class Obj:
    """A mapping with a fixed set of keys; unknown keys are errors (with a suggestion).

    ``variants`` restrict keys by the value of the ``discriminator`` key.
    """

    fields: dict[str, Shape]
    doc: str = ""
    required: tuple[str, ...] = ()
    discriminator: str = "type"
    variants: tuple[Variant, ...] = field(default=())

    def kinds(self) -> frozenset[str]:
        """Mappings only."""
        return frozenset({"mapping"})

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Type, unknown keys, required keys, variant rules, then every value."""
        if not isinstance(value, dict):
            doc.issue(path, f"expected a mapping, got {_got(value)}")
            return
        for key, item in value.items():
            if key in self.fields:
                self.fields[key].check(doc, item, (*path, key))
                continue
            hint = suggest(key, list(self.fields)) or f"; expected one of: {', '.join(self.fields)}"
            doc.issue((*path, key), f"unknown key '{key}'{hint}")
        for key in self.required:
            if key not in value:
                doc.issue(path, f"missing required key '{key}'")
        kind = value.get(self.discriminator)
        known = self.fields.get(self.discriminator)
        if not isinstance(kind, str) or (isinstance(known, Str) and kind not in known.enum):
            return
        for v in self.variants:
            if v.required and kind in v.types and v.key not in value:
                doc.issue(path, f"missing required key '{v.key}' (needed by type {kind})")
            if not v.required and kind not in v.types and v.key in value:
                only = ", ".join(sorted(v.types))
                doc.issue((*path, v.key), f"'{v.key}' is only valid for type {only}, not {kind}")

    def schema(self) -> Json:
        """``type: object`` with ``properties``, ``required`` and ``if``/``then`` rules."""
        out: Json = {
            "type": "object",
            "properties": {k: s.schema() for k, s in self.fields.items()},
            "additionalProperties": False,
        }
        if self.required:
            out["required"] = list(self.required)
        rules = []
        for v in self.variants:
            types = sorted(v.types)
            if v.required:
                cond: Json = {"properties": {self.discriminator: {"enum": types}}}
                then: Json = {"required": [v.key]}
            else:
                cond = {"properties": {self.discriminator: {"not": {"enum": types}}}}
                then = {"properties": {v.key: False}}
            rules.append({"if": {**cond, "required": [self.discriminator]}, "then": then})
        if rules:
            out["allOf"] = rules
        return _with_doc(self.doc, out)


@dataclass(frozen=True)
class OneOf:
    """Several shapes told apart by JSON type (e.g. ``- openai`` or ``- {provider: …}``)."""

    options: tuple[Shape, ...]
    doc: str = ""

    def kinds(self) -> frozenset[str]:
        """The union of the options' kinds."""
        return frozenset().union(*(o.kinds() for o in self.options))

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """Check against the option that takes this JSON type."""
        kind = json_type(value)
        for option in self.options:
            if kind in option.kinds():
                option.check(doc, value, path)
                return
        wanted = " or ".join(sorted({_a(k) for o in self.options for k in o.kinds()}))
        doc.issue(path, f"expected {wanted}, got {_got(value)}")

    def schema(self) -> Json:
        """``anyOf`` the options (they never overlap, so messages stay precise)."""
        return _with_doc(self.doc, {"anyOf": [o.schema() for o in self.options]})
