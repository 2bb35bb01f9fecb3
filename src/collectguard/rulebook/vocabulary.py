"""The words of the rulebook: channels, modes, parties and statuses (RULES.md, Definitions, art. 3)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    FIVE_G = "5g_message"
    EMAIL = "email"
    IM = "im"
    VIDEO = "video"
    LETTER = "letter"
    VISIT = "visit"


class Mode(StrEnum):
    NOTIFICATION = "notification"  # 告知式催收
    INTERACTIVE = "interactive"  # 交互式催收


# One-way channels carry a notice and no conversation: whatever mode a caller declares, an attempt on one of
# them is notification-type (RULES.md art15-template-approved) — it needs an approved template and is
# counted and recorded as a notification.
ONE_WAY_CHANNELS: frozenset[Channel] = frozenset({Channel.SMS, Channel.FIVE_G, Channel.EMAIL, Channel.LETTER})


def effective_mode(channel: Channel, declared: Mode) -> Mode:
    """The mode an attempt is judged, counted and recorded as: notification on a one-way channel."""
    return Mode.NOTIFICATION if channel in ONE_WAY_CHANNELS else declared


class ToolType(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTERHEAD = "letterhead"
    IM = "im"


# INVARIANT: every channel but a visit needs a tool of exactly this type (art. 10(一)).
TOOL_TYPE_FOR_CHANNEL: Mapping[Channel, ToolType] = MappingProxyType({
    Channel.VOICE: ToolType.PHONE,
    Channel.SMS: ToolType.SMS,
    Channel.FIVE_G: ToolType.SMS,
    Channel.EMAIL: ToolType.EMAIL,
    Channel.IM: ToolType.IM,
    Channel.VIDEO: ToolType.IM,
    Channel.LETTER: ToolType.LETTERHEAD,
})


class PartyKind(StrEnum):
    DEBTOR = "debtor"
    CONTACT = "contact"


class Purpose(StrEnum):
    LOCATE = "locate"
    RELAY = "relay"
    REPAYMENT_INFO = "repayment_info"


class CollectorKind(StrEnum):
    HUMAN = "human"
    AI_AGENT = "ai_agent"


class CollectorStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"


class DebtorStatus(StrEnum):
    NORMAL = "normal"
    UNREACHABLE = "unreachable"
    DECEASED = "deceased"
    INCAPACITATED = "incapacitated"


class DebtStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"


class ListingStatus(StrEnum):
    """An agency's status on an institution's name list (art. 17(二), 18)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    RECTIFICATION_STOP = "rectification_stop"
    TERMINATED = "terminated"
    DELISTED = "delisted"  # taken off the list (art. 18(一)); listed again only through admission (art. 17)


class Audience(StrEnum):
    DEBTOR = "debtor"
    CONTACT = "contact"


class Delivery(StrEnum):
    POST = "post"
    HAND = "hand"
    EMAIL = "email"
    FAX = "fax"


# A letter on paper goes in an envelope: by post, by hand, or (never allowed, art15-letter-no-fax) by fax;
# a letter whose delivery is not given is taken as paper (fail closed). Only e-mail has no envelope.
PAPER_DELIVERIES: frozenset[Delivery | None] = frozenset({Delivery.POST, Delivery.HAND, Delivery.FAX, None})


class Receiver(StrEnum):
    """Who receives a hand-delivered letter (art. 15(三)2,4)."""

    DEBTOR = "debtor"  # 债务人本人
    FAMILY = "family"  # 与债务人同住的成年家庭成员 an adult family member living with the debtor


class ReceiverRelation(StrEnum):
    """A family receiver's relation to the debtor: a category, never a name (it is kept in the ledger)."""

    SPOUSE = "spouse"  # 配偶
    PARENT = "parent"  # 父母
    CHILD = "child"  # 成年子女
    SIBLING = "sibling"  # 兄弟姐妹
    GRANDPARENT = "grandparent"  # 祖父母、外祖父母
    GRANDCHILD = "grandchild"  # 成年孙子女、外孙子女
    OTHER_RELATIVE = "other_relative"  # 其他同住亲属


class LeaseState(StrEnum):
    """Where an allowed attempt's lease on a per-day quota stands (RULES.md, Counting and concurrency)."""

    NONE = "none"  # the attempt takes no quota
    HELD = "held"  # outcome not yet reported: counts against the quota
    CONSUMED = "consumed"  # connected / effective: counts
    RELEASED = "released"  # did not connect / not effective: does not count
    EXPIRED = "expired"  # no outcome by the lease's expiry: counts (fail safe), a missing outcome


COUNTING_LEASE_STATES = frozenset({LeaseState.HELD, LeaseState.CONSUMED, LeaseState.EXPIRED})

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
