"""Template approval is one locked transaction that names its version (issue 10, item 4).

Before, approval linted the current version in one transaction and approved "the current version" in
another, so an edit landing in between was approved unlinted, and then used by the gate.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.errors import Conflict
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.qa import templates as qa_templates
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.templates.schemas import TemplateApprovalIn, TemplateEditIn
from tests.factories import at, build, voice_call, world

CLEAN = "【示例银行】您的借款已逾期，请通过官方App还款。"
THREAT = "你再不还钱，我们就派人上门找你家里人，后果自负！"
EDIT_WAIT_S = 1.0  # how long the injected edit may take before the approval goes on without waiting for it


def _world() -> s.World:
    """The factory world plus t-new: an SMS template whose version 1 is clean and pending."""
    w = world()
    return w.model_copy(update={"templates": [*w.templates, s.TemplateIn(
        id="t-new", institution="bank", audience="debtor", channel="sms", approved=False, text=CLEAN)]})


def _versions(store: Store) -> list[tuple[int, str]]:
    with store.read() as session:
        rows = session.execute(select(m.TemplateVersion.version, m.TemplateVersion.status)
                               .where(m.TemplateVersion.template_id == "t-new").order_by(m.TemplateVersion.version))
        return [(v, st) for v, st in rows]


@pytest.fixture
def gate(store):
    build(store, _world())
    g = Gate(store)
    yield g
    g.close()


@pytest.fixture
def events(store):
    return Events(store)


def test_an_edit_landing_during_the_review_is_never_approved_unlinted(gate, events, store, monkeypatch):
    """Right after the review checks ran, another worker edits the template to a threatening text. The
    approval must decide the version it linted (or refuse): the threatening version is never approved."""
    other = Store(store.url, keyring=store.keyring)
    editor = Events(other)
    lint = qa_templates.lint_template
    edits: list[threading.Thread] = []

    def lint_then_someone_edits(text, audience, channel):
        findings = lint(text, audience, channel)
        if not edits:
            edit = threading.Thread(target=lambda: editor.edit_template(
                TemplateEditIn(template="t-new", text=THREAT), at("2026-05-20 09:00:30")))
            edits.append(edit)
            edit.start()
            edit.join(EDIT_WAIT_S)  # it lands now, unless the approval holds the template's lock
        return findings

    monkeypatch.setattr(qa_templates, "lint_template", lint_then_someone_edits)
    try:
        try:
            events.template_approval(TemplateApprovalIn(template="t-new", approved=True, version=1),
                                   at("2026-05-20 09:00"))
        except Conflict as exc:  # the edit came first: the version named is no longer current
            assert exc.code == "template-version-changed"
        edits[0].join(30)
        assert not edits[0].is_alive()
    finally:
        other.dispose()
    assert (2, "approved") not in _versions(store)
    with store.read() as session:
        approved = session.execute(select(LedgerRecord.body).where(
            LedgerRecord.kind == "template:version:approved", LedgerRecord.subject == "t-new")).scalars().all()
    assert all('"version":1' in body for body in approved)
    denied = gate.decide(voice_call("a1", channel="sms", tool="sms", template="t-new"), at("2026-05-20 09:05"))
    assert denied.failing_rules == ["art15-template-approved"]  # the current version (2) was never approved


def test_approval_names_its_version_and_a_newer_one_is_a_conflict(gate, events, store):
    events.edit_template(TemplateEditIn(template="t-new", text="【示例银行】请及时通过官方App还款。"), at("2026-05-20 09:00"))
    with pytest.raises(Conflict) as err:
        events.template_approval(TemplateApprovalIn(template="t-new", approved=True, version=1), at("2026-05-20 09:01"))
    assert err.value.code == "template-version-changed" and err.value.status == 409
    assert "2" in err.value.message_en and "2" in err.value.message_zh and err.value.field == "version"
    assert _versions(store) == [(1, "pending"), (2, "pending")]
    events.template_approval(TemplateApprovalIn(template="t-new", approved=True, version=2), at("2026-05-20 09:02"))
    assert _versions(store) == [(1, "pending"), (2, "approved")]
    assert gate.decide(voice_call("a1", channel="sms", tool="sms", template="t-new"), at("2026-05-20 09:05")).allowed


def test_a_refused_review_is_recorded_and_nothing_is_approved(gate, events, store):
    events.edit_template(TemplateEditIn(template="t-new", text=THREAT), at("2026-05-20 09:00"))
    with pytest.raises(Conflict) as err:
        events.template_approval(TemplateApprovalIn(template="t-new", approved=True, version=2), at("2026-05-20 09:01"))
    assert err.value.code == "template-lint-failed" and err.value.details
    assert _versions(store) == [(1, "pending"), (2, "pending")]
    with store.read() as session:
        refused = session.execute(select(LedgerRecord.body).where(
            LedgerRecord.kind == "template:version:lint-refused", LedgerRecord.subject == "t-new")).scalars().all()
    assert len(refused) == 1 and '"version":2' in refused[0]


def test_only_a_pending_version_is_decided_when_asked_so(gate, events, store):
    """Over HTTP approval and rejection act on a pending version only; the platform (scenario files) may
    also withdraw an approval."""
    events.template_approval(TemplateApprovalIn(template="t-new", approved=True, version=1), at("2026-05-20 09:00"))
    with pytest.raises(Conflict) as err:
        events.template_approval(TemplateApprovalIn(template="t-new", approved=False, version=1),
                               at("2026-05-20 09:01"), pending_only=True)
    assert err.value.code == "template-not-pending"
    events.template_approval(TemplateApprovalIn(template="t-new", approved=False), at("2026-05-20 09:02"))
    assert _versions(store) == [(1, "rejected")]
