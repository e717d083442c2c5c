"""Development plans: recommendations from an employee's evidence, HR's decisions, plan items and completions.

Recommendations come from ``resolvers.analytics.reports.employee_ability_performance`` (the interview's
dimension scores beside the KPI results, each linked pair classified by ``statistics.ability_performance_flag``):

- a dimension scored below its ``development_threshold`` (the model's, default ``statistics.LOW_SCORE``), or
  a ``low_score_low_kpi`` gap → **training**: each catalogue programme that develops the dimension (its key, in
  any version of the employee's competency model);
- a ``high_score_low_kpi`` gap → **process review**: the ability is there, training would not help.

Each carries its reason in words from the evidence, in English and Chinese ("numeracy 48/100 in the interview;
error rate 2.3× target in 2026-Q3"): the score, and each linked KPI the employee misses (attainment under
``statistics.LOW_ATTAINMENT``) in its latest period. HR accepts (optionally editing programme, due date and
notes) or rejects each one; accepting makes a plan item. Completions are recorded by HR (``record_completion``)
or imported from the LMS (``resolvers.services.training_completion_import``), both through ``complete_item``.
Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    Application,
    Candidate,
    CompetencyModelVersion,
    Dimension,
    Employee,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    Requisition,
)
from gateway.models.base import utcnow
from gateway.models.enums import KpiDirection, PlanItemStatus, RecommendationKind, RecommendationStatus
from gateway.models.training import (
    DevelopmentPlanItem,
    DevelopmentRecommendation,
    TrainingProgramme,
    TrainingProgrammeDimension,
)
from resolvers.analytics import statistics as st
from resolvers.analytics.reports import employee_ability_performance
from resolvers.errors import DomainError, ErrorCode, not_found
from resolvers.services.audit import Actor, record_audit

ACTIVE_ITEM_STATUSES = (PlanItemStatus.PLANNED, PlanItemStatus.IN_PROGRESS, PlanItemStatus.COMPLETED)
"""A programme appears at most once among these items of one employee (a cancelled one may be planned again)."""
EDITABLE_STATUSES = (PlanItemStatus.PLANNED, PlanItemStatus.IN_PROGRESS, PlanItemStatus.CANCELLED)
"""What HR may set by hand; ``completed`` comes only with a completion date (HR's or the LMS's)."""


# --- employees --------------------------------------------------------------------------------------


async def active_employee(employee_id: int, *, session: AsyncSession, field: str = "employeeId") -> Employee:
    """The employee, refused with ``EMPLOYEE_NOT_ACTIVE`` once they left or their candidate data was erased."""
    row = (
        await session.exec(
            select(Employee, Candidate.erased_at)
            .join(Candidate, col(Candidate.id) == Employee.candidate_id)
            .where(Employee.id == employee_id)
        )
    ).first()
    if row is None:
        raise not_found(field, "employee")
    employee, erased_at = row
    check_active(employee, erased_at, field=field)
    return employee


def check_active(employee: Employee, erased_at: datetime | None, *, field: str, today: date | None = None) -> None:
    """``EMPLOYEE_NOT_ACTIVE`` for an employee whose candidate data was erased, or who left before ``today``."""
    if erased_at is not None:
        raise DomainError.single(
            field, f"employee {employee.employee_number}: personal data erased", ErrorCode.EMPLOYEE_NOT_ACTIVE
        )
    if employee.departed_on is not None and employee.departed_on < (today or date.today()):
        raise DomainError.single(
            field,
            f"employee {employee.employee_number} left on {employee.departed_on.isoformat()}",
            ErrorCode.EMPLOYEE_NOT_ACTIVE,
        )


async def record_departure(employee_id: int, departed_on: date, *, session: AsyncSession, actor: Actor) -> Employee:
    """The employee's last day; open plan items are cancelled (nothing more is planned for someone who left)."""
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise not_found("employeeId", "employee")
    if departed_on < employee.start_date:
        raise DomainError.single("departedOn", "the departure is before the start date", ErrorCode.INVALID)
    employee.departed_on = departed_on
    session.add(employee)
    items = (
        await session.exec(
            select(DevelopmentPlanItem).where(
                DevelopmentPlanItem.employee_id == employee_id,
                col(DevelopmentPlanItem.status).in_([PlanItemStatus.PLANNED, PlanItemStatus.IN_PROGRESS]),
            )
        )
    ).all()
    for item in items:
        item.status = PlanItemStatus.CANCELLED
        item.updated_at = utcnow()
        session.add(item)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="employee.departure",
        entity_type="Employee",
        entity_id=employee.id,
        details={"departedOn": departed_on.isoformat(), "planItemsCancelled": [item.id for item in items]},
    )
    return employee


# --- recommendations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiEvidence:
    """One KPI's latest period for an employee, described in both languages."""

    kpi_id: int
    period: str
    actual: float
    target: float | None
    words_en: str
    words_zh: str


def describe_kpi(
    name_en: str, name_zh: str, direction: KpiDirection, period: str, actual: float, target: float | None
) -> tuple[str, str]:
    """ "error rate 2.3× target in 2026-Q3" / "差错率 2026-Q3 为目标的 2.3 倍" (or "at 60 % of target")."""
    if target is None or target <= 0:
        return f"{name_en} {actual:g} in {period} (no target)", f"{name_zh} {period} 为 {actual:g}(无目标)"
    ratio = actual / target
    if direction is KpiDirection.LOWER_IS_BETTER and ratio > 1:
        return f"{name_en} {ratio:.1f}× target in {period}", f"{name_zh} {period} 为目标的 {ratio:.1f} 倍"
    return f"{name_en} at {ratio:.0%} of target in {period}", f"{name_zh} {period} 为目标的 {ratio:.0%}"


async def _latest_kpi_evidence(
    employee_id: int, *, session: AsyncSession, period: str | None
) -> dict[str, KpiEvidence]:
    """By KPI key: the employee's latest period record (within ``period`` when given). One statement."""
    statement = (
        select(KpiRecord, KpiAssignment.target, KpiDefinition)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .join(KpiDefinition, col(KpiDefinition.id) == KpiAssignment.kpi_id)
        .where(KpiAssignment.employee_id == employee_id)
        .order_by(col(KpiRecord.period))
    )
    if period:
        statement = statement.where(col(KpiRecord.period).startswith(period, autoescape=True))
    latest: dict[str, KpiEvidence] = {}
    for record, assignment_target, kpi in (await session.exec(statement)).all():
        target = record.target if record.target is not None else assignment_target
        words_en, words_zh = describe_kpi(kpi.name_en, kpi.name_zh, kpi.direction, record.period, record.actual, target)
        latest[kpi.key] = KpiEvidence(kpi.id, record.period, record.actual, target, words_en, words_zh)
    return latest


@dataclass
class _Proposal:
    key: str
    kind: RecommendationKind
    dimension_id: int
    programme_id: int | None
    kpi_id: int | None
    reason_en: str
    reason_zh: str
    evidence: dict


async def generate_recommendations(
    employee_id: int, *, session: AsyncSession, actor: Actor, period: str | None = None
) -> list[DevelopmentRecommendation]:
    """Recommend from the employee's evidence; an open recommendation is refreshed, a decided one kept as decided.

    Open recommendations the evidence no longer supports are withdrawn (deleted: nobody decided on them).
    Returns the employee's open recommendations after the run.
    """
    employee = await active_employee(employee_id, session=session)
    profile = await employee_ability_performance(employee_id, session=session, period=period)
    model_id = (
        await session.exec(
            select(CompetencyModelVersion.model_id)
            .join(Requisition, col(Requisition.competency_model_version_id) == CompetencyModelVersion.id)
            .join(Application, col(Application.requisition_id) == Requisition.id)
            .where(Application.id == employee.application_id)
        )
    ).first()
    dimensions = {
        dimension.key: dimension
        for dimension in (
            await session.exec(
                select(Dimension)
                .join(Requisition, col(Requisition.competency_model_version_id) == Dimension.model_version_id)
                .join(Application, col(Application.requisition_id) == Requisition.id)
                .where(Application.id == employee.application_id)
            )
        ).all()
    }
    programmes_by_key: dict[str, list[TrainingProgramme]] = {}
    if model_id is not None:
        rows = await session.exec(
            select(Dimension.key, TrainingProgramme)
            .join(TrainingProgrammeDimension, col(TrainingProgrammeDimension.dimension_id) == Dimension.id)
            .join(TrainingProgramme, col(TrainingProgramme.id) == TrainingProgrammeDimension.programme_id)
            .join(CompetencyModelVersion, col(CompetencyModelVersion.id) == Dimension.model_version_id)
            .where(CompetencyModelVersion.model_id == model_id)
            .order_by(col(TrainingProgramme.key))
        )
        for dimension_key, programme in rows.all():
            found = programmes_by_key.setdefault(dimension_key, [])
            if all(item.id != programme.id for item in found):
                found.append(programme)
    evidence = await _latest_kpi_evidence(employee_id, session=session, period=period)

    proposals: dict[str, _Proposal] = {}
    for dimension_key, score in profile.scores.items():
        dimension = dimensions.get(dimension_key)
        if dimension is None or score is None:
            continue
        threshold = dimension.development_threshold if dimension.development_threshold is not None else st.LOW_SCORE
        gaps = [gap for gap in profile.gaps if gap.dimension_key == dimension_key]
        missed = [gap for gap in gaps if gap.attainment is not None and gap.attainment < st.LOW_ATTAINMENT]
        score_en = f"{dimension.name_en} {score:.0f}/100 in the interview"
        score_zh = f"{dimension.name_zh} 面试得分 {score:.0f}/100"
        if score < threshold or any(gap.flag == "low_score_low_kpi" for gap in gaps):
            kpi_words = [evidence[gap.kpi_key] for gap in missed if gap.kpi_key in evidence]
            below = f" (below the model's {threshold:.0f})" if score < threshold else ""
            below_zh = f"(低于模型阈值 {threshold:.0f})" if score < threshold else ""
            reason_en = "; ".join([score_en + below, *(item.words_en for item in kpi_words)])
            reason_zh = ";".join([score_zh + below_zh, *(item.words_zh for item in kpi_words)])
            facts = {
                "score": score,
                "threshold": threshold,
                "reportId": profile.report_id,
                "kpis": [_evidence_facts(item) for item in kpi_words],
            }
            for programme in programmes_by_key.get(dimension_key, []):
                key = f"training:{dimension.id}:{programme.id}"
                proposals[key] = _Proposal(
                    key,
                    RecommendationKind.TRAINING,
                    dimension.id,
                    programme.id,
                    kpi_words[0].kpi_id if kpi_words else None,
                    f"{reason_en} → {programme.name_en}",
                    f"{reason_zh} → {programme.name_zh}",
                    facts | {"programmeKey": programme.key},
                )
        for gap in gaps:
            item = evidence.get(gap.kpi_key)
            if gap.flag != "high_score_low_kpi" or item is None:
                continue
            key = f"process_review:{dimension.id}:{item.kpi_id}"
            proposals[key] = _Proposal(
                key,
                RecommendationKind.PROCESS_REVIEW,
                dimension.id,
                None,
                item.kpi_id,
                f"{score_en}; {item.words_en}: the ability is there, review the process rather than train",
                f"{score_zh};{item.words_zh}:能力具备,建议检查流程而非培训",
                {"score": score, "reportId": profile.report_id, "kpis": [_evidence_facts(item)]},
            )

    existing = {
        row.key: row
        for row in (
            await session.exec(
                select(DevelopmentRecommendation).where(DevelopmentRecommendation.employee_id == employee_id)
            )
        ).all()
    }
    stale = [
        row.id for key, row in existing.items() if key not in proposals and row.status is RecommendationStatus.OPEN
    ]
    if stale:
        await session.exec(delete(DevelopmentRecommendation).where(col(DevelopmentRecommendation.id).in_(stale)))
    created = refreshed = 0
    for key, proposal in proposals.items():
        row = existing.get(key)
        if row is not None and row.status is not RecommendationStatus.OPEN:
            continue
        if row is None:
            row = DevelopmentRecommendation(
                employee_id=employee_id, key=key, kind=proposal.kind, reason_en="", reason_zh=""
            )
            created += 1
        else:
            refreshed += 1
            row.updated_at = utcnow()
        row.dimension_id = proposal.dimension_id
        row.programme_id = proposal.programme_id
        row.kpi_id = proposal.kpi_id
        row.reason_en = proposal.reason_en
        row.reason_zh = proposal.reason_zh
        row.evidence = proposal.evidence
        session.add(row)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="development_recommendation.generate",
        entity_type="Employee",
        entity_id=employee_id,
        details={
            "created": created,
            "refreshed": refreshed,
            "withdrawn": len(stale),
            "period": period,
            "reportId": profile.report_id,
        },
    )
    return list(
        (
            await session.exec(
                select(DevelopmentRecommendation)
                .where(
                    DevelopmentRecommendation.employee_id == employee_id,
                    DevelopmentRecommendation.status == RecommendationStatus.OPEN,
                )
                .order_by(col(DevelopmentRecommendation.id))
            )
        ).all()
    )


def _evidence_facts(item: KpiEvidence) -> dict:
    return {"kpiId": item.kpi_id, "period": item.period, "actual": item.actual, "target": item.target}


async def _open_recommendation(recommendation_id: int, *, session: AsyncSession) -> DevelopmentRecommendation:
    recommendation = await session.get(DevelopmentRecommendation, recommendation_id)
    if recommendation is None:
        raise not_found("recommendationId", "recommendation")
    if recommendation.status is not RecommendationStatus.OPEN:
        raise DomainError.single(
            "recommendationId", f"already {recommendation.status.value}", ErrorCode.ALREADY_DECIDED
        )
    return recommendation


async def accept_recommendation(
    recommendation_id: int,
    *,
    due_date: date,
    session: AsyncSession,
    actor: Actor,
    programme_id: int | None = None,
    notes: str = "",
    today: date | None = None,
) -> tuple[DevelopmentRecommendation, DevelopmentPlanItem]:
    """Accept into the plan, optionally edited: another programme (training only), the due date, notes."""
    recommendation = await _open_recommendation(recommendation_id, session=session)
    if programme_id is not None and recommendation.kind is RecommendationKind.PROCESS_REVIEW:
        raise DomainError.single("programmeId", "a process review has no programme", ErrorCode.INVALID)
    item = await add_plan_item(
        recommendation.employee_id,
        kind=recommendation.kind,
        programme_id=programme_id if programme_id is not None else recommendation.programme_id,
        dimension_id=recommendation.dimension_id,
        due_date=due_date,
        notes=notes,
        session=session,
        actor=actor,
        today=today,
        audit=False,
    )
    recommendation.status = RecommendationStatus.ACCEPTED
    recommendation.decided_by = actor.name[:200]
    recommendation.decided_at = utcnow()
    recommendation.decision_note = notes
    recommendation.plan_item_id = item.id
    recommendation.updated_at = utcnow()
    session.add(recommendation)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="development_recommendation.accept",
        entity_type="DevelopmentRecommendation",
        entity_id=recommendation.id,
        details={
            "planItemId": item.id,
            "programmeId": item.programme_id,
            "edited": item.programme_id != recommendation.programme_id,
            "dueDate": due_date.isoformat(),
        },
    )
    return recommendation, item


async def reject_recommendation(
    recommendation_id: int, *, reason: str, session: AsyncSession, actor: Actor
) -> DevelopmentRecommendation:
    """Reject with a reason; generating again does not bring it back."""
    if not reason.strip():
        raise DomainError.single("reason", "say why the recommendation is rejected", ErrorCode.REQUIRED)
    recommendation = await _open_recommendation(recommendation_id, session=session)
    recommendation.status = RecommendationStatus.REJECTED
    recommendation.decided_by = actor.name[:200]
    recommendation.decided_at = utcnow()
    recommendation.decision_note = reason.strip()
    recommendation.updated_at = utcnow()
    session.add(recommendation)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="development_recommendation.reject",
        entity_type="DevelopmentRecommendation",
        entity_id=recommendation.id,
        details={"reason": recommendation.decision_note},
    )
    return recommendation


# --- plan items -------------------------------------------------------------------------------------


async def add_plan_item(
    employee_id: int,
    *,
    kind: RecommendationKind,
    programme_id: int | None,
    due_date: date,
    session: AsyncSession,
    actor: Actor,
    dimension_id: int | None = None,
    notes: str = "",
    today: date | None = None,
    audit: bool = True,
) -> DevelopmentPlanItem:
    """A plan item for an active employee; a programme at most once among their planned or completed items."""
    await active_employee(employee_id, session=session)
    if due_date < (today or date.today()):
        raise DomainError.single("dueDate", "the due date is in the past", ErrorCode.INVALID)
    if kind is RecommendationKind.TRAINING:
        if programme_id is None:
            raise DomainError.single("programmeId", "a training item needs a programme", ErrorCode.REQUIRED)
        if await session.get(TrainingProgramme, programme_id) is None:
            raise not_found("programmeId", "programme")
        duplicate = await session.exec(
            select(DevelopmentPlanItem.id).where(
                DevelopmentPlanItem.employee_id == employee_id,
                DevelopmentPlanItem.programme_id == programme_id,
                col(DevelopmentPlanItem.status).in_(ACTIVE_ITEM_STATUSES),
            )
        )
        if duplicate.first() is not None:
            raise DomainError.single(
                "programmeId", "this programme is already in the employee's plan", ErrorCode.ALREADY_EXISTS
            )
    item = DevelopmentPlanItem(
        employee_id=employee_id,
        kind=kind,
        programme_id=programme_id,
        dimension_id=dimension_id,
        due_date=due_date,
        notes=notes,
        created_by=actor.name[:200],
    )
    session.add(item)
    await session.flush()
    if audit:
        record_audit(
            session=session,
            actor=actor,
            action="development_plan_item.create",
            entity_type="DevelopmentPlanItem",
            entity_id=item.id,
            details={"employeeId": employee_id, "programmeId": programme_id, "dueDate": due_date.isoformat()},
        )
    return item


async def update_plan_item(
    item_id: int,
    *,
    session: AsyncSession,
    actor: Actor,
    due_date: date | None = None,
    status: PlanItemStatus | None = None,
    notes: str | None = None,
) -> DevelopmentPlanItem:
    """Change the due date, the status (not to completed: that needs a completion) or the notes."""
    item = await session.get(DevelopmentPlanItem, item_id)
    if item is None:
        raise not_found("planItemId", "plan item")
    if item.status is PlanItemStatus.COMPLETED:
        raise DomainError.single("planItemId", "a completed item is final", ErrorCode.ILLEGAL_TRANSITION)
    await active_employee(item.employee_id, session=session, field="planItemId")
    changes: dict = {}
    if status is not None:
        if status not in EDITABLE_STATUSES:
            raise DomainError.single("status", "record a completion to complete an item", ErrorCode.ILLEGAL_TRANSITION)
        changes["status"] = [item.status.value, status.value]
        item.status = status
    if due_date is not None:
        changes["dueDate"] = [item.due_date.isoformat(), due_date.isoformat()]
        item.due_date = due_date
    if notes is not None:
        item.notes = notes
        changes["notes"] = True
    item.updated_at = utcnow()
    session.add(item)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="development_plan_item.update",
        entity_type="DevelopmentPlanItem",
        entity_id=item.id,
        details=changes,
    )
    return item


# --- completions ------------------------------------------------------------------------------------


def complete_item(
    item: DevelopmentPlanItem | None,
    employee: Employee,
    *,
    completed_on: date,
    source: str,
    today: date,
    programme_field: str = "programmeId",
    date_field: str = "completedOn",
) -> bool:
    """Mark ``item`` completed on ``completed_on``; False when it already was, on that same day (nothing changes).

    Refusals: no active item for the programme in the plan (``NOT_IN_PLAN``), a date in the future
    (``DATE_IN_FUTURE``), before the employee started or after they left (``INVALID``), an item completed on
    another day (``ALREADY_EXISTS``: a recorded completion is never silently moved).
    """
    if completed_on > today:
        raise DomainError.single(date_field, f"{completed_on.isoformat()} is in the future", ErrorCode.DATE_IN_FUTURE)
    if item is None or item.status is PlanItemStatus.CANCELLED:
        raise DomainError.single(
            programme_field, "this programme is not in the employee's development plan", ErrorCode.NOT_IN_PLAN
        )
    if completed_on < employee.start_date or (employee.departed_on is not None and completed_on > employee.departed_on):
        raise DomainError.single(date_field, "outside the employee's time with the bank", ErrorCode.INVALID)
    if item.status is PlanItemStatus.COMPLETED:
        if item.completed_on == completed_on:
            return False
        raise DomainError.single(
            date_field,
            f"already completed on {item.completed_on.isoformat() if item.completed_on else '?'}",
            ErrorCode.ALREADY_EXISTS,
        )
    item.status = PlanItemStatus.COMPLETED
    item.completed_on = completed_on
    item.completion_source = source
    item.updated_at = utcnow()
    return True


async def record_completion(
    employee_id: int,
    programme_id: int,
    completed_on: date,
    *,
    session: AsyncSession,
    actor: Actor,
    today: date | None = None,
) -> DevelopmentPlanItem:
    """HR records one completion (the same completion again changes nothing)."""
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise not_found("employeeId", "employee")
    item = (
        await session.exec(
            select(DevelopmentPlanItem)
            .where(
                DevelopmentPlanItem.employee_id == employee_id,
                DevelopmentPlanItem.programme_id == programme_id,
                col(DevelopmentPlanItem.status).in_(ACTIVE_ITEM_STATUSES),
            )
            .order_by(col(DevelopmentPlanItem.id).desc())
        )
    ).first()
    changed = complete_item(item, employee, completed_on=completed_on, source="hr", today=today or date.today())
    if changed:
        session.add(item)
        await session.flush()
        record_audit(
            session=session,
            actor=actor,
            action="training_completion.record",
            entity_type="DevelopmentPlanItem",
            entity_id=item.id,
            details={"completedOn": completed_on.isoformat(), "programmeId": programme_id},
        )
    return item
