"""Training and development as GraphQL types: programmes (with their measured effect), recommendations, plan items."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gateway import models
from gateway.db import read_session
from gateway.models import enums
from resolvers.analytics import training_effect
from resolvers.analytics.reports import record_statistics_read
from resolvers.errors import DomainError
from resolvers.filters import NoFilter
from resolvers.pagination import PageRequest
from resolvers.services.training import MAX_DIMENSIONS
from schema.context import Info
from schema.enums import KpiDirection
from schema.ids import decode_id
from schema.mutations.common import UserError
from schema.permissions import Resource, can_read
from schema.types.base import RowNode
from schema.types.competency import CompetencyModelVersion, Dimension
from schema.types.kpi import KpiDefinition

if TYPE_CHECKING:
    from schema.types.employee import Employee

DeliveryMode = strawberry.enum(enums.DeliveryMode, name="DeliveryMode")
RecommendationKind = strawberry.enum(
    enums.RecommendationKind,
    name="RecommendationKind",
    description="TRAINING for a low interview score (with or without a missed KPI); PROCESS_REVIEW for a high "
    "score yet a missed KPI: the ability is there, look at the process.",
)
RecommendationStatus = strawberry.enum(enums.RecommendationStatus, name="RecommendationStatus")
PlanItemStatus = strawberry.enum(enums.PlanItemStatus, name="PlanItemStatus")


@strawberry.type(description="One completion period's trained and untrained employees and their mean KPI changes.")
class TrainingEffectCohort:
    completion_period: str
    before_period: str
    after_periods: list[str]
    trained: int
    controls: int
    trained_change: float
    control_change: float


@strawberry.type(
    description="Difference in differences: trained employees' KPI change from the period before completion to "
    "the periods after, minus comparable untrained employees' change over the same periods, with a 95 % interval. "
    "Without enough employees, `estimated` is false and `reason` says why (no numbers)."
)
class TrainingEffect:
    kpi: KpiDefinition
    direction: KpiDirection
    periods_after: int
    department: str | None
    estimated: bool
    reason: str | None
    trained: int = strawberry.field(description="Trained employees with a KPI value before and after completion.")
    controls: int = strawberry.field(description="Comparable untrained employees with values over the same periods.")
    estimate: float | None = strawberry.field(description="In the KPI's unit; positive means the value rose more.")
    standard_error: float | None
    ci_lower: float | None
    ci_upper: float | None
    degrees_of_freedom: float | None
    improved: bool | None = strawberry.field(
        description="True when the whole interval lies on the KPI's better side, false when on its worse side, "
        "null when it includes 0 or there is no estimate."
    )
    cohorts: list[TrainingEffectCohort]

    @classmethod
    def from_data(cls, data: training_effect.ProgrammeKpiEffect, kpi: KpiDefinition) -> TrainingEffect:
        effect = data.effect
        return cls(
            kpi=kpi,
            direction=data.direction,
            periods_after=data.periods_after,
            department=data.department,
            estimated=effect.estimated,
            reason=effect.reason,
            trained=effect.trained,
            controls=effect.controls,
            estimate=effect.estimate,
            standard_error=effect.standard_error,
            ci_lower=effect.ci_low,
            ci_upper=effect.ci_high,
            degrees_of_freedom=effect.degrees_of_freedom,
            improved=data.improved,
            cohorts=[TrainingEffectCohort(**cohort.__dict__) for cohort in effect.cohorts],
        )


@strawberry.type
class TrainingEffectResult:
    effect: TrainingEffect | None = None
    errors: list[UserError]


@strawberry.type(description="A programme of the training catalogue and the competency dimensions it develops.")
class TrainingProgramme(RowNode):
    table = models.TrainingProgramme
    id: relay.NodeID[int]
    key: str = strawberry.field(description="The LMS's course code.")
    name_zh: str
    name_en: str
    description: str
    provider: str
    duration_hours: float
    delivery_mode: DeliveryMode
    created_at: datetime
    updated_at: datetime
    model_version_id: strawberry.Private[int]

    @strawberry.field(description="The competency model version the programme's dimensions belong to.")
    async def model_version(self, info: Info) -> CompetencyModelVersion:
        row = await info.context.loaders.by_id(models.CompetencyModelVersion).load(self.model_version_id)
        return CompetencyModelVersion.from_row(row)

    @strawberry.field(description="The dimensions the programme develops.")
    async def dimensions(self, info: Info) -> list[Dimension]:
        loaders = info.context.loaders
        page = await loaders.page_by(
            models.TrainingProgrammeDimension, models.TrainingProgrammeDimension.programme_id
        ).load((self.id, PageRequest(first=MAX_DIMENSIONS), NoFilter()))
        rows = await loaders.by_id(models.Dimension).load_many([link.dimension_id for link in page.rows])
        return [Dimension.from_row(row) for row in rows if row is not None]

    @strawberry.field(
        description="Did it work? The programme's effect on a KPI (difference in differences against comparable "
        "untrained employees, 95 % interval); `periodsAfter` (1–8) after-periods are averaged.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def effect(
        self, info: Info, kpi_id: strawberry.ID, periods_after: int = 2, department: str | None = None
    ) -> TrainingEffectResult:
        try:
            kpi_row_id = decode_id(kpi_id, "KpiDefinition", "kpiId")
            async with read_session() as session:
                data = await training_effect.programme_kpi_effect(
                    self.id, kpi_row_id, session=session, periods_after=periods_after, department=department
                )
                kpi_row = await session.get(models.KpiDefinition, kpi_row_id)
        except DomainError as error:
            return TrainingEffectResult(errors=[UserError.from_field_error(item) for item in error.errors])
        await record_statistics_read(
            info.context.actor,
            "training_effect.read",
            entity_type="TrainingProgramme",
            entity_id=self.id,
            report_ids=[],
            details={
                "kpiId": kpi_row_id,
                "department": department,
                "periodsAfter": periods_after,
                "trained": data.effect.trained,
                "controls": data.effect.controls,
            },
        )
        return TrainingEffectResult(effect=TrainingEffect.from_data(data, KpiDefinition.from_row(kpi_row)), errors=[])


@strawberry.type(
    description="A recommendation for an employee from their interview scores and KPI results, with the reason "
    "in words from the evidence; HR accepts it into the plan (optionally edited) or rejects it."
)
class DevelopmentRecommendation(RowNode):
    table = models.DevelopmentRecommendation
    resource = Resource.EMPLOYEE
    id: relay.NodeID[int]
    kind: RecommendationKind
    status: RecommendationStatus
    reason_en: str
    reason_zh: str
    evidence: strawberry.scalars.JSON = strawberry.field(
        description="The numbers behind the reason: score, threshold, KPI period, actual and target."
    )
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime
    updated_at: datetime
    employee_id: strawberry.Private[int]
    dimension_id: strawberry.Private[int]
    programme_id: strawberry.Private[int | None]
    kpi_id: strawberry.Private[int | None]
    plan_item_id: strawberry.Private[int | None]

    @strawberry.field
    async def employee(self, info: Info) -> Annotated[Employee, strawberry.lazy("schema.types.employee")]:
        from schema.types.employee import Employee

        return Employee.from_row(await info.context.loaders.by_id(models.Employee).load(self.employee_id))

    @strawberry.field
    async def dimension(self, info: Info) -> Dimension:
        return Dimension.from_row(await info.context.loaders.by_id(models.Dimension).load(self.dimension_id))

    @strawberry.field(description="The recommended programme (none for a process review).")
    async def programme(self, info: Info) -> TrainingProgramme | None:
        if self.programme_id is None:
            return None
        return TrainingProgramme.from_row(
            await info.context.loaders.by_id(models.TrainingProgramme).load(self.programme_id)
        )

    @strawberry.field(description="The missed KPI behind the recommendation, if any.")
    async def kpi(self, info: Info) -> KpiDefinition | None:
        if self.kpi_id is None:
            return None
        return KpiDefinition.from_row(await info.context.loaders.by_id(models.KpiDefinition).load(self.kpi_id))

    @strawberry.field(description="The plan item made when HR accepted it.")
    async def plan_item(self, info: Info) -> DevelopmentPlanItem | None:
        if self.plan_item_id is None:
            return None
        return DevelopmentPlanItem.from_row(
            await info.context.loaders.by_id(models.DevelopmentPlanItem).load(self.plan_item_id)
        )


@strawberry.type(description="An item of an employee's development plan: a programme or a process review.")
class DevelopmentPlanItem(RowNode):
    table = models.DevelopmentPlanItem
    resource = Resource.EMPLOYEE
    id: relay.NodeID[int]
    kind: RecommendationKind
    due_date: date
    status: PlanItemStatus
    notes: str
    completed_on: date | None
    completion_source: str | None = strawberry.field(description="hr (recorded by HR) or lms (a completions import).")
    created_by: str
    created_at: datetime
    updated_at: datetime
    employee_id: strawberry.Private[int]
    programme_id: strawberry.Private[int | None]
    dimension_id: strawberry.Private[int | None]

    @strawberry.field
    async def employee(self, info: Info) -> Annotated[Employee, strawberry.lazy("schema.types.employee")]:
        from schema.types.employee import Employee

        return Employee.from_row(await info.context.loaders.by_id(models.Employee).load(self.employee_id))

    @strawberry.field
    async def programme(self, info: Info) -> TrainingProgramme | None:
        if self.programme_id is None:
            return None
        return TrainingProgramme.from_row(
            await info.context.loaders.by_id(models.TrainingProgramme).load(self.programme_id)
        )

    @strawberry.field
    async def dimension(self, info: Info) -> Dimension | None:
        if self.dimension_id is None:
            return None
        return Dimension.from_row(await info.context.loaders.by_id(models.Dimension).load(self.dimension_id))
