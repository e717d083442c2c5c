"""Bulk KPI actuals: ``kpiRecordsImport`` (an ERP connector's push) and ``kpiRecordsImportCsv`` (HR's file).

``KpiImportMutations`` joins the root ``Mutation``. The rules (idempotency, row errors) are in
``resolvers.services.kpi_import``.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from resolvers.errors import DomainError, FieldError
from resolvers.services import kpi_import as kpi_import_service
from schema.context import Info
from schema.enums import ErrorCode
from schema.ids import decode_id, encode_id
from schema.mutations.common import UserError, run_mutation
from schema.permissions import Action, can_write


@strawberry.input(description="One period's actual for a KPI assigned to an employee.")
class KpiRecordImportInput:
    employee_id: strawberry.ID
    kpi_id: strawberry.ID
    period: str = strawberry.field(description="2026 (year), 2026-Q3 (quarter) or 2026-09 (month), by the KPI.")
    actual: float
    target: float | None = strawberry.field(default=None, description="Defaults to the assignment's target.")


@strawberry.input
class KpiRecordsImportInput:
    idempotency_key: str = strawberry.field(
        description="The sender's batch id (≤ 200 characters): the same key and rows again return the first result."
    )
    records: list[KpiRecordImportInput] = strawberry.field(description="At most 5,000 records.")


@strawberry.input
class KpiRecordsImportCsvInput:
    idempotency_key: str = strawberry.field(
        description="The sender's batch id (≤ 200 characters): the same key and file again return the first result."
    )
    csv: str = strawberry.field(
        description="UTF-8 CSV (an Excel BOM is fine) with the header employee_number,kpi_key,period,target,actual "
        "(any order; target optional; other columns ignored); at most 5,000 rows."
    )


@strawberry.type(description="Why one row of an import was refused.")
class KpiImportRowError:
    row: int = strawberry.field(
        description="1-based position in records; in a CSV, the line number (the header is line 1)."
    )
    field: str | None = strawberry.field(description="The record field or CSV column.")
    message: str
    code: ErrorCode


@strawberry.type(description="What an import wrote and refused; a replay of the same key returns it again.")
class KpiImport:
    idempotency_key: str
    source: str = strawberry.field(description="mutation or csv.")
    replayed: bool = strawberry.field(description="True when this key was imported before: nothing was written now.")
    rows_received: int
    rows_written: int
    rows_unchanged: int = strawberry.field(description="Rows already recorded with the same values (not rewritten).")
    rows_refused: int
    record_ids: list[relay.GlobalID] = strawberry.field(description="The KPI records written, in row order.")
    row_errors: list[KpiImportRowError]
    created_at: datetime

    @classmethod
    def from_result(cls, result: kpi_import_service.ImportResult | None) -> KpiImport | None:
        if result is None:
            return None
        return cls(
            idempotency_key=result.idempotency_key,
            source=result.source,
            replayed=result.replayed,
            rows_received=result.rows_received,
            rows_written=result.rows_written,
            rows_unchanged=result.rows_unchanged,
            rows_refused=result.rows_refused,
            record_ids=[encode_id("KpiRecord", record_id) for record_id in result.record_ids],
            row_errors=[
                KpiImportRowError(row=error.row, field=error.field, message=error.message, code=error.code)
                for error in result.row_errors
            ],
            created_at=result.created_at,
        )


@strawberry.type
class KpiRecordsImportPayload:
    kpi_import: KpiImport | None = None
    errors: list[UserError]


def _decoded_row(position: int, record: KpiRecordImportInput) -> kpi_import_service.ImportRow:
    errors: list[FieldError] = []
    ids: dict[str, int | None] = {}
    for name, value, type_name, field_name in (
        ("employee_id", record.employee_id, "Employee", "employeeId"),
        ("kpi_id", record.kpi_id, "KpiDefinition", "kpiId"),
    ):
        try:
            ids[name] = decode_id(value, type_name, field_name)
        except DomainError as error:
            ids[name] = None
            errors += error.errors
    return kpi_import_service.ImportRow(
        row=position, period=record.period, actual=record.actual, target=record.target, errors=errors, **ids
    )


@strawberry.type
class KpiImportMutations:
    @strawberry.mutation(
        description="Import many KPI actuals at once (ERP push): good rows are written, bad rows reported by row; "
        "idempotent by key and by employee × KPI × period.",
        permission_classes=can_write(Action.KPI_RECORD),
    )
    async def kpi_records_import(self, info: Info, input: KpiRecordsImportInput) -> KpiRecordsImportPayload:
        async def operation(uow):
            if len(input.records) > kpi_import_service.MAX_ROWS:
                raise kpi_import_service.too_many_rows("records")
            content = [
                [record.employee_id, record.kpi_id, record.period, record.target, record.actual]
                for record in input.records
            ]
            return await kpi_import_service.import_kpi_records(
                [_decoded_row(position, record) for position, record in enumerate(input.records, start=1)],
                idempotency_key=input.idempotency_key,
                source="mutation",
                fingerprint=kpi_import_service.request_fingerprint("mutation", content),
                session=uow.session,
                actor=info.context.actor,
            )

        result, errors = await run_mutation(operation, retry_on_conflict=True)
        return KpiRecordsImportPayload(kpi_import=KpiImport.from_result(result), errors=errors)

    @strawberry.mutation(
        description="Import KPI actuals from a CSV file (HR): good rows are written, bad rows reported by line; "
        "idempotent by key and by employee × KPI × period.",
        permission_classes=can_write(Action.KPI_RECORD),
    )
    async def kpi_records_import_csv(self, info: Info, input: KpiRecordsImportCsvInput) -> KpiRecordsImportPayload:
        async def operation(uow):
            fingerprint = kpi_import_service.request_fingerprint("csv", input.csv.removeprefix("\ufeff"))
            return await kpi_import_service.import_kpi_records(
                kpi_import_service.parse_csv(input.csv),
                idempotency_key=input.idempotency_key,
                source="csv",
                fingerprint=fingerprint,
                session=uow.session,
                actor=info.context.actor,
            )

        result, errors = await run_mutation(operation, retry_on_conflict=True)
        return KpiRecordsImportPayload(kpi_import=KpiImport.from_result(result), errors=errors)
