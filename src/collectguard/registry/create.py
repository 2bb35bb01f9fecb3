"""What the HTTP API accepts to create a tenant's objects: the setup schemas' fields without `id` — the server
makes it (registry/tenancy.py) — and the tenant's own reference `ref`, unique within its institution. Each
domain's `schemas.py` declares its own (`class AgencyCreate(ServerMade, s.AgencyIn)`).

Scenario files, the demo and imports by the platform keep naming ids themselves (s.World); only the API, where
tenants meet, makes them, so no tenant can take, probe or shadow another tenant's id (art. 19(五))."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from collectguard.registry import schemas as s
from collectguard.registry.ids import new_id

REF = Field(default=None, description="本机构自己的引用（如借据号），机构内唯一 your own reference, unique within "
                                      "your institution; the server makes the id")


class ServerMade(s.Strict):
    id_kind: ClassVar[str]
    setup: ClassVar[type[s.Strict]]
    id: SkipJsonSchema[Any] = None  # never accepted (`_no_client_id`); Any: each setup model types it its own way
    ref: s.Ident | None = REF

    @field_validator("id", mode="before")
    @classmethod
    def _no_client_id(cls, value: Any) -> Any:
        raise ValueError("id 由服务器生成，请把自己的编号放在 ref / ids are made by the server: send your own "
                         "reference as `ref`")

    def with_new_id(self) -> Any:
        """The setup model with a fresh server-made id."""
        fields = self.model_dump(by_alias=True, exclude={"id", "ref"})
        return self.setup.model_validate({**fields, "id": new_id(self.id_kind)})

