"""事件 Incidents: an agency's personal-information incident told to the institution within 24 hours (art. 21(二)),
and a major risk reported in writing to the self-regulatory organisation within 48 hours of discovery (art. 24)."""
