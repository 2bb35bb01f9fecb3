"""A plain `pip install collectguard` (no extras) runs every command: each third-party module that
src/collectguard imports comes from the main dependencies or what they require, never from `dev` alone."""

from __future__ import annotations

import ast
import importlib.metadata as md
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "collectguard"


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]


def _guarded(tree: ast.AST) -> set[int]:
    """Line numbers of imports inside `try: … except ImportError` (optional on purpose, reported when absent)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
        if caught & {"ImportError", "ModuleNotFoundError"}:
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom)}
    return lines


def imported_modules() -> dict[str, set[str]]:
    """Top-level third-party module → the files importing it unguarded (lazy imports in functions count)."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        optional = _guarded(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and node.lineno not in optional:
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.lineno not in optional:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "collectguard":
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def installed_closure(requirements: list[str]) -> set[str]:
    """Canonical names of the distributions these requirements pull in, their extras included, dev extras not."""
    seen: set[tuple[str, str]] = set()
    stack = [(Requirement(r), "") for r in requirements]
    names: set[str] = set()
    while stack:
        req, parent_extra = stack.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": parent_extra}):
            continue
        name = canonicalize_name(req.name)
        for extra in ("", *sorted(req.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            names.add(name)
            stack += [(Requirement(line), extra) for line in md.requires(req.name) or []]
    return names


def test_main_dependencies_are_pinned_and_include_httpx():
    deps = [Requirement(r) for r in _project()["dependencies"]]
    unpinned = [str(r) for r in deps if not any(s.operator == "==" for s in r.specifier)]
    assert unpinned == []
    assert "httpx" in {canonicalize_name(r.name) for r in deps}, "`collectguard notices send` needs httpx"
    assert "httpx" not in {canonicalize_name(Requirement(r).name) for r in _project()["optional-dependencies"]["dev"]}


def test_every_module_the_package_imports_comes_from_the_main_dependencies():
    provided = installed_closure(_project()["dependencies"])
    by_module = md.packages_distributions()
    missing = {
        module: sorted(files) for module, files in imported_modules().items()
        if not {canonicalize_name(d) for d in by_module.get(module, [module])} & provided
    }
    assert missing == {}, f"imported but only installed by dev extras (or not at all): {missing}"
    assert "httpx" in imported_modules()  # the sender imports it at module level: the check above covers it
