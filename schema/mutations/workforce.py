"""Mutations after the offer: hiring and recording KPI actuals."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.services import hiring as hiring_service
from resolvers.services import kpi as kpi_service
from schema.context import Info
from schema.enums import BackgroundCheckStatus
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.mutations.inputs import input_data
from schema.permissions import Action, can_write
from schema.types.employee import Employee
from schema.types.kpi import KpiRecord


@strawberry.input
class BackgroundCheckInput:
    status: BackgroundCheckStatus
    provider: str | None = None
    notes: str = ""
    completed_at: datetime | None = None


@strawberry.input
class EmployeeHireInput:
    application_id: strawberry.ID
    employee_number: str
    start_date: date
    background_check: BackgroundCheckInput
    position_title: str | None = strawberry.field(default=None, description="Defaults to the requisition title.")


@strawberry.type
class EmployeeHirePayload:
    employee: Employee | None = None
    errors: list[UserError]


@strawberry.input
class KpiRecordCreateInput:
    employee_id: strawberry.ID
    kpi_id: strawberry.ID
    period: str = strawberry.field(description="2026 (year), 2026-Q3 (quarter) or 2026-09 (month), by the KPI.")
    actual: float
    target: float | None = None


@strawberry.type
class KpiRecordCreatePayload:
    kpi_record: KpiRecord | None = None
    errors: list[UserError]


@strawberry.type
class WorkforceMutations:
    @strawberry.mutation(
        description="Hire an application at the offer stage: creates the employee, onboarding archive and KPIs.",
        permission_classes=can_write(Action.HIRE),
    )
    async def employee_hire(self, info: Info, input: EmployeeHireInput) -> EmployeeHirePayload:
        async def operation(uow):
            application_id = decode_id(input.application_id, "Application", "applicationId")
            data = {key: value for key, value in input_data(input).items() if key != "application_id"}
            return await hiring_service.hire(data, application_id, session=uow.session, actor=info.context.actor)

        employee, errors = await run_mutation(operation)
        return EmployeeHirePayload(employee=Employee.from_optional_row(employee), errors=errors)

    @strawberry.mutation(
        description="Record one period's actual for a KPI assigned to an employee.",
        permission_classes=can_write(Action.KPI_RECORD),
    )
    async def kpi_record_create(self, info: Info, input: KpiRecordCreateInput) -> KpiRecordCreatePayload:
        async def operation(uow):
            employee_id = decode_id(input.employee_id, "Employee", "employeeId")
            kpi_id = decode_id(input.kpi_id, "KpiDefinition", "kpiId")
            data = {"period": input.period, "actual": input.actual, "target": input.target}
            return await kpi_service.record_kpi_actual(
                data, employee_id, kpi_id, session=uow.session, actor=info.context.actor
            )

        record, errors = await run_mutation(operation)
        return KpiRecordCreatePayload(kpi_record=KpiRecord.from_optional_row(record), errors=errors)
