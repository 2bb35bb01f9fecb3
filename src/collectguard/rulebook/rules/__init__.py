"""The contact gate rules: one small pure check per rule id; metadata lives in the profile files.

`CATALOGUE` is the one table from rule id to check. A profile (`profile.load_profile`) joins each rule id in
its file with the check named here into an immutable `Rule`; nothing registers itself on import, and the
table cannot be changed once built.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from collectguard.rulebook.rules import (
    agencies,
    caps,
    conduct,
    holds,
    in_force,
    notices,
    qualification,
    repayment,
    targets,
    timing,
    tools,
)
from collectguard.rulebook.rules.base import Check, Context, Fail, Rule

CATALOGUE: Mapping[str, Check] = MappingProxyType({
    in_force.NOT_IN_FORCE: in_force.rulebook_in_force,
    "art6-collector-qualified": qualification.collector_qualified,
    "art7-collection-target": targets.collection_target,
    "art8-contact-precondition": targets.contact_precondition,
    "art8-contact-refused": targets.contact_refused,
    "art8-contact-no-disclosure": targets.contact_no_disclosure,
    "art9-quiet-hours": timing.quiet_hours,
    "art10-registered-tool": tools.registered_tool,
    "art10-tool-scope": tools.tool_scope,
    "art11-stop-after-repayment": repayment.stop_after_repayment,
    "art15-template-approved": notices.template_approved,
    "art15-voice-cap": caps.voice_cap,
    "art15-letter-recipient": notices.letter_recipient,
    "art15-letter-seal": notices.letter_seal,
    "art15-letter-interval": notices.letter_interval,
    "art15-letter-envelope": notices.letter_envelope,
    "art15-letter-no-fax": notices.letter_no_fax,
    "art16-recording": conduct.recording,
    "art16-effective-call-cap": caps.effective_call_cap,
    "art16-visit-team": conduct.visit_team,
    "art16-visit-id": conduct.visit_id,
    "art16-visit-cap": caps.visit_cap,
    "art17-agency-listed": agencies.agency_listed,
    "art17-agreement-active": agencies.agreement_active,
    "art17-single-agency": agencies.single_agency,
    "art17-subcontracting": agencies.subcontracting,
    "hold-active": holds.hold_active,
})

__all__ = ["CATALOGUE", "Check", "Context", "Fail", "Rule"]
