"""The privacy library stays pure: no database, web, CLI or other domain imports."""

from __future__ import annotations

import ast
from pathlib import Path

import collectguard.privacy

PACKAGE = Path(collectguard.privacy.__file__).parent
ALLOWED_PREFIXES = ("collectguard.privacy", "collectguard.errors")
FORBIDDEN_THIRD_PARTY = ("sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "typer", "rich", "httpx")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_privacy_imports_no_database_or_other_layers() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert files
    for path in files:
        for name in _imports(path):
            if name.startswith("collectguard"):
                assert name.startswith(ALLOWED_PREFIXES), f"{path.name} imports {name}"
            assert name.split(".")[0] not in FORBIDDEN_THIRD_PARTY, f"{path.name} imports {name}"


def test_no_module_level_keyring() -> None:
    """Callers pass the keyring: no module of the package builds or caches one at import."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                src = ast.unparse(node)
                assert "Keyring." not in src and "generate(" not in src, f"{path.name}: {src}"
