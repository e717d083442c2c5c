"""Each hire's KPI outcome kept on its KPI assignment, so that correlating 200,000 hires reads one row per hire.

A dimension → KPI correlation pairs a hire's interview score with their KPI outcome over every period: the
mean actual and the mean attainment (``ATTAINMENT_CAP`` for lower-is-better KPIs). Averaging a million KPI
records and joining millions of dimension scores per request takes seconds, so ``kpi_assignment`` carries
the sums (``outcome_periods``, ``outcome_actual_sum``, ``outcome_attainment_sum``,
``outcome_attainment_count``), the hire's counted dimension scores (``hire_scores``, kept by
``score_updates`` whenever the counting hooks recount the hire's application) and the hire's application and
requisition (a model version's hires are then read from one table). An outcome over some periods only
(``2026`` of a longer history) still reads the records.

Any ORM flush that adds, changes or deletes KPI records, or adds or re-targets an assignment, recomputes the
sums of the assignments it touched in the same transaction (``after_flush_postexec``); loaders that write
with Core statements call ``gateway.models.counting.recount_all``, which recomputes every one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.models.base import table_for_statements
from gateway.models.candidate import Application
from gateway.models.employee import Employee
from gateway.models.enums import KpiDirection
from gateway.models.interview import DimensionScore
from gateway.models.kpi import KpiAssignment, KpiDefinition, KpiRecord

ATTAINMENT_CAP = 2.0
"""``statistics.kpi_attainment``'s cap for lower-is-better KPIs (an actual of 0 counts as 2× on target)."""

_PENDING = "hrgate.kpi_outcomes"
BATCH = 5_000


def attainment(actual: sa.ColumnElement, target: sa.ColumnElement, lower: sa.ColumnElement) -> sa.ColumnElement:
    """``statistics.kpi_attainment`` in SQL: null without a positive target; capped for lower-is-better."""
    lower_ratio = sa.case(
        (actual <= 0, ATTAINMENT_CAP),
        (target / actual > ATTAINMENT_CAP, ATTAINMENT_CAP),
        else_=target / actual,
    )
    return sa.case(
        (sa.or_(target.is_(None), target <= 0), sa.null()),
        (lower, lower_ratio),
        else_=actual / target,
    )


def _only(statement: Any, column: sa.ColumnElement, ids: Any) -> Any:
    return statement if ids is None else statement.where(column.in_(ids))


def outcome_updates(assignments: Any = None, *, stamp: bool = True) -> list[sa.Update]:
    """Fill the hire's application and requisition, clear the sums, then sum each assignment's records.

    ``stamp=False`` builds them without ``updated_at`` (migration 0014 runs before the column exists)."""
    assignment = table_for_statements(KpiAssignment, stamp)
    record = KpiRecord.__table__
    definition = KpiDefinition.__table__
    employee = Employee.__table__
    application = Application.__table__
    placed = (
        sa.update(assignment)
        .values(application_id=employee.c.application_id, requisition_id=application.c.requisition_id)
        .where(employee.c.id == assignment.c.employee_id, application.c.id == employee.c.application_id)
    )
    cleared = sa.update(assignment).values(
        outcome_periods=0, outcome_actual_sum=None, outcome_attainment_sum=None, outcome_attainment_count=0
    )
    value = attainment(
        record.c.actual,
        sa.func.coalesce(record.c.target, assignment.c.target),
        definition.c.direction == KpiDirection.LOWER_IS_BETTER.value,
    )
    sums = _only(
        sa.select(
            record.c.assignment_id,
            sa.func.count().label("periods"),
            sa.func.sum(record.c.actual).label("actual_sum"),
            sa.func.sum(value).label("attainment_sum"),
            sa.func.count(value).label("attainment_count"),
        )
        .join(assignment, assignment.c.id == record.c.assignment_id)
        .join(definition, definition.c.id == assignment.c.kpi_id)
        .group_by(record.c.assignment_id),
        record.c.assignment_id,
        assignments,
    ).subquery("sums")
    summed = (
        sa.update(assignment)
        .values(
            outcome_periods=sums.c.periods,
            outcome_actual_sum=sums.c.actual_sum,
            outcome_attainment_sum=sums.c.attainment_sum,
            outcome_attainment_count=sums.c.attainment_count,
        )
        .where(sums.c.assignment_id == assignment.c.id)
    )
    return [
        _only(placed, assignment.c.id, assignments),
        _only(cleared, assignment.c.id, assignments),
        summed,
    ]


def score_updates(applications: Any, dialect_name: str) -> list[sa.Update]:
    """Copy each hire's counted dimension scores onto their assignments (``hire_scores``), for ``applications``
    (ids or a SELECT of ids; None: every hire): cleared, then filled from the counted scores."""
    assignment = KpiAssignment.__table__
    score = DimensionScore.__table__
    pairs = sa.func.json_object_agg if dialect_name == "postgresql" else sa.func.json_group_object
    per_application = _only(
        sa.select(
            score.c.application_id,
            pairs(sa.cast(score.c.dimension_id, sa.String), score.c.score).label("scores"),
        )
        .where(score.c.counted, score.c.score.is_not(None))
        .group_by(score.c.application_id),
        score.c.application_id,
        applications,
    ).subquery("hire_scores")
    cleared = _only(sa.update(assignment).values(hire_scores={}), assignment.c.application_id, applications)
    filled = (
        sa.update(assignment)
        .values(hire_scores=sa.type_coerce(per_application.c.scores, assignment.c.hire_scores.type))
        .where(per_application.c.application_id == assignment.c.application_id)
    )
    return [cleared, filled]


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    """Note the assignments whose records or target this flush changed (recomputed below)."""
    touched: set[int] = set()
    for item in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(item, KpiRecord):
            touched.add(item.assignment_id)
        elif isinstance(item, KpiAssignment) and item not in session.deleted and item.id is not None:
            attributes = sa.inspect(item).attrs
            if item in session.new or attributes["target"].history.has_changes():
                touched.add(item.id)
    if touched:
        session.info.setdefault(_PENDING, set()).update(touched)


@event.listens_for(Session, "after_flush_postexec")
def _recompute(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    ids = sorted(pending)
    assignment = KpiAssignment.__table__
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        hires = sa.select(assignment.c.application_id).where(assignment.c.id.in_(batch))
        for statement in [*outcome_updates(batch), *score_updates(hires, connection.dialect.name)]:
            connection.execute(statement)
