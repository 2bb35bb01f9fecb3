"""What the anti-collection flag finds on the demo world (demo/complaints.py): the seeded cluster of 12
mass-produced complaints, and none of the 40 ordinary ones. Run with -s to print the summary."""

from __future__ import annotations

from datetime import date

import pytest

from collectguard.complaints import signal_store
from collectguard.complaints.models import Complaint
from collectguard.complaints.signal_models import ComplaintSignal
from collectguard.db.store import Store
from collectguard.demo.organisations import LENDER
from collectguard.demo.world import load_demo
from collectguard.registry.personal import keyring_of

DAY = date(2026, 6, 10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    summary = load_demo(url, debtors=300, start=DAY)
    store = Store(url)
    yield summary, store
    store.dispose()


def describe(session) -> list[str]:
    """The demo's flags and clusters as a person reads them (masked hints only)."""
    keyring = keyring_of(session)
    flags, total = signal_store.flags(session, LENDER)
    lines = [f"flags: {total}"]
    for cluster in signal_store.clusters(session, LENDER):
        lines.append(f"cluster {cluster.id}: {len(cluster.complaints)} complaints, {cluster.debtors} debtors, "
                     f"{cluster.status}, signals {cluster.signals}, agencies {cluster.agencies}, "
                     f"{cluster.first_at:%Y-%m-%d} .. {cluster.last_at:%Y-%m-%d}")
    for flag in sorted(flags, key=lambda f: f.id):
        if flag.signal == "phrases":
            continue
        out = signal_store.flag_out(keyring, flag, session.get(Complaint, flag.complaint_id))
        lines.append(f"  #{flag.id} {flag.complaint_id} {flag.signal} hint={out['value_hint']} "
                     f"debtors={flag.debtors} shared_with={len(flag.shared_with)} {flag.status}")
    return lines


def test_the_demo_cluster_is_found_and_nothing_else(demo):
    summary, store = demo
    assert summary.counts["complaints"] == 52
    with store.read() as session:
        print("\n" + "\n".join(describe(session)))
        [cluster] = signal_store.clusters(session, LENDER)
        assert sorted(cluster.complaints) == [f"demo-cmp-m{i:02d}" for i in range(1, 13)]
        assert cluster.debtors == 12 and cluster.status == "confirmed"
        assert {"shared_proxy", "shared_phone", "near_duplicate_text", "phrases"} <= set(cluster.signals)
        flagged = {f.complaint_id for f in session.query(ComplaintSignal)}
        assert all(c.startswith("demo-cmp-m") for c in flagged), flagged - {c for c in flagged if "-m" in c}
        assert all(f"demo-cmp-m{i:02d}" in flagged for i in range(1, 13))  # every one: phrases at least
        rows = session.query(Complaint).all()
        ordinary = [c for c in rows if "-m" not in c.id]
        assert len([c for c in ordinary if c.status != "resolved" and c.due_date < DAY]) == 1  # one overdue
        assert len([c for c in ordinary if c.proxy_warning]) == 1
        assert {c.channel for c in ordinary} == {"phone", "email", "letter", "web", "regulator"}
        assert len([c for c in ordinary if c.root_cause_rules]) >= 10


def test_the_cli_prints_the_demo_cluster_and_reviews_it(demo):
    from typer.testing import CliRunner

    from collectguard.complaints.signal_cli import app

    summary, _ = demo
    runner = CliRunner()
    out = runner.invoke(app, ["clusters", "--institution", LENDER, "--db", summary.url])
    assert out.exit_code == 0, out.output
    print("\n" + out.output)
    assert "集群 clusters: 1" in out.output and "12 件投诉 complaints" in out.output and "已确认 confirmed" in out.output
    shown = runner.invoke(app, ["show", "demo-cmp-m01", "--institution", LENDER, "--db", summary.url])
    assert shown.exit_code == 0 and "105****0188" in shown.output and "10555550188" not in shown.output
    listed = runner.invoke(app, ["list", "--institution", LENDER, "--status", "open", "--signal", "shared_phone",
                                 "--json", "--db", summary.url])
    flags = __import__("json").loads(listed.output)
    assert flags and all(f["signal"] == "shared_phone" and f["status"] == "open" for f in flags)
    bad = runner.invoke(app, ["review", str(flags[0]["id"]), "--institution", LENDER, "--decision", "maybe",
                              "--reason", "x", "--by", "u", "--db", summary.url])
    assert bad.exit_code == 2 and "decision" in bad.output
    missing = runner.invoke(app, ["show", "nope", "--institution", LENDER, "--db", summary.url])
    assert missing.exit_code == 2
