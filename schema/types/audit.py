"""The audit trail."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway import models
from schema.permissions import Resource
from schema.types.base import RowNode


@strawberry.type(description="Who did or read what, when, under which role or scope.")
class AuditEvent(RowNode):
    table = models.AuditEvent
    resource = Resource.AUDIT
    id: relay.NodeID[int]
    occurred_at: datetime
    updated_at: datetime = strawberry.field(description="When the row last changed (incremental sync).")
    actor: str
    role: str | None
    action: str
    entity_type: str
    details: JSON
    entity_row_id: strawberry.Private[int | None]
    row_attributes = {"entity_row_id": "entity_id"}

    @strawberry.field(description="Global ID of the object acted on (it may since have been deleted).")
    def entity_id(self) -> relay.GlobalID | None:
        return None if self.entity_row_id is None else relay.GlobalID(self.entity_type, str(self.entity_row_id))
