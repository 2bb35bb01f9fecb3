"""The facts one attempt is judged on: an immutable snapshot the gate service loads from its store.

The rulebook never queries anything: whatever a rule needs is here, and the same facts always give the
same decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from collectguard.rulebook.lazy import lazy
from collectguard.rulebook.policy import Limits
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
    CollectorKind,
    CollectorStatus,
    DebtorStatus,
    DebtStatus,
    Delivery,
    LeaseState,
    ListingStatus,
    Mode,
    PartyKind,
    Purpose,
    Receiver,
    ReceiverRelation,
    ToolType,
    effective_mode,
)


@dataclass(frozen=True)
class Attempt:
    id: str
    collector_id: str
    debt_id: str
    party_id: str
    channel: Channel
    mode: Mode
    tool_id: str | None = None
    template_id: str | None = None
    purpose: Purpose | None = None
    recording: bool | None = None
    team: tuple[str, ...] = ()
    ids_shown: bool | None = None
    delivery: Delivery | None = None
    envelope_template_id: str | None = None
    # A hand-delivered letter: who receives it, and for a family member the relation and whether they were
    # told that only the debtor may open it (art. 15(三)2,4).
    receiver: Receiver | None = None
    receiver_relation: ReceiverRelation | None = None
    receiver_told: bool | None = None

    @property
    def effective_mode(self) -> Mode:
        """The mode judged, counted and recorded: notification on a one-way channel, whatever was declared."""
        return effective_mode(self.channel, self.mode)


@dataclass(frozen=True)
class Collector:
    id: str
    kind: CollectorKind
    org_id: str
    status: CollectorStatus = CollectorStatus.ACTIVE
    pre_job_exam: date | None = None
    pledge_signed: bool = False
    last_training: date | None = None
    approved: bool = False


@dataclass(frozen=True)
class Agency:
    id: str
    parent_id: str | None
    # Status on the debt's institution's name list; None when not listed there.
    listing: ListingStatus | None
    # Approved in advance by the debt's institution as a subcontractor (art. 17(四)).
    approved_as_subcontractor: bool = False


@dataclass(frozen=True)
class Agreement:
    id: str
    agency_id: str
    valid_from: date
    valid_to: date
    subcontracting: bool = False


@dataclass(frozen=True)
class Placement:
    debt_id: str
    agency_id: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class Tool:
    id: str
    institution_id: str
    type: ToolType
    official: bool = False
    filed: bool = False
    org_id: str | None = None
    active_from: date | None = None
    active_to: date | None = None


@dataclass(frozen=True)
class Template:
    id: str
    institution_id: str
    audience: Audience
    channel: Channel
    approved: bool
    text: str
    sealed: bool = False
    version: int = 1
    active: bool = True


@dataclass(frozen=True)
class Debt:
    id: str
    institution_id: str
    debtor_id: str
    product: str
    guarantor_ids: tuple[str, ...] = ()
    status: DebtStatus = DebtStatus.OPEN
    settled_at: datetime | None = None


@dataclass(frozen=True)
class Party:
    """The person an attempt reaches. For a contact, `debtor_id` is the debtor it is a contact of,
    and the time zone and status are that debtor's."""

    id: str
    kind: PartyKind
    debtor_id: str
    timezone: str
    debtor_status: DebtorStatus = DebtorStatus.NORMAL
    refused: bool = False
    offers_to_repay: bool = False

    @lazy
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class PastAttempt:
    """An earlier attempt of the same institution to the same debtor (or letter for the same product)."""

    id: str
    at: datetime
    channel: Channel
    mode: Mode
    allowed: bool
    party_id: str
    quota_rule: str | None
    lease_state: LeaseState
    connected: bool | None  # None: no outcome reported yet
    product: str | None = None
    ended_at: datetime | None = None  # when the call (or delivery) ended, as its outcome says; None: not said


@dataclass(frozen=True)
class Hold:
    """A stop-collection hold on a debt or a debtor: dispute, regulator complaint, hardship, litigation,
    suspected fraud or identity theft, death. It covers every agency and channel until released."""

    id: str
    reason: str
    starts_at: datetime
    released_at: datetime | None = None
    debt_id: str | None = None
    debtor_id: str | None = None

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.released_at is None or at < self.released_at)


@dataclass(frozen=True)
class Facts:
    at: datetime
    attempt: Attempt
    institution_id: str
    limits: Limits
    collector: Collector | None
    team: dict[str, Collector | None] = field(default_factory=dict)
    agency: Agency | None = None  # the collector's agency, if the collector is not in-house
    parent_agency: Agency | None = None  # its parent, for a subcontractor
    root_agency: Agency | None = None  # the entrusted agency at the top of a subcontracting chain
    agreements: tuple[Agreement, ...] = ()  # of the entrusted agency with the debt's institution
    placements: tuple[Placement, ...] = ()  # of the debt
    tool: Tool | None = None
    template: Template | None = None
    envelope_template: Template | None = None
    debt: Debt | None = None
    party: Party | None = None
    history: tuple[PastAttempt, ...] = ()
    holds: tuple[Hold, ...] = ()  # on the debt or on the party's debtor

    @lazy
    def used_today_by_rule(self) -> dict[str, int]:
        """Per-day quota → units held or used today (`rulebook.usage.count_used_today`), counted once per
        facts: the facts are immutable, and one decision asks for several quotas several times."""
        from collectguard.rulebook.usage import count_used_today  # usage reads these facts: imported late

        return count_used_today(self)
