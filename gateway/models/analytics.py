"""Tables of the feedback loop: bulk KPI imports, self-reported groups for adverse impact, re-weighting proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, enum_field, json_field, timestamp_field
from gateway.models.enums import ProposalStatus


class KpiImport(SQLModel, table=True):
    """One bulk KPI push or CSV import, remembered by its idempotency key so a replay changes nothing."""

    __tablename__ = "kpi_import"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    request_sha256: str = Field(max_length=64)
    """A replay must carry the same content; the same key with other rows is refused."""
    actor: str = Field(max_length=200)
    source: str = Field(max_length=16)
    """``mutation`` or ``csv``."""
    result: dict[str, Any] = json_field(default_factory=dict)
    """Rows written and rows refused (with their errors), returned again on replay."""
    created_at: datetime = created_at_field()


class CandidateSelfReport(SQLModel, table=True):
    """Optional self-reported group data for adverse-impact monitoring, kept apart from scoring (never read by it)."""

    __tablename__ = "candidate_self_report"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", unique=True)
    groups: dict[str, str] = json_field(default_factory=dict)
    """e.g. ``{"gender": "female", "age_band": "40+"}``; any key may be absent (declined to answer)."""
    recorded_at: datetime = created_at_field()


class ReweightingProposal(SQLModel, table=True):
    """Proposed dimension weights for a competency model version, from measured predictive validity."""

    __tablename__ = "reweighting_proposal"

    id: int | None = Field(default=None, primary_key=True)
    model_version_id: int = Field(foreign_key="competency_model_version.id", index=True)
    kpi_id: int | None = Field(default=None, foreign_key="kpi_definition.id")
    status: ProposalStatus = enum_field(ProposalStatus, default=ProposalStatus.PROPOSED, index=True)
    current_weights: dict[str, float] = json_field(default_factory=dict)
    proposed_weights: dict[str, float] = json_field(default_factory=dict)
    evidence: list[dict[str, Any]] = json_field()
    """Per dimension: r, n, CI, p, and the sentence explaining the change."""
    question_suggestions: list[dict[str, Any]] = json_field()
    cohort: dict[str, str] = json_field(default_factory=dict)
    """The hires the validities were measured on: ``period``, ``department``, ``business_line`` when narrowed."""
    applied_version_id: int | None = Field(default=None, foreign_key="competency_model_version.id")
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp_field()
    notes: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = created_at_field()
