"""Training completions in bulk from the bank's LMS: one transaction, bad rows reported row by row.

Built like the KPI import (``resolvers.services.kpi_import``, whose key check, fingerprint and row cap it uses),
and idempotent twice over:

- by its **idempotency key** (``TrainingCompletionImport``): the same key with the same content returns the
  stored result again (``replayed``) and writes nothing; the same key with other content is refused
  (``IDEMPOTENCY_KEY_REUSED``); a concurrent retry replays the winner (``run_mutation(retry_on_conflict=True)``);
- by **employee × programme**: a plan item already completed on the same day counts as ``unchanged``; on
  another day the row is refused (``ALREADY_EXISTS``), so nothing is counted twice.

Each row is checked by ``development.complete_item``, the rule HR's one-by-one recording uses too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Employee
from gateway.models.training import DevelopmentPlanItem, TrainingCompletionImport, TrainingProgramme
from resolvers.errors import DomainError, ErrorCode, FieldError
from resolvers.services.audit import Actor, record_audit
from resolvers.services.development import ACTIVE_ITEM_STATUSES, complete_item
from resolvers.services.kpi_import import MAX_ROWS, check_idempotency_key, too_many_rows


@dataclass
class CompletionRow:
    row: int
    """1-based position in ``completions``."""
    employee_number: str
    programme_key: str
    completed_on: date
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    code: ErrorCode
    message: str


@dataclass
class CompletionImportResult:
    idempotency_key: str
    source: str
    replayed: bool
    rows_received: int
    rows_written: int
    rows_unchanged: int
    rows_refused: int
    plan_item_ids: list[int]
    row_errors: list[RowError]
    created_at: datetime

    @classmethod
    def from_import(cls, stored: TrainingCompletionImport, *, replayed: bool) -> CompletionImportResult:
        result = stored.result
        return cls(
            idempotency_key=stored.idempotency_key,
            source=stored.source,
            replayed=replayed,
            rows_received=result["rows_received"],
            rows_written=result["rows_written"],
            rows_unchanged=result["rows_unchanged"],
            rows_refused=result["rows_refused"],
            plan_item_ids=list(result["plan_item_ids"]),
            row_errors=[
                RowError(error["row"], error["field"], ErrorCode(error["code"]), error["message"])
                for error in result["row_errors"]
            ],
            created_at=stored.created_at,
        )


async def import_completions(
    rows: Sequence[CompletionRow],
    *,
    idempotency_key: str,
    fingerprint: str,
    session: AsyncSession,
    actor: Actor,
    source: str = "mutation",
    today: date | None = None,
) -> CompletionImportResult:
    """Complete the plan items the good rows name, report the bad rows, remember the result under the key.

    One ``training_completion.import`` audit event names the import and its counts.
    """
    key = check_idempotency_key(idempotency_key)
    stored = (
        await session.exec(select(TrainingCompletionImport).where(TrainingCompletionImport.idempotency_key == key))
    ).first()
    if stored is not None:
        if stored.request_sha256 != fingerprint:
            raise DomainError.single(
                "idempotencyKey",
                "this idempotency key was used for an import with other content; use a new key",
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        return CompletionImportResult.from_import(stored, replayed=True)
    if len(rows) > MAX_ROWS:
        raise too_many_rows("completions")
    today = today or date.today()

    numbers = {row.employee_number for row in rows}
    keys = {row.programme_key for row in rows}
    employees = {
        employee.employee_number: employee
        for employee in (await session.exec(select(Employee).where(col(Employee.employee_number).in_(numbers)))).all()
    }
    programmes = {
        programme.key: programme
        for programme in (
            await session.exec(select(TrainingProgramme).where(col(TrainingProgramme.key).in_(keys)))
        ).all()
    }
    items: dict[tuple[int, int], DevelopmentPlanItem] = {}
    employee_ids = {employee.id for employee in employees.values()}
    programme_ids = {programme.id for programme in programmes.values()}
    if employee_ids and programme_ids:
        for item in (
            await session.exec(
                select(DevelopmentPlanItem)
                .where(
                    col(DevelopmentPlanItem.employee_id).in_(employee_ids),
                    col(DevelopmentPlanItem.programme_id).in_(programme_ids),
                    col(DevelopmentPlanItem.status).in_(ACTIVE_ITEM_STATUSES),
                )
                .order_by(col(DevelopmentPlanItem.id))
            )
        ).all():
            items[(item.employee_id, item.programme_id)] = item

    row_errors: list[RowError] = []
    written: list[int] = []
    unchanged = 0
    seen: dict[tuple[int, int], int] = {}
    for row in rows:
        try:
            if row.errors:
                raise DomainError(*row.errors)
            employee = employees.get(row.employee_number)
            programme = programmes.get(row.programme_key)
            missing = []
            if employee is None:
                missing.append(
                    FieldError("employeeNumber", f"employee '{row.employee_number}' not found", ErrorCode.NOT_FOUND)
                )
            if programme is None:
                missing.append(
                    FieldError("programmeKey", f"programme '{row.programme_key}' not found", ErrorCode.NOT_FOUND)
                )
            if missing:
                raise DomainError(*missing)
            pair = (employee.id, programme.id)
            if pair in seen:
                raise DomainError.single(
                    None, f"the same employee and programme as row {seen[pair]} of this import", ErrorCode.DUPLICATE_ROW
                )
            seen[pair] = row.row
            item = items.get(pair)
            changed = complete_item(
                item,
                employee,
                completed_on=row.completed_on,
                source="lms",
                today=today,
                programme_field="programmeKey",
            )
        except DomainError as error:
            row_errors += [RowError(row.row, problem.field, problem.code, problem.message) for problem in error.errors]
            continue
        if changed:
            session.add(item)
            written.append(item.id)
        else:
            unchanged += 1
    await session.flush()

    result = {
        "rows_received": len(rows),
        "rows_written": len(written),
        "rows_unchanged": unchanged,
        "rows_refused": len({error.row for error in row_errors}),
        "plan_item_ids": written,
        "row_errors": [asdict(error) | {"code": error.code.value} for error in row_errors],
    }
    stored = TrainingCompletionImport(
        idempotency_key=key, request_sha256=fingerprint, actor=actor.name[:200], source=source, result=result
    )
    session.add(stored)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="training_completion.import",
        entity_type="TrainingCompletionImport",
        entity_id=stored.id,
        details={name: result[name] for name in result if name.startswith("rows_")}
        | {"source": source, "idempotency_key": key},
    )
    return CompletionImportResult.from_import(stored, replayed=False)
