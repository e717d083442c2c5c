"""KPI definitions, employees' KPI assignments and their period records."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gateway import models
from schema.context import Info
from schema.enums import KpiDirection, PeriodKind
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.permissions import Resource, can_read
from schema.read_specs import ChildList, RowReference, compiled
from schema.types.base import RowNode

if TYPE_CHECKING:
    from schema.types.competency import Dimension
    from schema.types.employee import Employee


@strawberry.type(description="A performance indicator (KPI / OKR key result), e.g. teller error rate.")
class KpiDefinition(RowNode):
    table = models.KpiDefinition
    id: relay.NodeID[int]
    key: str
    name_zh: str
    name_en: str
    unit: str
    direction: KpiDirection
    period_kind: PeriodKind
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When the row last changed (incremental sync).")


@strawberry.type(description="A KPI an employee is measured on, and the competency dimension it came from.")
class KpiAssignment(RowNode):
    table = models.KpiAssignment
    resource = Resource.EMPLOYEE
    id: relay.NodeID[int]
    target: float | None
    assigned_at: datetime
    employee_id: strawberry.Private[int]
    kpi_id: strawberry.Private[int]
    dimension_id: strawberry.Private[int | None]

    @strawberry.field(metadata=compiled(RowReference(parent_column="kpi_id")))
    async def kpi(self, info: Info) -> KpiDefinition:
        return KpiDefinition.from_row(await info.context.loaders.by_id(models.KpiDefinition).load(self.kpi_id))

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="employee_id")), permission_classes=can_read(Resource.EMPLOYEE)
    )
    async def employee(self, info: Info) -> Annotated[Employee, strawberry.lazy("schema.types.employee")]:
        from schema.types.employee import Employee

        return Employee.from_row(await info.context.loaders.by_id(models.Employee).load(self.employee_id))

    @strawberry.field(metadata=compiled(RowReference(parent_column="dimension_id")))
    async def dimension(self, info: Info) -> Annotated[Dimension, strawberry.lazy("schema.types.competency")] | None:
        from schema.types.competency import Dimension

        if self.dimension_id is None:
            return None
        return Dimension.from_row(await info.context.loaders.by_id(models.Dimension).load(self.dimension_id))

    @strawberry.field(
        metadata=compiled(ChildList(models.KpiRecord, "assignment_id")),
        description="Period actuals, in the order they were recorded.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def records(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[KpiRecord]:
        return await child_connection(
            info,
            models.KpiRecord,
            models.KpiRecord.assignment_id,
            self.id,
            KpiRecord.from_row,
            first=first,
            after=after,
        )


@strawberry.type(description="One period's target and actual, e.g. 2026-Q3.")
class KpiRecord(RowNode):
    table = models.KpiRecord
    resource = Resource.EMPLOYEE
    id: relay.NodeID[int]
    period: str
    target: float | None
    actual: float
    recorded_at: datetime
    assignment_id: strawberry.Private[int]

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="assignment_id")), permission_classes=can_read(Resource.EMPLOYEE)
    )
    async def assignment(self, info: Info) -> KpiAssignment:
        return KpiAssignment.from_row(await info.context.loaders.by_id(models.KpiAssignment).load(self.assignment_id))
