"""Issue 10, restructure 3: every ledger kind is a `Tag` (ledger/tags.py, `source:subject:action`), and every
append in src names one — never a string made up at the call site, where a typo is a record nobody finds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from collectguard.ledger.tags import Tag

SRC = Path(__file__).resolve().parents[2] / "src" / "collectguard"
# Calls that append to the ledger, and where their kind is: the first positional argument or `kind=`.
APPENDERS = {"record", "record_for", "record_for_org", "record_for_agency", "append", "Entry", "EventOut"}


def _kind_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name in ("record", "record_for", "record_for_org", "record_for_agency", "Entry") and call.args:
        return call.args[0]
    return None


def _appends() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in APPENDERS and (kind := _kind_argument(node)) is not None:
                found.append((str(path.relative_to(SRC)), node.lineno, kind))
    return found


def test_every_tag_is_source_subject_action():
    for tag in Tag:
        assert re.fullmatch(r"[a-z]+:[a-z-]+:[a-z-]+", tag.value), tag
        assert tag == tag.value and f"{tag}" == tag.value  # stored, hashed and compared as its text
        assert ":".join((tag.source, tag.subject, tag.action)) == tag.value


def test_every_append_in_src_names_a_tag():
    appends = _appends()
    assert len(appends) > 40  # the scan sees the appends (a broken scan would pass vacuously)
    made_up = [f"{path}:{line}: {ast.unparse(kind)}" for path, line, kind in appends
               if isinstance(kind, (ast.Constant, ast.JoinedStr, ast.BinOp))]
    assert not made_up, "ledger kinds made up at the call site instead of a Tag:\n" + "\n".join(made_up)


@pytest.mark.parametrize("tag", list(Tag), ids=lambda t: t.value)
def test_every_tag_is_recorded_somewhere(tag):
    """No stale entry: each tag is named by the code that records it."""
    uses = [path for path in SRC.rglob("*.py") if path.name != "tags.py"
            and f"Tag.{tag.name}" in path.read_text(encoding="utf-8")]
    assert uses, f"Tag.{tag.name} is recorded nowhere"
