"""Competency models and their versions: create, version, edit drafts, freeze on pinning."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    CompetencyModel,
    CompetencyModelVersion,
    Dimension,
    DimensionKpiLink,
    Question,
)
from gateway.models.base import utcnow
from gateway.models.events import DomainEventType
from resolvers.errors import DomainError, ErrorCode, not_found, validate_draft
from resolvers.services.audit import Actor, record_audit
from resolvers.services.outbox import global_id, record_event

WEIGHT_TOLERANCE = 1e-6
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class QuestionDraft(BaseModel):
    prompt_zh: str = Field(min_length=1, max_length=4000)
    prompt_en: str = Field(min_length=1, max_length=4000)
    time_limit_seconds: int = Field(default=120, ge=15, le=1800)
    rubric_keywords: list[str] = Field(default_factory=list, max_length=50)
    excellent_answers: list[str] = Field(default_factory=list, max_length=20)


class DimensionDraft(BaseModel):
    key: str = Field(pattern=KEY_PATTERN)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description_zh: str = ""
    description_en: str = ""
    weight: float = Field(gt=0, le=1)
    questions: list[QuestionDraft] = Field(min_length=1, max_length=20)
    development_threshold: float | None = Field(default=None, ge=0, le=100)


class DimensionSetDraft(BaseModel):
    """A version's content; weights must sum to 1 and keys be unique."""

    notes: str = ""
    dimensions: list[DimensionDraft] = Field(min_length=1, max_length=20)

    @field_validator("dimensions")
    @classmethod
    def _weights_and_keys(cls, dimensions: list[DimensionDraft]) -> list[DimensionDraft]:
        keys = [dimension.key for dimension in dimensions]
        if len(set(keys)) != len(keys):
            raise PydanticCustomError("duplicate_key", "dimension keys must be unique", {"code": ErrorCode.INVALID})
        total = math.fsum(dimension.weight for dimension in dimensions)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise PydanticCustomError(
                "weights_sum",
                "dimension weights must sum to 1 (they sum to {total})",
                {"total": round(total, 6), "code": ErrorCode.WEIGHTS_DO_NOT_SUM_TO_ONE},
            )
        return dimensions


class CompetencyModelDraft(DimensionSetDraft):
    key: str = Field(pattern=KEY_PATTERN)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description: str = ""

    @model_validator(mode="after")
    def _strip(self) -> CompetencyModelDraft:
        self.name_zh, self.name_en = self.name_zh.strip(), self.name_en.strip()
        return self


async def create_competency_model(
    data: dict, *, session: AsyncSession, actor: Actor
) -> tuple[CompetencyModel, CompetencyModelVersion]:
    """Create a model with its first version (unfrozen until a requisition pins it)."""
    draft = validate_draft(CompetencyModelDraft, data)
    existing = await session.exec(select(CompetencyModel.id).where(CompetencyModel.key == draft.key))
    if existing.first() is not None:
        raise DomainError.single("key", f"a competency model with key '{draft.key}' exists", ErrorCode.ALREADY_EXISTS)
    model = CompetencyModel(key=draft.key, name_zh=draft.name_zh, name_en=draft.name_en, description=draft.description)
    session.add(model)
    await session.flush()
    version = CompetencyModelVersion(model_id=model.id, version=1, notes=draft.notes)
    session.add(version)
    await session.flush()
    await _write_dimensions(version, draft.dimensions, session=session)
    record_audit(
        session=session,
        actor=actor,
        action="competency_model.create",
        entity_type="CompetencyModel",
        entity_id=model.id,
        details={"key": model.key, "version": 1},
    )
    _record_version_created(model, version, session=session, actor=actor)
    return model, version


async def create_version(data: dict, model_id: int, *, session: AsyncSession, actor: Actor) -> CompetencyModelVersion:
    """Add the next version of a model; earlier versions stay as they are."""
    draft = validate_draft(DimensionSetDraft, data)
    model = await session.get(CompetencyModel, model_id)
    if model is None:
        raise not_found("modelId", "competency model")
    latest = await session.exec(
        select(func.max(CompetencyModelVersion.version)).where(CompetencyModelVersion.model_id == model_id)
    )
    version = CompetencyModelVersion(model_id=model_id, version=(latest.one() or 0) + 1, notes=draft.notes)
    session.add(version)
    await session.flush()
    await _write_dimensions(version, draft.dimensions, session=session)
    record_audit(
        session=session,
        actor=actor,
        action="competency_model.version_create",
        entity_type="CompetencyModelVersion",
        entity_id=version.id,
        details={"model": model.key, "version": version.version},
    )
    _record_version_created(model, version, session=session, actor=actor)
    return version


def _record_version_created(
    model: CompetencyModel, version: CompetencyModelVersion, *, session: AsyncSession, actor: Actor
) -> None:
    record_event(
        session,
        DomainEventType.COMPETENCY_MODEL_VERSION_CREATED,
        version.id,
        {
            "competencyModelId": global_id("CompetencyModel", model.id),
            "competencyModelVersionId": global_id("CompetencyModelVersion", version.id),
            "key": model.key,
            "version": version.version,
        },
        actor=actor.name,
    )


async def update_version(data: dict, version_id: int, *, session: AsyncSession, actor: Actor) -> CompetencyModelVersion:
    """Edit a draft version in place. Dimensions are matched by key so their KPI links survive."""
    draft = validate_draft(DimensionSetDraft, data)
    version = await session.get(CompetencyModelVersion, version_id, with_for_update=True)
    if version is None:
        raise not_found("versionId", "competency model version")
    if version.frozen:
        raise DomainError.single(
            "versionId",
            f"version {version.version} is pinned by a requisition and can no longer change; create a new version",
            ErrorCode.VERSION_FROZEN,
        )
    version.notes = draft.notes
    existing = {
        dimension.key: dimension
        for dimension in (await session.exec(select(Dimension).where(Dimension.model_version_id == version_id))).all()
    }
    wanted = {dimension.key for dimension in draft.dimensions}
    removed_ids = [dimension.id for key, dimension in existing.items() if key not in wanted]
    kept_ids = [dimension.id for key, dimension in existing.items() if key in wanted]
    # Explicit statements, in foreign-key order: questions and links first, then the dimensions.
    await session.exec(delete(Question).where(col(Question.dimension_id).in_(kept_ids + removed_ids)))
    if removed_ids:
        await session.exec(delete(DimensionKpiLink).where(col(DimensionKpiLink.dimension_id).in_(removed_ids)))
        await session.exec(delete(Dimension).where(col(Dimension.id).in_(removed_ids)))
        existing = {key: dimension for key, dimension in existing.items() if key in wanted}
    await _write_dimensions(version, draft.dimensions, session=session, existing=existing)
    record_audit(
        session=session,
        actor=actor,
        action="competency_model.version_update",
        entity_type="CompetencyModelVersion",
        entity_id=version.id,
        details={"dimensions": sorted(wanted)},
    )
    return version


async def freeze_version(version: CompetencyModelVersion, *, session: AsyncSession) -> None:
    """Pinning makes a version immutable: scores already given must stay explainable."""
    if version.frozen_at is None:
        version.frozen_at = utcnow()
        session.add(version)


async def _write_dimensions(
    version: CompetencyModelVersion,
    drafts: list[DimensionDraft],
    *,
    session: AsyncSession,
    existing: dict[str, Dimension] | None = None,
) -> None:
    existing = existing or {}
    for position, draft in enumerate(drafts):
        dimension = existing.get(draft.key) or Dimension(
            model_version_id=version.id, key=draft.key, weight=draft.weight
        )
        dimension.name_zh = draft.name_zh
        dimension.name_en = draft.name_en
        dimension.description_zh = draft.description_zh
        dimension.description_en = draft.description_en
        dimension.weight = draft.weight
        dimension.position = position
        dimension.development_threshold = draft.development_threshold
        session.add(dimension)
        await session.flush()
        for question_position, question in enumerate(draft.questions):
            session.add(
                Question(
                    dimension_id=dimension.id,
                    prompt_zh=question.prompt_zh,
                    prompt_en=question.prompt_en,
                    time_limit_seconds=question.time_limit_seconds,
                    rubric_keywords=question.rubric_keywords,
                    excellent_answers=question.excellent_answers,
                    position=question_position,
                )
            )
    await session.flush()
