"""KPI definitions, dimension↔KPI links, and recording an employee's KPI actuals."""

from __future__ import annotations

import math
from datetime import date

from pydantic import BaseModel, Field
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Dimension, DimensionKpiLink, Employee, KpiAssignment, KpiDefinition, KpiRecord
from gateway.models.enums import KpiDirection, PeriodKind
from resolvers.errors import DomainError, ErrorCode, not_found, validate_draft
from resolvers.services.audit import Actor, record_audit
from resolvers.services.competency import KEY_PATTERN
from resolvers.services.periods import EXAMPLES, period_range, period_start


class KpiDefinitionDraft(BaseModel):
    key: str = Field(pattern=KEY_PATTERN)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=32)
    direction: KpiDirection
    period_kind: PeriodKind


class KpiRecordDraft(BaseModel):
    period: str = Field(min_length=4, max_length=16)
    target: float | None = None
    actual: float


async def create_kpi_definition(data: dict, *, session: AsyncSession, actor: Actor) -> KpiDefinition:
    draft = validate_draft(KpiDefinitionDraft, data)
    if (await session.exec(select(KpiDefinition.id).where(KpiDefinition.key == draft.key))).first() is not None:
        raise DomainError.single("key", f"a KPI with key '{draft.key}' exists", ErrorCode.ALREADY_EXISTS)
    kpi = KpiDefinition(**draft.model_dump())
    session.add(kpi)
    await session.flush()
    record_audit(session=session, actor=actor, action="kpi.create", entity_type="KpiDefinition", entity_id=kpi.id)
    return kpi


async def link_dimension_to_kpi(
    dimension_id: int, kpi_id: int, *, session: AsyncSession, actor: Actor
) -> DimensionKpiLink:
    """Declare that a dimension should predict a KPI (used for hiring assignments and analytics)."""
    if await session.get(Dimension, dimension_id) is None:
        raise not_found("dimensionId", "dimension")
    if await session.get(KpiDefinition, kpi_id) is None:
        raise not_found("kpiId", "KPI")
    duplicate = await session.exec(
        select(DimensionKpiLink.id).where(
            DimensionKpiLink.dimension_id == dimension_id, DimensionKpiLink.kpi_id == kpi_id
        )
    )
    if duplicate.first() is not None:
        raise DomainError.single("kpiId", "this dimension is already linked to this KPI", ErrorCode.ALREADY_EXISTS)
    link = DimensionKpiLink(dimension_id=dimension_id, kpi_id=kpi_id)
    session.add(link)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="kpi.link",
        entity_type="DimensionKpiLink",
        entity_id=link.id,
        details={"dimension_id": dimension_id, "kpi_id": kpi_id},
    )
    return link


def check_finite(name: str, value: float | None) -> None:
    """Refuse NaN and infinities: they would poison every statistic computed from KPI actuals."""
    if value is not None and not math.isfinite(value):
        raise DomainError.single(name, f"{name} must be a finite number", ErrorCode.INVALID)


def check_period(period: str, kpi: KpiDefinition, *, today: date | None = None, start_date: date | None = None) -> None:
    """The period must be written for the KPI's period kind, must have started by ``today`` and must not have
    ended before the employee's ``start_date`` (an actual from before the hire would be someone else's work;
    a period the employee joined part-way through is accepted).
    """
    start = period_start(period, kpi.period_kind)
    if start is None:
        raise DomainError.single(
            "period",
            f"'{period}' is not a {kpi.period_kind.value} period (e.g. {EXAMPLES[kpi.period_kind]})",
            ErrorCode.INVALID_PERIOD,
        )
    if start > (today or date.today()):
        raise DomainError.single("period", f"period {period} has not started yet", ErrorCode.INVALID_PERIOD)
    if start_date is not None and period_range(period)[1] <= start_date:
        raise DomainError.single(
            "period",
            f"period {period} ended before the employee's start date {start_date.isoformat()}",
            ErrorCode.INVALID_PERIOD,
        )


def not_assigned() -> DomainError:
    return DomainError.single("kpiId", "this KPI is not assigned to the employee", ErrorCode.KPI_NOT_ASSIGNED)


def already_recorded(period: str) -> DomainError:
    return DomainError.single("period", f"an actual for {period} is already recorded", ErrorCode.ALREADY_EXISTS)


async def record_kpi_actual(
    data: dict, employee_id: int, kpi_id: int, *, session: AsyncSession, actor: Actor, today: date | None = None
) -> KpiRecord:
    """Record one period's actual (and target) for a KPI the employee is assigned."""
    draft = validate_draft(KpiRecordDraft, data)
    check_finite("actual", draft.actual)
    check_finite("target", draft.target)
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise not_found("employeeId", "employee")
    kpi = await session.get(KpiDefinition, kpi_id)
    if kpi is None:
        raise not_found("kpiId", "KPI")
    assignment = (
        await session.exec(
            select(KpiAssignment).where(KpiAssignment.employee_id == employee_id, KpiAssignment.kpi_id == kpi_id)
        )
    ).first()
    if assignment is None:
        raise not_assigned()
    check_period(draft.period, kpi, today=today, start_date=employee.start_date)
    duplicate = await session.exec(
        select(KpiRecord.id).where(KpiRecord.assignment_id == assignment.id, KpiRecord.period == draft.period)
    )
    if duplicate.first() is not None:
        raise already_recorded(draft.period)
    record = KpiRecord(
        assignment_id=assignment.id,
        period=draft.period,
        target=draft.target if draft.target is not None else assignment.target,
        actual=draft.actual,
    )
    session.add(record)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="kpi.record",
        entity_type="KpiRecord",
        entity_id=record.id,
        details={"employee_id": employee_id, "kpi_id": kpi_id, "period": draft.period},
    )
    return record
