"""Bulk KPI actuals: an ERP connector's push or HR's CSV, one transaction, bad rows reported row by row.

An import is idempotent twice over:

- by its **idempotency key** (``KpiImport``): the same key with the same content returns the stored result
  again and writes nothing; the same key with other content is refused (``IDEMPOTENCY_KEY_REUSED``). Two
  requests with one key at once: the loser's writes fail on the unique keys once the winner commits, and the
  GraphQL layer runs it again (``run_mutation(retry_on_conflict=True)``), which then replays the winner;
- by **employee × KPI × period**: a row whose record already exists with the same actual (and target, when
  given) is counted as ``unchanged`` and written nowhere; with a different value it is refused
  (``ALREADY_EXISTS``): a recorded actual is never silently overwritten, and nothing is counted twice.

Rows are checked with the same rules as ``kpi.record_kpi_actual`` (period kind, period started and not
ended before the employee's start date, KPI assigned, finite numbers). Each good row is written; each bad
row comes back with its row number, field, code and message. Import-level problems (key reused, too many
rows, a CSV without the required columns) refuse the whole import and write nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Employee, KpiAssignment, KpiDefinition, KpiRecord
from gateway.models.analytics import KpiImport
from gateway.models.events import DomainEventType
from resolvers.errors import DomainError, ErrorCode, FieldError
from resolvers.services.audit import Actor, record_audit
from resolvers.services.kpi import already_recorded, check_finite, check_period, not_assigned
from resolvers.services.outbox import global_id, record_event

MAX_ROWS = 5000
"""More rows than this refuse the whole import: split it (a GraphQL body is capped at 1 MiB anyway)."""
CSV_COLUMNS = ("employee_number", "kpi_key", "period", "target", "actual")
"""The documented CSV header; ``target`` may be left out or empty, other columns (names, notes) are ignored."""
_REQUIRED_CSV_COLUMNS = ("employee_number", "kpi_key", "period", "actual")
_MAX_KEY_LENGTH = 200


@dataclass
class ImportRow:
    """One row as received: the employee and KPI by database id (mutation) or by number and key (CSV).

    ``errors`` holds what the caller already found wrong (an undecodable ID, a non-numeric cell); such a
    row is refused without looking further.
    """

    row: int
    """1-based position in ``records``; in a CSV, the line number (the header is line 1)."""
    period: str
    actual: float | None
    target: float | None = None
    employee_id: int | None = None
    employee_number: str | None = None
    kpi_id: int | None = None
    kpi_key: str | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    code: ErrorCode
    message: str


@dataclass
class ImportResult:
    import_id: int
    idempotency_key: str
    source: str
    replayed: bool
    rows_received: int
    rows_written: int
    rows_unchanged: int
    rows_refused: int
    record_ids: list[int]
    row_errors: list[RowError]
    created_at: datetime

    @classmethod
    def from_import(cls, stored: KpiImport, *, replayed: bool) -> ImportResult:
        result = stored.result
        return cls(
            import_id=stored.id,
            idempotency_key=stored.idempotency_key,
            source=stored.source,
            replayed=replayed,
            rows_received=result["rows_received"],
            rows_written=result["rows_written"],
            rows_unchanged=result["rows_unchanged"],
            rows_refused=result["rows_refused"],
            record_ids=list(result["record_ids"]),
            row_errors=[
                RowError(
                    row=error["row"], field=error["field"], code=ErrorCode(error["code"]), message=error["message"]
                )
                for error in result["row_errors"]
            ],
            created_at=stored.created_at,
        )


def request_fingerprint(source: str, content: Any) -> str:
    """SHA-256 of the import's content (canonical JSON), compared on replay."""
    canonical = json.dumps([source, content], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_number(text: str, name: str, *, required: bool) -> tuple[float | None, FieldError | None]:
    """A CSV cell as a finite number (``.`` decimal point, no thousands separators); empty means absent."""
    text = text.strip()
    if not text:
        if required:
            return None, FieldError(name, f"{name} is required", ErrorCode.REQUIRED)
        return None, None
    try:
        value = float(text)
    except ValueError:
        return None, FieldError(name, f"'{text}' is not a number", ErrorCode.INVALID)
    if not math.isfinite(value):
        return None, FieldError(name, f"{name} must be a finite number", ErrorCode.INVALID)
    return value, None


def parse_csv(text: str) -> list[ImportRow]:
    """Rows of a CSV with the documented header (any column order); UTF-8 text, an Excel BOM is accepted.

    Refuses the whole file (``DomainError`` on ``csv``) without a header naming the required columns or
    with more than ``MAX_ROWS`` data rows; anything wrong inside a row is that row's error.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    columns = [name.strip().removeprefix("\ufeff").lower() for name in header or []]
    missing = [name for name in _REQUIRED_CSV_COLUMNS if name not in columns]
    if missing:
        raise DomainError.single(
            "csv",
            f"the header must name {', '.join(CSV_COLUMNS)} (target optional); missing: {', '.join(missing)}",
            ErrorCode.INVALID,
        )
    duplicated = sorted({name for name in columns if name in CSV_COLUMNS and columns.count(name) > 1})
    if duplicated:
        raise DomainError.single("csv", f"the header repeats {', '.join(duplicated)}", ErrorCode.INVALID)
    position = {name: columns.index(name) for name in CSV_COLUMNS if name in columns}
    rows: list[ImportRow] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (Excel leaves some at the end)
        if len(rows) == MAX_ROWS:
            raise too_many_rows("csv")
        line = reader.line_num
        if len(cells) < len(columns):
            rows.append(
                ImportRow(
                    row=line,
                    period="",
                    actual=None,
                    errors=[FieldError(None, f"expected {len(columns)} cells, got {len(cells)}", ErrorCode.INVALID)],
                )
            )
            continue
        cell = {name: cells[index] for name, index in position.items()}
        errors: list[FieldError] = []
        actual, actual_error = parse_number(cell["actual"], "actual", required=True)
        target, target_error = parse_number(cell.get("target", ""), "target", required=False)
        errors += [error for error in (actual_error, target_error) if error is not None]
        rows.append(
            ImportRow(
                row=line,
                employee_number=cell["employee_number"].strip(),
                kpi_key=cell["kpi_key"].strip(),
                period=cell["period"].strip(),
                actual=actual,
                target=target,
                errors=errors,
            )
        )
    return rows


def too_many_rows(field_name: str) -> DomainError:
    return DomainError.single(
        field_name, f"at most {MAX_ROWS} rows per import; split the file", ErrorCode.TOO_MANY_ROWS
    )


def check_idempotency_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > _MAX_KEY_LENGTH:
        raise DomainError.single(
            "idempotencyKey", f"1 to {_MAX_KEY_LENGTH} characters, e.g. the ERP batch id", ErrorCode.INVALID
        )
    return key


async def import_kpi_records(
    rows: Sequence[ImportRow],
    *,
    idempotency_key: str,
    source: str,
    fingerprint: str,
    session: AsyncSession,
    actor: Actor,
    today: date | None = None,
) -> ImportResult:
    """Write the good rows, report the bad ones, and remember the result under the idempotency key.

    ``fingerprint`` (``request_fingerprint``) identifies the content: a replay must carry the same one.
    One ``kpi.import`` audit event names the import and its counts (not one event per row).
    """
    key = check_idempotency_key(idempotency_key)
    stored = (await session.exec(select(KpiImport).where(KpiImport.idempotency_key == key))).first()
    if stored is not None:
        if stored.request_sha256 != fingerprint:
            raise DomainError.single(
                "idempotencyKey",
                "this idempotency key was used for an import with other content; use a new key",
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        return ImportResult.from_import(stored, replayed=True)
    if len(rows) > MAX_ROWS:
        raise too_many_rows("records" if source == "mutation" else "csv")

    lookup = await _Lookup.load(rows, session=session)
    row_errors: list[RowError] = []
    new_records: list[tuple[int, KpiRecord]] = []
    unchanged = 0
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        try:
            assignment, kpi, employee = lookup.assignment(row)
            check_finite("actual", row.actual)
            check_finite("target", row.target)
            if row.actual is None:
                raise DomainError.single("actual", "actual is required", ErrorCode.REQUIRED)
            check_period(row.period, kpi, today=today, start_date=employee.start_date)
            triple = (assignment.id, row.period)
            if triple in seen:
                raise DomainError.single(
                    None,
                    f"the same employee, KPI and period as row {seen[triple]} of this import",
                    ErrorCode.DUPLICATE_ROW,
                )
            seen[triple] = row.row
            existing = lookup.records.get(triple)
            if existing is not None:
                if existing.actual == row.actual and row.target in (None, existing.target):
                    unchanged += 1
                    continue
                raise already_recorded(row.period)
        except DomainError as error:
            row_errors += [RowError(row.row, item.field, item.code, item.message) for item in error.errors]
            continue
        record = KpiRecord(
            assignment_id=assignment.id,
            period=row.period,
            target=row.target if row.target is not None else assignment.target,
            actual=row.actual,
        )
        new_records.append((row.row, record))
    session.add_all(record for _, record in new_records)
    await session.flush()

    refused_rows = len({error.row for error in row_errors})
    result = {
        "rows_received": len(rows),
        "rows_written": len(new_records),
        "rows_unchanged": unchanged,
        "rows_refused": refused_rows,
        "record_ids": [record.id for _, record in new_records],
        "row_errors": [asdict(error) | {"code": error.code.value} for error in row_errors],
    }
    stored = KpiImport(
        idempotency_key=key, request_sha256=fingerprint, actor=actor.name[:200], source=source, result=result
    )
    session.add(stored)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="kpi.import",
        entity_type="KpiImport",
        entity_id=stored.id,
        details={key_name: result[key_name] for key_name in result if key_name.startswith("rows_")}
        | {"source": source, "idempotency_key": key},
    )
    if new_records:
        record_event(
            session,
            DomainEventType.KPI_RECORDS_IMPORTED,
            stored.id,
            {
                "idempotencyKey": key,
                "source": source,
                "rowsWritten": len(new_records),
                "rowsRefused": refused_rows,
                "kpiRecordIds": [global_id("KpiRecord", record.id) for _, record in new_records],
            },
            actor=actor.name,
        )
    return ImportResult.from_import(stored, replayed=False)


class _Lookup:
    """Employees, KPIs, assignments and existing records of all rows, loaded in a few statements."""

    def __init__(self) -> None:
        self.employees_by_id: dict[int, Employee] = {}
        self.employees_by_number: dict[str, Employee] = {}
        self.kpis_by_id: dict[int, KpiDefinition] = {}
        self.kpis_by_key: dict[str, KpiDefinition] = {}
        self.assignments: dict[tuple[int, int], KpiAssignment] = {}
        self.records: dict[tuple[int, str], KpiRecord] = {}

    @classmethod
    async def load(cls, rows: Iterable[ImportRow], *, session: AsyncSession) -> _Lookup:
        lookup = cls()
        rows = [row for row in rows if not row.errors]
        employee_ids = {row.employee_id for row in rows if row.employee_id is not None}
        employee_numbers = {row.employee_number for row in rows if row.employee_number}
        kpi_ids = {row.kpi_id for row in rows if row.kpi_id is not None}
        kpi_keys = {row.kpi_key for row in rows if row.kpi_key}
        if employee_ids or employee_numbers:
            employees = await session.exec(
                select(Employee).where(
                    col(Employee.id).in_(employee_ids) | col(Employee.employee_number).in_(employee_numbers)
                )
            )
            for employee in employees:
                lookup.employees_by_id[employee.id] = employee
                lookup.employees_by_number[employee.employee_number] = employee
        if kpi_ids or kpi_keys:
            kpis = await session.exec(
                select(KpiDefinition).where(col(KpiDefinition.id).in_(kpi_ids) | col(KpiDefinition.key).in_(kpi_keys))
            )
            for kpi in kpis:
                lookup.kpis_by_id[kpi.id] = kpi
                lookup.kpis_by_key[kpi.key] = kpi
        found_employees = {employee.id for employee in lookup.employees_by_id.values()}
        found_kpis = {kpi.id for kpi in lookup.kpis_by_id.values()}
        if found_employees and found_kpis:
            assignments = await session.exec(
                select(KpiAssignment).where(
                    col(KpiAssignment.employee_id).in_(found_employees), col(KpiAssignment.kpi_id).in_(found_kpis)
                )
            )
            lookup.assignments = {(item.employee_id, item.kpi_id): item for item in assignments}
        periods = {row.period for row in rows}
        assignment_ids = {item.id for item in lookup.assignments.values()}
        if assignment_ids and periods:
            records = await session.exec(
                select(KpiRecord).where(
                    col(KpiRecord.assignment_id).in_(assignment_ids), col(KpiRecord.period).in_(periods)
                )
            )
            lookup.records = {(record.assignment_id, record.period): record for record in records}
        return lookup

    def assignment(self, row: ImportRow) -> tuple[KpiAssignment, KpiDefinition, Employee]:
        """The row's assignment, KPI and employee, or the row's error (pre-found errors first)."""
        if row.errors:
            raise DomainError(*row.errors)
        if row.employee_id is not None:
            employee = self.employees_by_id.get(row.employee_id)
            employee_field, employee_text = "employeeId", "employee"
        else:
            employee = self.employees_by_number.get(row.employee_number or "")
            employee_field, employee_text = "employee_number", f"employee '{row.employee_number}'"
        if row.kpi_id is not None:
            kpi = self.kpis_by_id.get(row.kpi_id)
            kpi_field, kpi_text = "kpiId", "KPI"
        else:
            kpi = self.kpis_by_key.get(row.kpi_key or "")
            kpi_field, kpi_text = "kpi_key", f"KPI '{row.kpi_key}'"
        errors = []
        if employee is None:
            errors.append(FieldError(employee_field, f"{employee_text} not found", ErrorCode.NOT_FOUND))
        if kpi is None:
            errors.append(FieldError(kpi_field, f"{kpi_text} not found", ErrorCode.NOT_FOUND))
        if errors:
            raise DomainError(*errors)
        assignment = self.assignments.get((employee.id, kpi.id))
        if assignment is None:
            error = not_assigned().errors[0]
            raise DomainError(FieldError(kpi_field, error.message, error.code))
        return assignment, kpi, employee
