"""Requisitions (job openings), pinned to one competency model version."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, enum_field, timestamp_field, updated_at_field
from gateway.models.enums import BusinessLine, RequisitionStatus


class Requisition(SQLModel, table=True):
    __tablename__ = "requisition"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    department: str = Field(max_length=200, index=True)
    business_line: BusinessLine = enum_field(BusinessLine)
    headcount: int = Field(ge=1)
    status: RequisitionStatus = enum_field(RequisitionStatus, default=RequisitionStatus.OPEN, index=True)
    competency_model_version_id: int = Field(foreign_key="competency_model_version.id", index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    closed_at: datetime | None = timestamp_field()
    close_reason: str | None = None
    hiring_manager_subject: str | None = Field(default=None, max_length=200, index=True)
    """The identity-provider subject (``sub``) of the hiring manager who may see this requisition's candidates."""
    candidate_report_visible: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """Policy: may candidates see their own AI report and radar chart (not only the plain-words explanation)?"""
