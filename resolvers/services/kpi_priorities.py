"""KPI priorities per competency model version: how much each linked KPI counts in a re-weighting proposal.

HR sets them; they steer proposals only (``resolvers.analytics.reweighting``: validities per KPI are
combined by these priorities), never scoring, so a frozen version may change them. Priorities are
relative numbers ≥ 0 (3 and 1 mean 75 % and 25 %). A version without any gives its linked KPIs equal
priority; once set, a linked KPI left out counts 0. Setting replaces the whole set and is audited.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import CompetencyModelVersion, Dimension, DimensionKpiLink, KpiDefinition, KpiPriority
from resolvers.errors import DomainError, ErrorCode, FieldError, not_found
from resolvers.services.audit import Actor, record_audit

MAX_PRIORITY = 1000.0
"""Priorities are relative; a cap keeps sums finite and typos visible."""
MAX_KPIS = 100


@dataclass(frozen=True)
class EffectivePriority:
    kpi_id: int
    priority: float
    """As HR set it, or 1 by default (0 for a linked KPI left out of a set)."""
    share: float
    """``priority / Σ priorities`` over the version's linked KPIs (0 when all are 0)."""
    is_default: bool


async def linked_kpi_ids(version_ids: Sequence[int], *, session: AsyncSession) -> dict[int, list[int]]:
    """Per version, the KPIs its dimensions are linked to (in link order)."""
    rows = await session.exec(
        select(Dimension.model_version_id, DimensionKpiLink.kpi_id)
        .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
        .where(col(Dimension.model_version_id).in_(list(version_ids)))
        .order_by(col(DimensionKpiLink.id))
    )
    linked: dict[int, list[int]] = {version_id: [] for version_id in version_ids}
    for version_id, kpi_id in rows.all():
        if kpi_id not in linked[version_id]:
            linked[version_id].append(kpi_id)
    return linked


async def stored_priorities(version_id: int, *, session: AsyncSession) -> dict[int, float] | None:
    """HR's priorities for the version by KPI id; None when none were set (equal priorities)."""
    rows = (await session.exec(select(KpiPriority).where(KpiPriority.model_version_id == version_id))).all()
    return {row.kpi_id: row.priority for row in rows} if rows else None


async def effective_priorities(
    version_ids: Sequence[int], *, session: AsyncSession
) -> dict[int, list[EffectivePriority]]:
    """Per version, every linked KPI with the priority that counts and its share (for several versions at once)."""
    linked = await linked_kpi_ids(version_ids, session=session)
    rows = (
        await session.exec(select(KpiPriority).where(col(KpiPriority.model_version_id).in_(list(version_ids))))
    ).all()
    stored: dict[int, dict[int, float]] = {}
    for row in rows:
        stored.setdefault(row.model_version_id, {})[row.kpi_id] = row.priority
    result: dict[int, list[EffectivePriority]] = {}
    for version_id in version_ids:
        kpi_ids = list(linked.get(version_id, []))
        chosen = stored.get(version_id)
        kpi_ids += [kpi_id for kpi_id in (chosen or {}) if kpi_id not in kpi_ids]  # set, then unlinked: still shown
        values = {kpi_id: 1.0 if chosen is None else chosen.get(kpi_id, 0.0) for kpi_id in kpi_ids}
        total = math.fsum(values.values())
        result[version_id] = [
            EffectivePriority(kpi_id, value, value / total if total > 0 else 0.0, chosen is None)
            for kpi_id, value in values.items()
        ]
    return result


def _check_priority(index: int, value: float) -> FieldError | None:
    field = f"priorities.{index}.priority"
    if not math.isfinite(value):
        return FieldError(field, "a priority must be a finite number", ErrorCode.INVALID)
    if value < 0:
        return FieldError(field, f"a priority is 0 or more (got {value:g})", ErrorCode.INVALID)
    if value > MAX_PRIORITY:
        return FieldError(field, f"at most {MAX_PRIORITY:g} (priorities are relative)", ErrorCode.INVALID)
    return None


async def set_kpi_priorities(
    version_id: int, priorities: Sequence[tuple[int, float]], *, session: AsyncSession, actor: Actor
) -> CompetencyModelVersion:
    """Replace the version's KPI priorities (an empty list restores equal priorities).

    Every problem is reported at once, each naming its input field: an unknown KPI (``not_found``), a
    KPI no dimension of the version is linked to (``kpi_not_linked``), a KPI given twice, a negative,
    non-finite or too large priority (``invalid``), or a set whose priorities are all 0.
    """
    version = await session.get(CompetencyModelVersion, version_id)
    if version is None:
        raise not_found("modelVersionId", "competency model version")
    if len(priorities) > MAX_KPIS:
        raise DomainError.single("priorities", f"at most {MAX_KPIS} KPIs", ErrorCode.INVALID)
    linked = set((await linked_kpi_ids([version_id], session=session))[version_id])
    wanted_ids = [kpi_id for kpi_id, _ in priorities]
    known = set(
        (await session.exec(select(KpiDefinition.id).where(col(KpiDefinition.id).in_(wanted_ids)))).all()
        if wanted_ids
        else []
    )
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, (kpi_id, value) in enumerate(priorities):
        field = f"priorities.{index}.kpiId"
        if kpi_id not in known:
            errors.append(FieldError(field, "KPI not found", ErrorCode.NOT_FOUND))
        elif kpi_id not in linked:
            errors.append(
                FieldError(field, "no dimension of this version is linked to this KPI", ErrorCode.KPI_NOT_LINKED)
            )
        elif kpi_id in seen:
            errors.append(FieldError(field, "each KPI at most once", ErrorCode.INVALID))
        seen.add(kpi_id)
        problem = _check_priority(index, value)
        if problem is not None:
            errors.append(problem)
    if priorities and not errors and all(value == 0 for _, value in priorities):
        errors.append(
            FieldError("priorities", "at least one KPI needs a priority above 0 (or give none)", ErrorCode.INVALID)
        )
    if errors:
        raise DomainError(*errors)
    before = await stored_priorities(version_id, session=session)
    await session.exec(delete(KpiPriority).where(col(KpiPriority.model_version_id) == version_id))
    for kpi_id, value in priorities:
        session.add(KpiPriority(model_version_id=version_id, kpi_id=kpi_id, priority=float(value)))
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="competency_model_version.kpi_priorities_set",
        entity_type="CompetencyModelVersion",
        entity_id=version_id,
        details={
            "before": {str(kpi_id): value for kpi_id, value in (before or {}).items()} if before else None,
            "after": {str(kpi_id): float(value) for kpi_id, value in priorities} or None,
        },
    )
    return version


async def copy_kpi_priorities(source_version_id: int, target_version_id: int, *, session: AsyncSession) -> None:
    """A version created from another (an applied proposal) keeps HR's priorities."""
    for kpi_id, value in ((await stored_priorities(source_version_id, session=session)) or {}).items():
        session.add(KpiPriority(model_version_id=target_version_id, kpi_id=kpi_id, priority=value))
    await session.flush()
