"""Compound shapes of the policy table: lists, mappings, objects and alternatives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_router.policy.document import Document, PathT
from llm_router.policy.shapes import Json, Shape, Str, article, got, json_type, suggest, with_doc


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
            doc.issue(path, f"expected a list, got {got(value)}")
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
        return with_doc(self.doc, out)


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
            doc.issue(path, f"expected a mapping, got {got(value)}")
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
        return with_doc(self.doc, out)


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
            doc.issue(path, f"expected a mapping, got {got(value)}")
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
        return with_doc(self.doc, out)


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
        wanted = " or ".join(sorted({article(k) for o in self.options for k in o.kinds()}))
        doc.issue(path, f"expected {wanted}, got {got(value)}")

    def schema(self) -> Json:
        """``anyOf`` the options (they never overlap, so messages stay precise)."""
        return with_doc(self.doc, {"anyOf": [o.schema() for o in self.options]})


@dataclass(frozen=True)
class NeedsObj(Obj):
    """An :class:`Obj` some of whose keys only mean something beside another key:
    ``needs`` pairs ``(key, required_key)`` (JSON Schema ``dependentRequired``)."""

    needs: tuple[tuple[str, str], ...] = ()

    def check(self, doc: Document, value: Any, path: PathT) -> None:
        """The object's checks, then each key present without the key it needs."""
        super().check(doc, value, path)
        for key, other in self.needs if isinstance(value, dict) else ():
            if key in value and other not in value:
                doc.issue((*path, key), f"'{key}' only applies with '{other}'; set '{other}' too")

    def schema(self) -> Json:
        """The object's schema with ``dependentRequired``."""
        out = super().schema()
        deps: dict[str, list[str]] = {}
        for key, other in self.needs:
            deps.setdefault(key, []).append(other)
        return {**out, "dependentRequired": deps} if deps else out
