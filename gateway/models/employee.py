"""Employees made from hired candidates, with their onboarding archive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, enum_field, json_field, timestamp_field, updated_at_field
from gateway.models.enums import BackgroundCheckStatus


class Employee(SQLModel, table=True):
    __tablename__ = "employee"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", unique=True)
    application_id: int = Field(foreign_key="application.id", unique=True)
    employee_number: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    department: str = Field(max_length=200, index=True)
    position_title: str = Field(max_length=200)
    start_date: date
    hired_at: datetime = created_at_field()
    departed_on: date | None = None
    """The last day of employment, once the employee has left (no new development plan items after it)."""
    updated_at: datetime = updated_at_field()


class OnboardingArchive(SQLModel, table=True):
    """The hire's file: resume and interview report as they were at hire, and the background check."""

    __tablename__ = "onboarding_archive"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", unique=True)
    resume_text: str = Field(default="", sa_type=sa.Text)
    interview_report_id: int | None = Field(default=None, foreign_key="interview_report.id")
    background_check_status: BackgroundCheckStatus = enum_field(BackgroundCheckStatus)
    background_check_provider: str | None = Field(default=None, max_length=200)
    background_check_notes: str = Field(default="", sa_type=sa.Text)
    background_check_completed_at: datetime | None = timestamp_field()
    documents: list[dict[str, Any]] = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
