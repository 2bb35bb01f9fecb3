"""The rulebook stays a pure library: no database, web framework or wall-clock reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

RULEBOOK = Path(__file__).resolve().parents[1] / "src" / "collectguard" / "rulebook"
CLOCK = re.compile(r"\b(datetime|date)\.(now|today|utcnow)\(|\btime\.(time|monotonic|perf_counter)\(|^\s*import time\b")


def test_import_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([exe], capture_output=True, text=True, cwd=RULEBOOK.parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_rules_never_read_the_clock():
    offenders = [
        f"{path.relative_to(RULEBOOK)}:{n}: {line.strip()}"
        for path in RULEBOOK.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CLOCK.search(line)
    ]
    assert not offenders, offenders


# -- issue 10, restructure 5 (second half): the layers, and names that do not collide ------------------------
SRC = RULEBOOK.parent
DOMAINS = ("agencies", "collectors", "tools", "templates", "debts", "monitoring", "oversight", "public")


def _contracts() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([exe], capture_output=True, text=True, cwd=RULEBOOK.parents[2])
    return " ".join((result.stdout + result.stderr).split())  # contract names wrap in the report


def test_the_layers_and_qa_contracts_are_checked_and_kept():
    """endpoints → service → repository → models in every domain; services, repositories and models never import
    HTTP; the database layer imports no domain; quality inspection never imports the gate."""
    report = _contracts()
    for contract in ("Each domain is layered: endpoints → service → repository → models (schemas beside them) KEPT",
                     "Services, repositories and models know nothing of HTTP KEPT",
                     "Quality inspection never imports the gate (it reads attempts as a table) KEPT",
                     "The console is layered: endpoints → pages → web → reads (a page's queries know nothing of HTTP) "
                     "KEPT"):
        assert contract in report, report
    assert "The database layer is below every domain" in report and "BROKEN" not in report


def test_the_console_has_its_layers():
    """The console is the people's side of every domain: a module per page, its queries beside, templates."""
    console = SRC / "console"
    assert {"endpoints", "web"} <= {p.stem for p in console.glob("*.py")}
    pages = {p.stem for p in (console / "pages").glob("*.py")} - {"__init__"}
    assert {"signin", "overview"} <= pages
    assert (console / "templates" / "overview.html").exists() and (console / "templates" / "base.html").exists()


def test_every_domain_has_its_layers():
    for domain in DOMAINS:
        present = {p.stem for p in (SRC / domain).glob("*.py")}
        assert {"models", "schemas", "repository", "service", "endpoints"} <= present, domain


def test_names_do_not_collide():
    """One `facts.py` (the rulebook's immutable facts; the gate's loader is gate/repository.py), and QA's rule data
    is not a second `rules/` beside the rulebook's rule code."""
    facts = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("facts.py"))
    assert facts == ["rulebook/facts.py"], facts
    assert not (SRC / "qa" / "rules").exists() and any((SRC / "qa" / "rulesets").glob("*.yaml"))


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, long
