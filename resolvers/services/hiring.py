"""Hiring: an offer-stage application becomes an Employee with an onboarding archive and KPIs."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    Application,
    Candidate,
    Dimension,
    DimensionKpiLink,
    Employee,
    Interview,
    InterviewReport,
    KpiAssignment,
    OnboardingArchive,
    Requisition,
)
from gateway.models.enums import ApplicationStage, BackgroundCheckStatus
from gateway.models.events import DomainEventType
from resolvers.errors import DomainError, ErrorCode, validate_draft
from resolvers.services.audit import Actor, record_audit
from resolvers.services.candidates import change_stage, illegal_move, load_application
from resolvers.services.outbox import global_id, record_event


class BackgroundCheckDraft(BaseModel):
    status: BackgroundCheckStatus
    provider: str | None = Field(default=None, max_length=200)
    notes: str = Field(default="", max_length=20_000)
    completed_at: datetime | None = None


class HireDraft(BaseModel):
    employee_number: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    start_date: date
    position_title: str | None = Field(default=None, min_length=1, max_length=200)
    background_check: BackgroundCheckDraft


async def hire(data: dict, application_id: int, *, session: AsyncSession, actor: Actor) -> Employee:
    """Create the employee, archive resume + latest report + background check, assign linked KPIs."""
    draft = validate_draft(HireDraft, data)
    application = await load_application(application_id, session=session)
    if application.stage is not ApplicationStage.OFFER:
        raise illegal_move(application.stage, ApplicationStage.HIRED, field="applicationId")
    if draft.background_check.status is BackgroundCheckStatus.FAILED:
        raise DomainError.single(
            "backgroundCheck.status", "a failed background check cannot lead to a hire", ErrorCode.INVALID
        )
    if (await session.exec(select(Employee.id).where(Employee.candidate_id == application.candidate_id))).first():
        raise DomainError.single("applicationId", "this candidate is already an employee", ErrorCode.ALREADY_EXISTS)
    if (await session.exec(select(Employee.id).where(Employee.employee_number == draft.employee_number))).first():
        raise DomainError.single("employeeNumber", "this employee number is taken", ErrorCode.ALREADY_EXISTS)
    requisition = await session.get(Requisition, application.requisition_id, with_for_update=True)
    candidate = await session.get(Candidate, application.candidate_id)
    assert requisition is not None and candidate is not None
    hired_so_far = (
        await session.exec(
            select(func.count())
            .select_from(Application)
            .where(Application.requisition_id == requisition.id, Application.stage == ApplicationStage.HIRED)
        )
    ).one()
    if hired_so_far >= requisition.headcount:
        raise DomainError.single(
            "applicationId",
            f"all {requisition.headcount} positions of the requisition are filled",
            ErrorCode.HEADCOUNT_FILLED,
        )
    employee = Employee(
        candidate_id=candidate.id,
        application_id=application.id,
        employee_number=draft.employee_number,
        full_name=candidate.full_name,
        department=requisition.department,
        position_title=draft.position_title or requisition.title,
        start_date=draft.start_date,
    )
    session.add(employee)
    await session.flush()
    check = draft.background_check
    session.add(
        OnboardingArchive(
            employee_id=employee.id,
            resume_text=candidate.resume_text,
            interview_report_id=await _latest_report_id(application.id, session=session),
            background_check_status=check.status,
            background_check_provider=check.provider,
            background_check_notes=check.notes,
            background_check_completed_at=check.completed_at,
        )
    )
    kpi_ids = await _assign_linked_kpis(employee, requisition, session=session)
    change_stage(application, ApplicationStage.HIRED, "hired", session=session, actor=actor)
    record_audit(
        session=session,
        actor=actor,
        action="employee.hire",
        entity_type="Employee",
        entity_id=employee.id,
        details={"application_id": application.id, "kpi_ids": kpi_ids},
    )
    record_event(
        session,
        DomainEventType.EMPLOYEE_HIRED,
        employee.id,
        {
            "employeeId": global_id("Employee", employee.id),
            "applicationId": global_id("Application", application.id),
            "candidateId": global_id("Candidate", candidate.id),
            "requisitionId": global_id("Requisition", requisition.id),
            "employeeNumber": employee.employee_number,
            "startDate": employee.start_date.isoformat(),
        },
        actor=actor.name,
        requisition_id=requisition.id,
    )
    await session.flush()
    return employee


async def _latest_report_id(application_id: int, *, session: AsyncSession) -> int | None:
    result = await session.exec(
        select(InterviewReport.id)
        .join(Interview, col(Interview.id) == InterviewReport.interview_id)
        .where(Interview.application_id == application_id)
        .order_by(col(InterviewReport.created_at).desc(), col(InterviewReport.id).desc())
    )
    return result.first()


async def _assign_linked_kpis(employee: Employee, requisition: Requisition, *, session: AsyncSession) -> list[int]:
    """One assignment per KPI linked to any dimension of the pinned model version."""
    links = (
        await session.exec(
            select(DimensionKpiLink)
            .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
            .where(Dimension.model_version_id == requisition.competency_model_version_id)
            .order_by(Dimension.position, DimensionKpiLink.id)
        )
    ).all()
    assigned: list[int] = []
    for link in links:
        if link.kpi_id in assigned:
            continue
        assigned.append(link.kpi_id)
        session.add(KpiAssignment(employee_id=employee.id, kpi_id=link.kpi_id, dimension_id=link.dimension_id))
    return assigned
