"""What the users domain accepts and answers (the console's pages and the CLI)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from collectguard.auth.roles import Role

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$"


class UserIn(BaseModel):
    """A new user; the password travels beside it (never in a model that could be logged or recorded)."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=USERNAME_PATTERN)
    role: Role
    institution: str | None = None
    agency: str | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    username: str
    role: Role
    institution_id: str | None
    agency_id: str | None
    totp_enabled: bool
    active: bool
    locked_until: datetime | None
    created_at: datetime
    last_sign_in_at: datetime | None
