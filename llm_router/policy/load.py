"""Read a policy file: YAML (safe semantics only) with line numbers and ``${ENV}``.

The document is composed into YAML nodes by a :class:`yaml.SafeLoader` subclass and
converted by hand, so that every value keeps the line it came from, duplicate keys
are reported instead of silently overwritten, and mapping keys stay the text the
user wrote (``no:`` is the key ``"no"``, not ``False``). Scalars are built by the
safe constructor: no Python tags, no arbitrary objects.

Strings may reference the environment: ``${VAR}`` (unset or empty is an error naming
the variable), ``${VAR:-default}``, and ``$$`` for a literal ``$``. An unquoted value
that was interpolated is re-read as YAML, so ``port: ${PORT:-8080}`` is a number.

What comes out is a :class:`~llm_router.policy.document.Document`: the data, the
line of every value, and the issues found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from llm_router.policy.document import Document, PathT
from llm_router.policy.env import AllowMissing

_REF = re.compile(r"\$\$|\$\{([^}]*)\}")
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_VAR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose nodes we convert ourselves (see the module docstring)."""


def _yaml_error(doc: Document, exc: yaml.YAMLError, text: str) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(exc, "problem", None) or exc)
    if "'\\t'" in problem:
        message = "tab character in indentation: YAML indents with spaces only"
    else:
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        lines = text.splitlines()
        if line is not None and 0 < line <= len(lines) and "${" in lines[line - 1]:
            message += "; put ${VAR} references inside [ ] or { } in quotes"
    doc.issue((), message, line=line)


def parse(text: str, file: str, env: Mapping[str, str]) -> Document:
    """Parse ``text`` (the contents of ``file``) into a :class:`Document`."""
    doc = Document(file)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        _yaml_error(doc, exc, text)
        return doc
    finally:
        loader.dispose()
    if root is None:
        doc.issue((), "the policy file is empty", line=1)
        return doc
    converter = _Converter(doc, loader, env)
    doc.lines[()] = root.start_mark.line + 1
    doc.data = converter.value(root, ())
    if not isinstance(doc.data, dict):
        doc.issue((), "the policy must be a mapping (providers:, routes:, …) at the top level")
        doc.data = {}
    return doc


class _Converter:
    """Turns composed nodes into dicts, lists and scalars, recording lines."""

    def __init__(self, doc: Document, loader: _Loader, env: Mapping[str, str]) -> None:
        self.doc = doc
        self.loader = loader
        self.env = env
        self.active: set[int] = set()

    def value(self, node: yaml.Node, path: PathT) -> Any:
        if id(node) in self.active:
            self.doc.issue(path, "recursive YAML alias")
            return None
        if node.tag not in _PLAIN_TAGS and not isinstance(node, yaml.ScalarNode):
            self.doc.issue(path, f"unsupported YAML tag '{node.tag}': only plain YAML is allowed")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                items = []
                for i, item in enumerate(node.value):
                    self.doc.lines[(*path, i)] = item.start_mark.line + 1
                    items.append(self.value(item, (*path, i)))
                return items
            assert isinstance(node, yaml.ScalarNode)
            return self.scalar(node, path)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: PathT) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        own: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._merge(value_node, path, merged)
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.doc.issue(path, "mapping keys must be plain names", line=line)
                continue
            key = str(key_node.value)
            if key in first_line:
                self.doc.issue(
                    (*path, key),
                    f"duplicate key '{key}' (first defined on line {first_line[key]})",
                    line=line,
                )
                continue
            first_line[key] = line
            self.doc.lines[(*path, key)] = line
            own[key] = self.value(value_node, (*path, key))
        return {**merged, **own}

    def _merge(self, node: yaml.Node, path: PathT, into: dict[str, Any]) -> None:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            value = self.value(source, path)
            if not isinstance(value, dict):
                self.doc.issue(path, "'<<' merges mappings only")
                continue
            for key, item in value.items():
                into.setdefault(key, item)
                self.doc.lines.setdefault((*path, key), source.start_mark.line + 1)

    def scalar(self, node: yaml.ScalarNode, path: PathT) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            self.doc.issue(path, f"unsupported YAML tag '{node.tag}': only plain YAML is allowed")
            return None
        if not isinstance(value, str) or "$" not in value:
            return value
        before = len(self.doc.issues)
        text = self.interpolate(value, path)
        if len(self.doc.issues) > before:
            self.doc.unresolved.add(path)
        if node.style is not None or text == value:
            return text  # quoted: stays a string
        resolve: Callable[..., str] = self.loader.resolve  # typed differently across stubs
        tag = resolve(yaml.ScalarNode, text, (True, False))
        return self.loader.construct_object(yaml.ScalarNode(tag, text), deep=True)

    def interpolate(self, text: str, path: PathT) -> str:
        """Replace ``${VAR}``, ``${VAR:-default}`` and ``$$`` in ``text``."""

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            ref = _VAR.match(match.group(1))
            if ref is None:
                self.doc.issue(path, f"invalid variable reference '{match.group(0)}'")
                return ""
            name, default = ref.group(1), ref.group(2)
            found = self.env.get(name)
            if found:
                self.doc.from_env.add(found)
                return found
            if default is not None:
                return default
            if isinstance(self.env, AllowMissing):  # validate/explain --allow-missing-env
                return self.env.placeholder(name)
            self.doc.issue(
                path,
                f"environment variable {name} is not set"
                + (" (it is empty)" if found == "" else "")
                + f"; set it or write ${{{name}:-default}}",
            )
            return ""

        return _REF.sub(replace, text)
