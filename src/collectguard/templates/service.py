"""Templates and their versions (art. 15(一)): create and change, edit (a new version) and decide, in the caller's
transaction, each change in the ledger. A template's text changes only as a new version that needs approval
again; an edit and a decision each lock the template, so no edit lands between a review and its decision.
Services never commit."""

from __future__ import annotations

from typing import Any

from collectguard.errors import Conflict
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit
from collectguard.templates import models as tm
from collectguard.templates import repository as repo
from collectguard.templates.schemas import TemplateApprovalIn, TemplateEditIn


def add_template(unit: Unit, data: s.TemplateIn) -> tm.Template:
    unit.require(m.Institution, data.institution, kind="institution", field="institution")
    row = tm.Template(id=data.id, institution_id=data.institution, audience=data.audience, channel=data.channel)
    unit.new(row, "template", data.id, Tag.TEMPLATE_CREATED, data.model_dump(mode="json"), data.institution)
    unit.session.flush()
    unit.session.add(
        tm.TemplateVersion(
            template_id=data.id,
            version=1,
            text=data.text,
            sealed=data.sealed,
            status="approved" if data.approved else "pending",
        )
    )
    return row


def update_template(unit: Unit, ident: str, changes: dict[str, Any]) -> tm.Template:
    """Whether the template is in use; its text changes only as a new version (art. 15(一))."""
    row = unit.get(tm.Template, ident, kind="template")
    unit.update(row, Tag.TEMPLATE_UPDATED, ident, changes, row.institution_id)
    return row


def edit(unit: Unit, data: TemplateEditIn) -> EventOut:
    """An edited template is a new version that needs approval again (art. 15(一))."""
    unit.lock(tm.Template.id, data.template)  # one edit or decision at a time
    template = unit.fresh(tm.Template, data.template, kind="template", field="template")
    current = repo.current_version(unit.session, template, fresh=True)
    version = template.current_version + 1
    unit.session.add(
        tm.TemplateVersion(
            template_id=template.id, version=version, text=data.text,
            sealed=current.sealed if data.sealed is None else data.sealed, status="pending",
        )
    )
    template.current_version = version
    seq = unit.record(Tag.TEMPLATE_VERSION_CREATED, template.id, {"version": version}, template.institution_id)
    return EventOut(kind=Tag.TEMPLATE_VERSION_CREATED, subject=template.id, ledger_seq=seq)


def decide(unit: Unit, data: TemplateApprovalIn, *, pending_only: bool = False) -> EventOut:
    """Approve or reject the current version, with the template's row locked, so that no edit lands between the
    review and the decision (issue 10, item 4). `data.version` names the version decided (over HTTP it must): if
    it is no longer the current one, 409 `template-version-changed`. Approval first runs the QA rules and the
    template checks (art. 15(一)) on that version's text; with findings nothing is approved and the refusal and
    its findings are recorded (`template:version:lint-refused`, returned): the caller commits it and answers
    409 `template-lint-failed` (`refusal`). `pending_only` (HTTP): a version already decided is a 409
    `template-not-pending`; the platform (scenario files) may also withdraw an approval."""
    from collectguard.qa import templates as qa

    unit.lock(tm.Template.id, data.template)  # edits take it too
    template = unit.fresh(tm.Template, data.template, kind="template", field="template")
    if data.version is not None and data.version != template.current_version:
        raise Conflict(
            f"模板 {template.id} 的当前版本已是第 {template.current_version} 版，不是所审批的第 {data.version} 版；"
            "请审阅新版本后再审批",
            f"template {template.id} is at version {template.current_version} now, not version "
            f"{data.version} that was reviewed; review the new version first",
            field="version", code="template-version-changed",
        )
    version = repo.current_version(unit.session, template, fresh=True)
    if pending_only and version.status != "pending":
        raise Conflict(f"模板 {template.id} 当前版本状态为 {version.status}，不是待审批",
                       f"template {template.id}'s current version is {version.status}, not pending",
                       field="template_id", code="template-not-pending")
    if data.approved:
        findings = [f.to_output() for f in qa.lint_template(version.text, template.audience, template.channel)]
        if findings:  # recorded, and committed by the caller: the refusal is part of the record
            seq = unit.record(Tag.TEMPLATE_VERSION_LINT_REFUSED, template.id,
                              {"version": version.version, "findings": findings}, template.institution_id)
            return EventOut(kind=Tag.TEMPLATE_VERSION_LINT_REFUSED, subject=template.id, ledger_seq=seq,
                            detail={"version": version.version, "findings": findings})
    version.status = "approved" if data.approved else "rejected"
    tag = Tag.TEMPLATE_VERSION_APPROVED if data.approved else Tag.TEMPLATE_VERSION_REJECTED
    seq = unit.record(tag, template.id, {"version": version.version}, template.institution_id)
    return EventOut(kind=tag, subject=template.id, ledger_seq=seq)


def refusal(event: EventOut) -> Conflict | None:
    """The 409 for a decision the review checks refused (after its record is committed), else None."""
    if event.kind != Tag.TEMPLATE_VERSION_LINT_REFUSED:
        return None
    findings = event.detail["findings"]
    return Conflict(
        f"模板 {event.subject} 未通过审核检查（{len(findings)} 项），不能批准",
        f"template {event.subject} fails {len(findings)} review check(s) and cannot be approved",
        field="template", code="template-lint-failed", details=findings,
    )
