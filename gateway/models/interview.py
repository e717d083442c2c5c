"""AI interviews: invitation, answers with their media and features, and the scored report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import UTCDateTime, created_at_field, enum_field, json_field, timestamp_field, updated_at_field
from gateway.models.enums import HumanDecision, InterviewStatus, ReviewRequestKind, ReviewRequestStatus


class Interview(SQLModel, table=True):
    """One AI interview of an application. Only a hash of the invitation token is stored."""

    __tablename__ = "interview"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: InterviewStatus = enum_field(InterviewStatus, default=InterviewStatus.INVITED, index=True)
    status_reason: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()
    submitted_at: datetime | None = timestamp_field()
    scoring_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """How many times a worker claimed this interview for scoring (redeliveries and rescoring count)."""
    updated_at: datetime = updated_at_field()
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True, index=True)
    """When the status last changed (or a worker claimed it): how the scoring sweep tells a lost job."""
    scoring_requeues: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """How often the scoring sweep queued the interview again since it was submitted or re-scored."""


class InterviewQuestion(SQLModel, table=True):
    """The questions an interview asks, in order (fixed at invitation)."""

    __tablename__ = "interview_question"
    __table_args__ = (sa.UniqueConstraint("interview_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    position: int
    updated_at: datetime = updated_at_field()


class Answer(SQLModel, table=True):
    """A recorded answer to one question: where its media is, and what scoring extracted."""

    __tablename__ = "answer"
    __table_args__ = (sa.UniqueConstraint("interview_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    media_uri: str | None = Field(default=None, max_length=1000)
    media_content_type: str | None = Field(default=None, max_length=100)
    media_bytes: int | None = None
    media_sha256: str | None = Field(default=None, max_length=64)
    uploaded_at: datetime | None = timestamp_field()
    duration_seconds: float | None = None
    transcript: str | None = Field(default=None, sa_type=sa.Text)
    language: str | None = Field(default=None, max_length=16)
    features: dict[str, Any] = json_field(default_factory=dict)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class InterviewReport(SQLModel, table=True):
    """The fused result of an interview, and the human decision taken on it."""

    __tablename__ = "interview_report"
    __table_args__ = (
        sa.Index(
            "ix_interview_report_counted",
            "requisition_id",
            "total",
            "id",
            "application_id",
            postgresql_where=sa.text("counted"),
            sqlite_where=sa.text("counted = 1"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", unique=True)
    requisition_id: int = Field(foreign_key="requisition.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    """The interview's application (``gateway.models.counting`` fills it on insert)."""
    counted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """Whether this is the report analytics count: the latest of its application (``gateway.models.counting``)."""
    total: float | None = Field(default=None, ge=0, le=100, index=True)
    percentile: float | None = None
    insufficient_evidence: bool = False
    strengths: list[str] = json_field()
    weaknesses: list[str] = json_field()
    tags: list[dict[str, str]] = json_field()
    radar: list[dict[str, Any]] = json_field()
    """Radar-chart axes: key, label_zh, label_en, value (0–100 or null)."""
    models: dict[str, Any] = json_field(default_factory=dict)
    """Which models produced the evidence (speech, text embedder per language, vision only when a video was
    analysed), ``quality_notes`` (answers not judged) and ``scoring_configuration`` (the versioned configuration
    that computed every number: version, hash, pipeline_version, parameters)."""
    pipeline_version: str = Field(max_length=32)
    human_decision: HumanDecision | None = enum_field(HumanDecision, nullable=True)
    override_reason: str | None = Field(default=None, sa_type=sa.Text)
    scored_at: datetime | None = timestamp_field()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class DimensionScore(SQLModel, table=True):
    """One dimension's score with its evidence; upserted by report × dimension × pipeline version."""

    __tablename__ = "dimension_score"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "dimension_id", "pipeline_version"),
        sa.Index(
            "ix_dimension_score_counted_requisition",
            "requisition_id",
            "dimension_id",
            "score",
            postgresql_where=sa.text("counted"),
            sqlite_where=sa.text("counted = 1"),
        ),
        sa.Index(
            "ix_dimension_score_counted_application",
            "application_id",
            "dimension_id",
            "score",
            postgresql_where=sa.text("counted"),
            sqlite_where=sa.text("counted = 1"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="interview_report.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    pipeline_version: str = Field(max_length=32)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    requisition_id: int | None = Field(default=None, foreign_key="requisition.id")
    counted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """The report's application and requisition, and whether analytics count this score (the report is counted
    and this is its pipeline version); all three kept by ``gateway.models.counting``."""
    score: float | None = None
    confidence: float = 0.0
    insufficient_evidence_reason: str | None = Field(default=None, sa_type=sa.Text)
    evidence: list[dict[str, Any]] = json_field()
    updated_at: datetime = updated_at_field()


class ReviewRequest(SQLModel, table=True):
    """A candidate's request about an AI result: an explanation in plain words, or a human review (PIPL art. 24)."""

    __tablename__ = "review_request"

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    kind: ReviewRequestKind = enum_field(ReviewRequestKind)
    status: ReviewRequestStatus = enum_field(ReviewRequestStatus, default=ReviewRequestStatus.OPEN, index=True)
    candidate_message: str = Field(default="", sa_type=sa.Text)
    resolution: str | None = Field(default=None, sa_type=sa.Text)
    resolved_by: str | None = Field(default=None, max_length=200)
    requested_at: datetime = created_at_field()
    resolved_at: datetime | None = timestamp_field()
    updated_at: datetime = updated_at_field()
