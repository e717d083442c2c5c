"""Which rows analytics count, kept on the rows themselves so that a million applications read in a second.

The rule (``resolvers/analytics/cohorts.py``): the latest interview report of each application, under that
report's own pipeline version; an application's funnel position is the furthest forward stage it reached.
Finding these at read time means grouping every report and stage change of a cohort — seconds at a million
applications — so the rows carry the answer:

- ``application.furthest_stage``;
- ``interview_report.application_id`` and ``.counted`` (the latest report of its application);
- ``dimension_score.application_id``, ``.requisition_id`` and ``.counted`` (its report is counted and this is
  the report's pipeline version).

Any ORM flush that adds reports, dimension scores, applications or stage changes, or changes a report's
pipeline version or an application's stage, recounts the applications it touched (``after_flush_postexec``,
same transaction), and marks the summaries of their requisitions stale (``gateway.models.analytics_summary``;
also for a changed total or score and for deleted rows). Loaders that write with Core statements
(``INSERT … SELECT``, ``UPDATE``, ``DELETE``) call ``recount_all``. Every recount updates only rows whose
counting columns change, so ``updated_at`` (set by every UPDATE, for incremental sync) moves only for rows
that really changed.
Objects already in a session are not refreshed: read these columns with SQL, as the analytics do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.models.analytics_summary import mark_stale
from gateway.models.base import table_for_statements
from gateway.models.candidate import Application, ApplicationStageChange
from gateway.models.enums import ApplicationStage
from gateway.models.interview import DimensionScore, Interview, InterviewReport
from gateway.models.kpi_outcomes import outcome_updates, score_updates
from gateway.models.requisition import Requisition

FORWARD_STAGES = (
    ApplicationStage.SCREENING,
    ApplicationStage.AI_INTERVIEW,
    ApplicationStage.SECOND_INTERVIEW,
    ApplicationStage.OFFER,
    ApplicationStage.HIRED,
)
"""The pipeline in order (``APPLICATION_TRANSITIONS``); rejected and withdrawn end a path, not a stage reached."""

_PENDING = "hrgate.recount"
RECOUNT_BATCH = 5_000
"""Application ids per recount statement (a flush of demo data touches thousands; drivers cap parameters)."""


def _stage_index(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case(*[(column == stage.value, index) for index, stage in enumerate(FORWARD_STAGES)], else_=-1)


def _greatest(*values: sa.ColumnElement) -> sa.ColumnElement:
    """The largest of non-null integers, portable (PostgreSQL's ``greatest`` and SQLite's ``max`` differ)."""
    result = values[0]
    for value in values[1:]:
        result = sa.case((value > result, value), else_=result)
    return result


def _only(statement: Any, column: sa.ColumnElement, ids: Any) -> Any:
    return statement if ids is None else statement.where(column.in_(ids))


def furthest_stage_updates(applications: Any = None, *, stamp: bool = True) -> list[sa.Update]:
    """``application.furthest_stage``: an open application stands at its furthest stage (the pipeline only moves
    forward); a rejected or withdrawn one reached the furthest stage its history shows (screening without one)."""
    application = table_for_statements(Application, stamp)
    change = table_for_statements(ApplicationStageChange, stamp)
    stage = sa.cast(application.c.stage, sa.String)
    furthest = sa.cast(application.c.furthest_stage, sa.String)
    closed = [ApplicationStage.REJECTED.value, ApplicationStage.WITHDRAWN.value]
    standing = sa.case((stage.in_(closed), ApplicationStage.SCREENING.value), else_=stage)
    current = (
        sa.update(application)
        .values(furthest_stage=sa.type_coerce(standing, application.c.furthest_stage.type))
        .where(furthest != standing)
    )
    history = _only(
        sa.select(
            change.c.application_id,
            sa.func.max(
                _greatest(
                    _stage_index(sa.cast(change.c.to_stage, sa.String)),
                    _stage_index(sa.cast(change.c.from_stage, sa.String)),
                )
            ).label("reached"),
        ).group_by(change.c.application_id),
        change.c.application_id,
        applications,
    ).subquery("history")
    reached = sa.case(
        *[(history.c.reached == index, stage.value) for index, stage in enumerate(FORWARD_STAGES)],
        else_=ApplicationStage.SCREENING.value,
    )
    from_history = (
        sa.update(application)
        .values(furthest_stage=sa.type_coerce(reached, application.c.furthest_stage.type))
        .where(history.c.application_id == application.c.id, stage.in_(closed), furthest != reached)
    )
    return [_only(current, application.c.id, applications), _only(from_history, application.c.id, applications)]


def report_updates(applications: Any = None, *, stamp: bool = True) -> list[sa.Update]:
    """Fill each report's application, then mark the latest report of each application as counted."""
    report = table_for_statements(InterviewReport, stamp)
    interview = table_for_statements(Interview, stamp)
    fill = (
        sa.update(report)
        .values(application_id=interview.c.application_id)
        .where(interview.c.id == report.c.interview_id, report.c.application_id.is_(None))
    )
    fill = _only(fill, interview.c.application_id, applications)
    newer = report.alias("newer")
    latest = _only(
        sa.select(newer.c.application_id, sa.func.max(newer.c.id).label("id")).group_by(newer.c.application_id),
        newer.c.application_id,
        applications,
    ).subquery("latest")
    # Two joins rather than ``counted = id IN (…)``: PostgreSQL hashes such a subquery only within work_mem, and
    # past it (a million applications) compares every row with every other.
    clear = (
        sa.update(report)
        .values(counted=False)
        .where(report.c.counted, report.c.application_id == latest.c.application_id, report.c.id != latest.c.id)
    )
    mark = sa.update(report).values(counted=True).where(report.c.id == latest.c.id, sa.not_(report.c.counted))
    return [fill, clear, mark]


def dimension_score_update(applications: Any = None, *, stamp: bool = True) -> sa.Update:
    """Copy each score's report's application, requisition and counted flag (for its own pipeline version)."""
    report = table_for_statements(InterviewReport, stamp)
    score = table_for_statements(DimensionScore, stamp)
    counted = sa.and_(report.c.counted, report.c.pipeline_version == score.c.pipeline_version)
    statement = (
        sa.update(score)
        .values(application_id=report.c.application_id, requisition_id=report.c.requisition_id, counted=counted)
        .where(
            report.c.id == score.c.report_id,
            sa.or_(
                score.c.application_id.is_distinct_from(report.c.application_id),
                score.c.requisition_id.is_distinct_from(report.c.requisition_id),
                score.c.counted.is_distinct_from(counted),
            ),
        )
    )
    return _only(statement, report.c.application_id, applications)


def recount_statements(applications: Any = None, *, stamp: bool = True) -> list[sa.Update]:
    """Every update, in order, for ``applications`` (ids or a SELECT of ids; None: all of them).

    ``stamp=False`` builds them without ``updated_at`` (migration 0006 runs before the column exists).
    """
    return [
        *furthest_stage_updates(applications, stamp=stamp),
        *report_updates(applications, stamp=stamp),
        dimension_score_update(applications, stamp=stamp),
    ]


async def recount_all(connection: Any) -> None:
    """After a bulk load that bypassed the ORM (an async connection, inside the loader's transaction)."""
    for statement in [*recount_statements(), *outcome_updates(), *score_updates(None, connection.dialect.name)]:
        await connection.execute(statement)
    await connection.execute(mark_stale(sa.select(Requisition.__table__.c.id), connection.dialect.name))


def _touched(objects: Iterable[Any]) -> tuple[set[int], set[int], set[int]]:
    """(application ids, interview ids, report ids) whose counting the flushed objects may change."""
    applications: set[int] = set()
    interviews: set[int] = set()
    reports: set[int] = set()
    for item in objects:
        if isinstance(item, Application) and item.id is not None:
            applications.add(item.id)
        elif isinstance(item, ApplicationStageChange):
            applications.add(item.application_id)
        elif isinstance(item, InterviewReport):
            interviews.add(item.interview_id)
        elif isinstance(item, DimensionScore):
            reports.add(item.report_id)
    return applications, interviews, reports


_WATCHED = {"stage", "pipeline_version", "total", "score"}
"""Attributes whose change moves counting (stage, pipeline version) or a summary figure (total, score)."""


def _changed(item: Any) -> bool:
    attributes = sa.inspect(item).attrs
    return any(attributes[name].history.has_changes() for name in _WATCHED if name in attributes)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    """Note what this flush wrote (``session.new``, ``dirty`` and ``deleted`` still show it here); recounted below.

    Deleted rows are gone by then, so their requisitions are noted now (their summaries go stale).
    """
    changed = [
        item
        for item in session.dirty
        if isinstance(item, Application | InterviewReport | DimensionScore) and _changed(item)
    ]
    applications, interviews, reports = _touched([*session.new, *changed])
    requisitions = {
        item.requisition_id
        for item in session.deleted
        if isinstance(item, Application | InterviewReport | DimensionScore) and item.requisition_id is not None
    }
    for item in session.deleted:
        if isinstance(item, DimensionScore) and item.requisition_id is None:
            reports.add(item.report_id)
    if applications or interviews or reports or requisitions:
        pending = session.info.setdefault(_PENDING, (set(), set(), set(), set()))
        pending[0].update(applications)
        pending[1].update(interviews)
        pending[2].update(reports)
        pending[3].update(requisitions)


@event.listens_for(Session, "after_flush_postexec")
def _recount(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    applications, interviews, reports, requisitions = pending
    connection = session.connection()
    interview = Interview.__table__
    report = InterviewReport.__table__
    if interviews:
        rows = connection.execute(sa.select(interview.c.application_id).where(interview.c.id.in_(interviews)))
        applications |= {row[0] for row in rows}
    if reports:
        rows = connection.execute(
            sa.select(interview.c.application_id)
            .join(report, report.c.interview_id == interview.c.id)
            .where(report.c.id.in_(reports))
        )
        applications |= {row[0] for row in rows}
    ids = sorted(applications)
    dialect_name = connection.dialect.name
    application = Application.__table__
    for start in range(0, len(ids), RECOUNT_BATCH):
        batch = ids[start : start + RECOUNT_BATCH]
        for statement in recount_statements(batch):
            connection.execute(statement)
        connection.execute(
            mark_stale(sa.select(application.c.requisition_id).where(application.c.id.in_(batch)), dialect_name)
        )
        for statement in score_updates(batch, dialect_name):
            connection.execute(statement)
    if requisitions:
        requisition = Requisition.__table__
        connection.execute(
            mark_stale(sa.select(requisition.c.id).where(requisition.c.id.in_(sorted(requisitions))), dialect_name)
        )
