"""Employees and their onboarding archive."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gateway import models
from schema.context import Info
from schema.enums import BackgroundCheckStatus
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.permissions import Resource, can_read
from schema.read_specs import ChildList, RowReference, compiled
from schema.types.base import RowNode
from schema.types.candidate import Application, Candidate
from schema.types.interview import InterviewReport
from schema.types.kpi import KpiAssignment

if TYPE_CHECKING:
    from schema.types.training import DevelopmentPlanItem, DevelopmentRecommendation


@strawberry.type(description="A hired candidate.")
class Employee(RowNode):
    table = models.Employee
    resource = Resource.EMPLOYEE
    id: relay.NodeID[int]
    employee_number: str
    full_name: str
    department: str
    position_title: str
    start_date: date
    hired_at: datetime
    departed_on: date | None = strawberry.field(description="The last day of employment, once the employee left.")
    updated_at: datetime = strawberry.field(description="When the row last changed (incremental sync).")
    candidate_id: strawberry.Private[int]
    application_id: strawberry.Private[int]

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="candidate_id")), permission_classes=can_read(Resource.CANDIDATE)
    )
    async def candidate(self, info: Info) -> Candidate:
        return Candidate.from_row(await info.context.loaders.by_id(models.Candidate).load(self.candidate_id))

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="application_id")),
        description="The application that led to the hire.",
        permission_classes=can_read(Resource.APPLICATION),
    )
    async def application(self, info: Info) -> Application:
        return Application.from_row(await info.context.loaders.by_id(models.Application).load(self.application_id))

    @strawberry.field(
        description="Resume, interview report and background check, as they were at hire (each read is audited).",
        permission_classes=can_read(Resource.ARCHIVE),
    )
    async def onboarding_archive(self, info: Info) -> OnboardingArchive | None:
        loader = info.context.loaders.one_by(models.OnboardingArchive, models.OnboardingArchive.employee_id)
        row = await loader.load(self.id)
        if row is not None:
            await OnboardingArchive.audit_reads(info, [row.id])
        return OnboardingArchive.from_optional_row(row)

    @strawberry.field(
        metadata=compiled(ChildList(models.KpiAssignment, "employee_id")),
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def kpi_assignments(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[KpiAssignment]:
        return await child_connection(
            info,
            models.KpiAssignment,
            models.KpiAssignment.employee_id,
            self.id,
            KpiAssignment.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="The employee's development plan (programmes and process reviews), oldest first; "
        "readable by whoever may read their KPI records.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def development_plan(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Annotated[DevelopmentPlanItem, strawberry.lazy("schema.types.training")]]:
        from schema.types.training import DevelopmentPlanItem

        return await child_connection(
            info,
            models.DevelopmentPlanItem,
            models.DevelopmentPlanItem.employee_id,
            self.id,
            DevelopmentPlanItem.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="Recommendations from the employee's evidence (open, accepted and rejected), oldest first.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def development_recommendations(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Annotated[DevelopmentRecommendation, strawberry.lazy("schema.types.training")]]:
        from schema.types.training import DevelopmentRecommendation

        return await child_connection(
            info,
            models.DevelopmentRecommendation,
            models.DevelopmentRecommendation.employee_id,
            self.id,
            DevelopmentRecommendation.from_row,
            first=first,
            after=after,
        )


@strawberry.type(description="The background check filed at hire.")
class BackgroundCheck:
    status: BackgroundCheckStatus
    provider: str | None
    notes: str
    completed_at: datetime | None


@strawberry.type(description="The onboarding archive: resume, interview report and background check joined.")
class OnboardingArchive(RowNode):
    table = models.OnboardingArchive
    resource = Resource.ARCHIVE
    audited_as = "OnboardingArchive"
    id: relay.NodeID[int]
    resume_text: str
    created_at: datetime
    interview_report_id: strawberry.Private[int | None]
    background_check: BackgroundCheck

    @classmethod
    def from_row(cls, row: models.OnboardingArchive) -> OnboardingArchive:  # type: ignore[override]
        return cls(
            id=row.id,
            resume_text=row.resume_text,
            created_at=row.created_at,
            interview_report_id=row.interview_report_id,
            background_check=BackgroundCheck(
                status=row.background_check_status,
                provider=row.background_check_provider,
                notes=row.background_check_notes,
                completed_at=row.background_check_completed_at,
            ),
        )

    @strawberry.field(permission_classes=can_read(Resource.REPORT))
    async def interview_report(self, info: Info) -> InterviewReport | None:
        if self.interview_report_id is None:
            return None
        row = await info.context.loaders.by_id(models.InterviewReport).load(self.interview_report_id)
        if row is not None:
            await InterviewReport.audit_reads(info, [row.id])
        return InterviewReport.from_optional_row(row)
