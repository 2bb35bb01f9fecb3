"""Attempt ids as a tenant sees them. A dialer names its attempts itself (its call id, for idempotent retries), so
two institutions may pick the same id. The first keeps it as given; an institution that reuses an id another
institution already holds gets it stored as `<institution>/<id>` — `/` is never part of an id a caller can send —
and is answered exactly as for a fresh id. No tenant learns from a 409 that another used an id, and no tenant's
read, outcome or decision can reach another's attempt (art. 19(五)).

(A race of two institutions sending the same new id in the same instant can still meet as a 409; the chance is
the chance of two dialers choosing the same id in the same millisecond.)"""

from __future__ import annotations

SEP = "/"


def scoped(institution_id: str, attempt_id: str) -> str:
    return f"{institution_id}{SEP}{attempt_id}"


def external(internal_id: str) -> str:
    """The id the caller sent."""
    return internal_id.partition(SEP)[2] or internal_id


def for_ask(institution_id: str, attempt_id: str, owner: str | None, scoped_exists: bool) -> str:
    """The stored id of a new (or retried) attempt: `owner` is the institution holding `attempt_id` as given."""
    if scoped_exists or (owner is not None and owner != institution_id):
        return scoped(institution_id, attempt_id)
    return attempt_id
