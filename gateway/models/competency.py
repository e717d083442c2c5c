"""Competency models: versioned, weighted dimensions with their interview questions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, json_field, timestamp_field, updated_at_field


class CompetencyModel(SQLModel, table=True):
    """A named job profile (e.g. teller); its content lives in immutable versions."""

    __tablename__ = "competency_model"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class CompetencyModelVersion(SQLModel, table=True):
    """One version of a model. Frozen (read-only) once a requisition pins it."""

    __tablename__ = "competency_model_version"
    __table_args__ = (sa.UniqueConstraint("model_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="competency_model.id", index=True)
    version: int = Field(ge=1)
    notes: str = Field(default="", sa_type=sa.Text)
    frozen_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class Dimension(SQLModel, table=True):
    """A weighted competency (e.g. numeracy 40 %); a version's weights sum to 1."""

    __tablename__ = "dimension"
    __table_args__ = (sa.UniqueConstraint("model_version_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    model_version_id: int = Field(foreign_key="competency_model_version.id", index=True)
    key: str = Field(max_length=64)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description_zh: str = Field(default="", sa_type=sa.Text)
    description_en: str = Field(default="", sa_type=sa.Text)
    weight: float
    position: int = 0
    development_threshold: float | None = None
    """Interview scores below this (0–100) recommend training for the dimension; None: the default (50)."""
    updated_at: datetime = updated_at_field()


class Question(SQLModel, table=True):
    """An interview question measuring one dimension, with its rubric and model answers."""

    __tablename__ = "question"

    id: int | None = Field(default=None, primary_key=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    prompt_zh: str = Field(sa_type=sa.Text)
    prompt_en: str = Field(sa_type=sa.Text)
    time_limit_seconds: int = 120
    rubric_keywords: list[str] = json_field()
    excellent_answers: list[str] = json_field()
    position: int = 0
    updated_at: datetime = updated_at_field()
