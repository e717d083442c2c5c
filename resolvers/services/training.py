"""The training catalogue: programmes and the competency dimensions they develop.

HR (``hr_admin``) and the bank's LMS (a connector with ``learning:write``) write programmes through one
upsert keyed by the LMS's course code, so a catalogue push can be sent again without duplicating anything.
A programme aims at one competency model version; every dimension it develops must belong to that version
(``DIMENSION_NOT_IN_VERSION`` otherwise), so a recommendation never crosses model versions by accident.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import CompetencyModel, CompetencyModelVersion, Dimension
from gateway.models.base import utcnow
from gateway.models.enums import DeliveryMode
from gateway.models.training import TrainingProgramme, TrainingProgrammeDimension
from resolvers.errors import DomainError, ErrorCode, FieldError, not_found, validate_draft
from resolvers.services.audit import Actor, record_audit

PROGRAMME_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
"""An LMS course code such as ``FIN-101`` or ``lms:stress.2026``."""
MAX_DIMENSIONS = 20


class ProgrammeDraft(BaseModel):
    key: str = Field(pattern=PROGRAMME_KEY_PATTERN)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    provider: str = Field(min_length=1, max_length=200)
    duration_hours: float = Field(gt=0, le=2000)
    delivery_mode: DeliveryMode


async def upsert_programme(
    data: dict,
    *,
    model_version_id: int,
    dimension_ids: Sequence[int],
    session: AsyncSession,
    actor: Actor,
) -> tuple[TrainingProgramme, bool]:
    """Create the programme with ``data["key"]``, or update it; its dimensions become exactly ``dimension_ids``.

    Returns the programme and whether it was created. Audited as ``training_programme.create`` or ``.update``.
    """
    draft = validate_draft(ProgrammeDraft, data)
    version = await session.get(CompetencyModelVersion, model_version_id)
    if version is None:
        raise not_found("modelVersionId", "competency model version")
    wanted = list(dict.fromkeys(dimension_ids))
    if not wanted:
        raise DomainError.single(
            "dimensionIds", "name at least one dimension the programme develops", ErrorCode.REQUIRED
        )
    if len(wanted) > MAX_DIMENSIONS:
        raise DomainError.single("dimensionIds", f"at most {MAX_DIMENSIONS} dimensions", ErrorCode.INVALID)
    await _check_dimensions(wanted, list(dimension_ids), version, session=session)

    programme = (await session.exec(select(TrainingProgramme).where(TrainingProgramme.key == draft.key))).first()
    created = programme is None
    if programme is None:
        programme = TrainingProgramme(**draft.model_dump(), model_version_id=model_version_id)
    else:
        for name, value in draft.model_dump().items():
            setattr(programme, name, value)
        programme.model_version_id = model_version_id
        programme.updated_at = utcnow()
    session.add(programme)
    await session.flush()

    existing = set(
        (
            await session.exec(
                select(TrainingProgrammeDimension.dimension_id).where(
                    TrainingProgrammeDimension.programme_id == programme.id
                )
            )
        ).all()
    )
    removed = existing - set(wanted)
    if removed:
        await session.exec(
            delete(TrainingProgrammeDimension).where(
                col(TrainingProgrammeDimension.programme_id) == programme.id,
                col(TrainingProgrammeDimension.dimension_id).in_(removed),
            )
        )
    session.add_all(
        TrainingProgrammeDimension(programme_id=programme.id, dimension_id=dimension_id)
        for dimension_id in wanted
        if dimension_id not in existing
    )
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="training_programme.create" if created else "training_programme.update",
        entity_type="TrainingProgramme",
        entity_id=programme.id,
        details={"key": programme.key, "modelVersionId": model_version_id, "dimensionIds": wanted},
    )
    return programme, created


async def _check_dimensions(
    wanted: list[int], given: list[int], version: CompetencyModelVersion, *, session: AsyncSession
) -> None:
    rows = (
        await session.exec(
            select(Dimension, CompetencyModelVersion, CompetencyModel)
            .join(CompetencyModelVersion, col(CompetencyModelVersion.id) == Dimension.model_version_id)
            .join(CompetencyModel, col(CompetencyModel.id) == CompetencyModelVersion.model_id)
            .where(col(Dimension.id).in_(wanted))
        )
    ).all()
    found = {dimension.id: (dimension, owner_version, model) for dimension, owner_version, model in rows}
    target_model = await session.get(CompetencyModel, version.model_id)
    errors = []
    for position, dimension_id in enumerate(given):
        if dimension_id not in found:
            errors.append(FieldError(f"dimensionIds.{position}", "dimension not found", ErrorCode.NOT_FOUND))
            continue
        dimension, owner_version, model = found[dimension_id]
        if owner_version.id != version.id:
            errors.append(
                FieldError(
                    f"dimensionIds.{position}",
                    f"dimension '{dimension.key}' belongs to {model.key} version {owner_version.version}, "
                    f"not to the programme's {target_model.key if target_model else '?'} version {version.version}",
                    ErrorCode.DIMENSION_NOT_IN_VERSION,
                )
            )
    if errors:
        raise DomainError(*errors)


async def set_development_threshold(
    dimension_id: int, threshold: float | None, *, session: AsyncSession, actor: Actor
) -> Dimension:
    """The score below which the dimension recommends training (None: the default). Steers recommendations only,
    never scoring, so a frozen (pinned) version may change it, like KPI priorities."""
    if threshold is not None and not 0 <= threshold <= 100:
        raise DomainError.single("threshold", "a score from 0 to 100", ErrorCode.INVALID)
    dimension = await session.get(Dimension, dimension_id)
    if dimension is None:
        raise not_found("dimensionId", "dimension")
    previous = dimension.development_threshold
    dimension.development_threshold = threshold
    session.add(dimension)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="dimension.development_threshold_set",
        entity_type="Dimension",
        entity_id=dimension.id,
        details={"from": previous, "to": threshold},
    )
    return dimension
