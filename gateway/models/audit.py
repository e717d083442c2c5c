"""Audit trail: who did or read what, when, under which role or scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, json_field, updated_at_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = created_at_field()
    actor: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=64)
    entity_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = json_field(default_factory=dict)
    updated_at: datetime = updated_at_field()
