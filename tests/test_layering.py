"""The package's layer order holds: no module imports from a layer above its own.

The order (docs/DESIGN.md §1.5), lowest first; a module may import from its own layer
and the ones below, never above, and sibling packages of one layer never import each
other (providers and layers meet only in the builder):

    foundation ← observe, wire, tasks ← providers, layers ← builder ← policy ← gateway ← cli
    ← testing

Every import counts, including lazy ones inside functions and ``TYPE_CHECKING`` ones.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "llm_router"

FOUNDATION = (
    "_aio",
    "_chunk",
    "_messages",
    "accumulate",
    "capabilities",
    "config",
    "errors",
    "redact",
    "types",
)
LAYERS: tuple[tuple[str, ...], ...] = (
    FOUNDATION,
    ("observe", "wire", "tasks"),
    ("providers", "layers"),
    ("builder",),
    ("policy",),
    ("gateway",),
    ("cli",),
    ("testing",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}

ALLOWED: set[tuple[str, str]] = set()
"""Known exceptions (importer, imported). Kept empty but for edges being removed."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    base = PACKAGE.parent / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[str]:
    """Every ``llm_router`` module that ``path`` imports, resolved to a module name
    (``from llm_router import errors`` is ``llm_router.errors``; ``from llm_router
    import X`` for a name of the root face is ``llm_router`` itself)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "llm_router")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "llm_router":
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield sub if _is_module(sub) else node.module


def _top(name: str) -> str:
    """The first-level part of ``llm_router.<top>...`` (``""`` for the root face)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def _edges() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        if importer == "llm_router":
            continue  # the root face re-exports from every layer
        for imported in _imports(path):
            yield importer, imported


def _violation(importer: str, imported: str) -> str | None:
    src, dst = _top(importer), _top(imported)
    if not dst:
        return "imports the root face (import from the defining module)"
    if src == dst:
        return None
    if src not in RANK or dst not in RANK:
        return f"{src or dst!r} has no place in the layer order (add it to LAYERS)"
    if RANK[dst] > RANK[src]:
        return f"{src} (layer {RANK[src]}) imports {dst} (layer {RANK[dst]}, above it)"
    if RANK[dst] == RANK[src] and RANK[src] > 0:
        return f"{src} imports its sibling {dst}"
    return None


def test_every_top_level_module_has_a_layer() -> None:
    """Every module and package directly under llm_router is placed in LAYERS."""
    tops = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert tops - RANK.keys() == set()
    assert RANK.keys() - tops == set()


def test_no_module_imports_from_above_its_layer() -> None:
    """No import goes up the layer order or sideways between sibling packages."""
    bad = [
        f"{importer} -> {imported}: {why}"
        for importer, imported in _edges()
        if (importer, imported) not in ALLOWED
        and (why := _violation(importer, imported)) is not None
    ]
    assert bad == []


def test_allowed_exceptions_still_exist() -> None:
    """Every allow-listed edge is still in the code (remove entries once fixed)."""
    assert ALLOWED - set(_edges()) == set()


@pytest.mark.parametrize(
    ("importer", "imported", "ok"),
    [
        pytest.param("llm_router.errors", "llm_router.redact", True, id="foundation-sideways"),
        pytest.param("llm_router.errors", "llm_router.observe", False, id="foundation-up"),
        pytest.param("llm_router.layers.retry", "llm_router.providers", False, id="siblings"),
        pytest.param("llm_router.policy.build", "llm_router.builder", True, id="down"),
        pytest.param("llm_router.builder", "llm_router", False, id="root-face"),
    ],
)
def test_violation_rule(importer: str, imported: str, ok: bool) -> None:
    """The rule itself: down and within the foundation is fine; up, sideways, root is not."""
    assert (_violation(importer, imported) is None) is ok
