"""Art. 17–18: listed agencies, written agreements, one agency per debt, controlled subcontracting.

For a subcontractor's collector, the agreement and the placement are checked on the entrusted agency
at the top of the chain (art. 17(四)): the subcontractor follows its parent's agreement.
"""

from __future__ import annotations

from collectguard.rulebook.facts import Agency, Agreement
from collectguard.rulebook.rules.base import Context, Fail, fail_all
from collectguard.rulebook.vocabulary import ListingStatus


def _entrusted(ctx: Context) -> Agency | None:
    """The agency the institution entrusted, or None for an in-house collector."""
    if ctx.in_house:
        return None
    return ctx.facts.root_agency or ctx.facts.agency


def _covering_agreements(ctx: Context, agency: Agency) -> list[Agreement]:
    return [
        a
        for a in ctx.facts.agreements
        if a.agency_id == agency.id and a.valid_from <= ctx.today <= a.valid_to
    ]


def agency_listed(ctx: Context) -> Fail | None:
    if ctx.in_house:
        return None
    agency = ctx.facts.agency
    if agency is None:
        return Fail(
            f"{ctx.collector.org_id} 既不是本机构也不是其名单内的催收机构",
            f"{ctx.collector.org_id} is neither the institution nor an agency on its list",
        )
    entrusted = _entrusted(ctx)
    assert entrusted is not None
    problems: list[tuple[str, str]] = []
    if entrusted.listing is not ListingStatus.ACTIVE:
        shown = entrusted.listing.value if entrusted.listing else "未入名单 / not listed"
        problems.append((f"{entrusted.id} 名单状态：{shown}", f"{entrusted.id} name-list status: {shown}"))
    if agency is not entrusted and agency.listing not in (None, ListingStatus.ACTIVE):
        assert agency.listing is not None
        problems.append((f"{agency.id} 名单状态：{agency.listing.value}",
                         f"{agency.id} name-list status: {agency.listing.value}"))
    return fail_all(problems)


def agreement_active(ctx: Context) -> Fail | None:
    entrusted = _entrusted(ctx)
    if entrusted is None:
        return None
    if not _covering_agreements(ctx, entrusted):
        return Fail(f"{entrusted.id} 在 {ctx.today} 无有效委托协议", f"{entrusted.id} has no agreement in force on {ctx.today}")
    return None


def single_agency(ctx: Context) -> Fail | None:
    entrusted = _entrusted(ctx)
    if entrusted is None:
        return None
    current = [p for p in ctx.facts.placements if p.valid_from <= ctx.today <= p.valid_to]
    if any(p.agency_id == entrusted.id for p in current):
        return None
    holder = ", ".join(sorted({p.agency_id for p in current})) or "无 / none"
    return Fail(
        f"该债务当前委托给：{holder}，而非 {entrusted.id}",
        f"the debt is placed with {holder}, not {entrusted.id}",
    )


def subcontracting(ctx: Context) -> Fail | None:
    agency = ctx.facts.agency
    if ctx.in_house or agency is None or agency.parent_id is None:
        return None
    problems: list[tuple[str, str]] = []
    parent = ctx.facts.parent_agency
    if parent is not None and parent.parent_id is not None:
        problems.append((f"{agency.id} 是转委托的再转委托", f"{agency.id} is a subcontractor of a subcontractor"))
    if not agency.approved_as_subcontractor:
        problems.append((f"{agency.id} 未经机构事先同意转委托",
                         f"{agency.id} was not approved in advance as a subcontractor"))
    entrusted = _entrusted(ctx)
    assert entrusted is not None
    covering = _covering_agreements(ctx, entrusted)
    if covering and not any(a.subcontracting for a in covering):
        problems.append((f"{entrusted.id} 的委托协议不允许转委托",
                         f"{entrusted.id}'s agreement does not allow subcontracting"))
    return fail_all(problems)
