"""Candidates, their consent records, and their applications with stage history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, enum_field, timestamp_field, updated_at_field
from gateway.models.enums import ApplicationStage, ConsentKind


class Candidate(SQLModel, table=True):
    __tablename__ = "candidate"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    phone: str | None = Field(default=None, max_length=40)
    resume_text: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = created_at_field()
    erased_at: datetime | None = timestamp_field()
    """Set when the candidate's personal data was erased on request (PIPL art. 47): the row stays, anonymised."""
    updated_at: datetime = updated_at_field()


class ConsentRecord(SQLModel, table=True):
    """What a candidate agreed to, under which notice version, and when (append-only)."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    kind: ConsentKind = enum_field(ConsentKind)
    notice_version: str = Field(max_length=32)
    granted: bool
    recorded_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Application(SQLModel, table=True):
    """A candidate applying to a requisition; at most one per pair."""

    __tablename__ = "application"
    __table_args__ = (
        sa.UniqueConstraint("candidate_id", "requisition_id"),
        sa.Index("ix_application_requisition_furthest", "requisition_id", "furthest_stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    requisition_id: int = Field(foreign_key="requisition.id", index=True)
    stage: ApplicationStage = enum_field(ApplicationStage, default=ApplicationStage.SCREENING, index=True)
    furthest_stage: ApplicationStage = enum_field(ApplicationStage, default=ApplicationStage.SCREENING)
    """The furthest forward stage the application ever reached (kept by ``gateway.models.counting``)."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class ApplicationStageChange(SQLModel, table=True):
    """Stage history: every move, with who made it and why."""

    __tablename__ = "application_stage_change"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    from_stage: ApplicationStage | None = enum_field(ApplicationStage, nullable=True)
    to_stage: ApplicationStage = enum_field(ApplicationStage)
    reason: str = Field(default="", sa_type=sa.Text)
    actor: str = Field(default="system", max_length=200)
    changed_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
