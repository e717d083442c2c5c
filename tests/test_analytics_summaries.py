"""Summary cells (``gateway.models.analytics_summary``) against the row-by-row aggregates, through every kind of write.

Issue 11: each hire's KPI outcome kept on its assignment equals the one averaged from the records after
corrected, deleted and new records and a new target; ``hiringAnalytics`` and ``requisitionAnalytics`` combine per-requisition, per-month summaries. They
must equal the aggregates over the rows (``resolvers.analytics.aggregates``, themselves checked against numpy)
after a rescore, a changed dimension score, a re-interview, a stage move, a deleted score, a bulk load that
bypasses the ORM, and for a period; and a write that lands while a reader recomputes must leave the
requisition stale, never a summary older than it claims.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from gateway import models
from gateway.db import read_session, unit_of_work
from gateway.models.analytics_summary import RequisitionSummaryState
from gateway.models.base import utcnow
from gateway.models.counting import recount_all
from gateway.models.enums import ApplicationStage
from resolvers.analytics import aggregates, reports
from resolvers.analytics.cohorts import Scope, counted_reports, kpi_outcomes
from resolvers.analytics.queries import cohort_scope, cohort_size
from resolvers.analytics.summaries import refresh_stale
from resolvers.services.periods import period_range
from tests.analytics_cohort import build_cohort

FIGURES = ("n", "mean", "standard_deviation", "minimum", "quartile_1", "median", "quartile_3", "maximum")


async def _assert_matches_rows(version_id: int, scope: Scope, *, period: str | None = None) -> None:
    """``hiringAnalytics``' figures equal the aggregates over the rows of the same cohort."""
    async with read_session() as session:
        summarised = await reports.cohort_analytics(session=session, model_version_id=version_id, period=period)
        keys = [dimension.key for dimension in summarised.dimension_means]
        counted = await aggregates.total_distribution(counted_reports(scope), session=session)
        means = await aggregates.dimension_means(scope, keys, session=session)
        rates = await aggregates.stage_pass_rates(scope, session=session)
        applications, requisitions = await cohort_size(scope, session=session)
    expected = counted.distribution
    for figure in FIGURES:
        assert getattr(summarised.totals, figure) == pytest.approx(getattr(expected, figure), rel=1e-9), figure
    assert [item.count for item in summarised.totals.bins] == [item.count for item in expected.bins]
    assert summarised.reports.count == counted.reports
    assert summarised.reports.highest_id == counted.highest_report_id
    for found, wanted in zip(summarised.dimension_means, means, strict=True):
        assert (found.key, found.n) == (wanted.key, wanted.n)
        assert found.mean == pytest.approx(wanted.mean, rel=1e-9)
        assert found.standard_deviation == pytest.approx(wanted.standard_deviation, rel=1e-9)
    assert summarised.pass_rates == rates
    assert (summarised.application_count, summarised.requisition_count) == (applications, requisitions)


async def _state(requisition_id: int) -> tuple[int, int]:
    async with read_session() as session:
        state = await session.get(RequisitionSummaryState, requisition_id)
        return state.version, state.computed_version


async def test_summaries_follow_every_kind_of_write():
    cohort = await build_cohort(40, seed=31)
    scope = cohort_scope(model_version_id=cohort.version_id)
    await _assert_matches_rows(cohort.version_id, scope)
    version, computed = await _state(cohort.requisition_id)
    assert version == computed  # the read recomputed and recorded it

    async with unit_of_work() as uow:  # a rescore: the same report, a new total and one dimension score
        session = uow.session
        report = (
            await session.exec(
                select(models.InterviewReport)
                .where(models.InterviewReport.requisition_id == cohort.requisition_id)
                .order_by(col(models.InterviewReport.id))
            )
        ).first()
        report.total = 3.25
        session.add(report)
        score = (
            await session.exec(select(models.DimensionScore).where(models.DimensionScore.report_id == report.id))
        ).first()
        score.score = 99.5
        session.add(score)
    assert (await _state(cohort.requisition_id))[0] > version
    await _assert_matches_rows(cohort.version_id, scope)

    async with unit_of_work() as uow:  # a re-interview replaces the first report; a stage moves; a score goes
        session = uow.session
        application_id = cohort.application_ids[1]
        interview = models.Interview(
            application_id=application_id, token_hash=f"{'s' * 60}0031", expires_at=utcnow() + timedelta(days=3)
        )
        session.add(interview)
        await session.flush()
        session.add(
            models.InterviewReport(
                interview_id=interview.id, requisition_id=cohort.requisition_id, total=100.0, pipeline_version="p2"
            )
        )
        application = await session.get(models.Application, cohort.application_ids[2])
        application.stage = ApplicationStage.REJECTED
        session.add(application)
        doomed = (
            await session.exec(
                select(models.DimensionScore).where(models.DimensionScore.application_id == cohort.application_ids[3])
            )
        ).first()
        await session.delete(doomed)
    await _assert_matches_rows(cohort.version_id, scope)

    async with unit_of_work() as uow:  # a bulk load with Core statements, then the loader's recount
        connection = await uow.session.connection()
        report_table = models.InterviewReport.__table__
        await connection.execute(
            sa.update(report_table)
            .where(report_table.c.requisition_id == cohort.requisition_id, report_table.c.total > 60)
            .values(total=report_table.c.total - 7.5)
        )
        await recount_all(connection)
    await _assert_matches_rows(cohort.version_id, scope)


async def test_a_period_reads_the_cells_of_its_months():
    cohort = await build_cohort(36, seed=32)
    async with unit_of_work() as uow:
        connection = await uow.session.connection()
        application = models.Application.__table__
        for index, application_id in enumerate(cohort.application_ids):
            moment = datetime(2026, 3 + index % 3, 1 + index % 28, index % 24, tzinfo=UTC)
            if index % 5 == 0:
                moment = datetime(2026, 4, 1, tzinfo=UTC) - timedelta(microseconds=1)  # the last instant of March
            await connection.execute(
                sa.update(application).where(application.c.id == application_id).values(created_at=moment)
            )
        await recount_all(connection)
    for period in ("2026-03", "2026-Q2", "2026"):
        start, end = (datetime.combine(day, datetime.min.time(), tzinfo=UTC) for day in period_range(period))
        scope = cohort_scope(model_version_id=cohort.version_id, created_from=start, created_before=end)
        assert scope.months is not None
        await _assert_matches_rows(cohort.version_id, scope, period=period)


async def test_a_write_during_a_recomputation_leaves_the_requisition_stale():
    cohort = await build_cohort(12, seed=33)
    scope = Scope(requisition_id=cohort.requisition_id)
    async with unit_of_work() as uow:  # stale now: make it so again after the cohort's own writes
        await refresh_stale(scope, session=uow.session)

    async def rescore() -> None:
        async with unit_of_work() as uow:
            report = (
                await uow.session.exec(
                    select(models.InterviewReport).where(models.InterviewReport.requisition_id == cohort.requisition_id)
                )
            ).first()
            report.total = 1.0
            uow.session.add(report)

    async with unit_of_work() as uow:
        await rescore()  # committed before the claim: the recomputation sees it
        claimed = await refresh_stale(scope, session=uow.session)
        assert claimed == [cohort.requisition_id]
        writer = asyncio.create_task(rescore_later(cohort.requisition_id))
        await asyncio.sleep(0.2)  # the writer now waits for the claimed state row (or the database's write lock)
    await writer
    version, computed = await _state(cohort.requisition_id)
    assert version > computed  # the write after the claim is not in the cells: stale, recomputed on next read
    async with read_session() as session:
        analytics = await reports.requisition_analytics(cohort.requisition_id, session=session)
    assert analytics.totals.minimum == 0.5
    assert (await _state(cohort.requisition_id))[0] == (await _state(cohort.requisition_id))[1]


async def rescore_later(requisition_id: int) -> None:
    async with unit_of_work() as uow:
        report = (
            await uow.session.exec(
                select(models.InterviewReport)
                .where(models.InterviewReport.requisition_id == requisition_id)
                .order_by(col(models.InterviewReport.id).desc())
            )
        ).first()
        report.total = 0.5
        uow.session.add(report)


async def _outcomes(version_id: int, period: str | None) -> dict[tuple[int, int], tuple]:
    outcomes = kpi_outcomes(model_version_id=version_id, period=period)
    async with read_session() as session:
        rows = await session.exec(
            select(
                outcomes.c.employee_id,
                outcomes.c.kpi_id,
                outcomes.c.application_id,
                outcomes.c.periods,
                outcomes.c.actual,
                outcomes.c.outcome,
            )
        )
        return {(employee_id, kpi_id): tuple(rest) for employee_id, kpi_id, *rest in rows.all()}


async def _assert_kept_outcomes_match_records(version_id: int) -> None:
    kept, from_records = await _outcomes(version_id, None), await _outcomes(version_id, "2")  # "2": every period
    assert kept.keys() == from_records.keys() and kept
    for key, (application_id, periods, actual, outcome) in kept.items():
        expected = from_records[key]
        assert (application_id, periods) == expected[:2]
        assert actual == pytest.approx(expected[2], rel=1e-12)
        assert outcome == pytest.approx(expected[3], rel=1e-12)


@pytest.mark.parametrize("with_targets", [True, False], ids=["attainment", "raw-actual"])
async def test_kpi_outcomes_kept_on_assignments_follow_records_and_targets(with_targets):
    cohort = await build_cohort(30, seed=34, with_targets=with_targets)
    await _assert_kept_outcomes_match_records(cohort.version_id)
    async with unit_of_work() as uow:  # a corrected actual, a deleted period, a new period, a new target
        session = uow.session
        records = (
            await session.exec(
                select(models.KpiRecord)
                .join(models.KpiAssignment, col(models.KpiAssignment.id) == models.KpiRecord.assignment_id)
                .where(col(models.KpiAssignment.employee_id).in_(cohort.employee_ids[:3]))
                .order_by(col(models.KpiRecord.id))
            )
        ).all()
        records[0].actual += 1.75
        session.add(records[0])
        await session.delete(records[-1])
        session.add(models.KpiRecord(assignment_id=records[1].assignment_id, period="2027-Q4", actual=0.25))
        assignment = await session.get(models.KpiAssignment, records[2].assignment_id)
        assignment.target = 4.0
        session.add(assignment)
    await _assert_kept_outcomes_match_records(cohort.version_id)


async def _both_paths(version_id: int, dimension_ids: list[tuple[int, str]], kpi_id: int):
    async with read_session() as session:
        kept = await aggregates.link_correlations(version_id, session=session)
        from_rows = await aggregates.link_correlations(version_id, session=session, period="2")  # every period
        kept_folds = await aggregates.regression_moments(
            dimension_ids, kpi_id, model_version_id=version_id, session=session
        )
        row_folds = await aggregates.regression_moments(
            dimension_ids, kpi_id, model_version_id=version_id, session=session, period="2"
        )
    return kept, from_rows, kept_folds, row_folds


async def test_hire_scores_kept_on_assignments_follow_rescoring_and_reinterviews():
    cohort = await build_cohort(24, seed=37)
    async with unit_of_work() as uow:  # a hire's score corrected, another hire re-interviewed with new scores
        session = uow.session
        score = (
            await session.exec(
                select(models.DimensionScore).where(models.DimensionScore.application_id == cohort.application_ids[0])
            )
        ).first()
        score.score = 12.5
        session.add(score)
        interview = models.Interview(
            application_id=cohort.application_ids[1],
            token_hash=f"{'k' * 60}0037",
            expires_at=utcnow() + timedelta(days=3),
        )
        session.add(interview)
        await session.flush()
        report = models.InterviewReport(
            interview_id=interview.id, requisition_id=cohort.requisition_id, total=55.0, pipeline_version="p3"
        )
        session.add(report)
        await session.flush()
        for dimension_id in cohort.dimension_ids.values():
            session.add(
                models.DimensionScore(report_id=report.id, dimension_id=dimension_id, pipeline_version="p3", score=97.0)
            )
    dimensions = [(dimension_id, key) for key, dimension_id in cohort.dimension_ids.items()]
    kept, from_rows, kept_folds, row_folds = await _both_paths(cohort.version_id, dimensions, cohort.kpi_id)
    assert [(item.dimension_key, item.pearson.n) for item in kept] == [
        (item.dimension_key, item.pearson.n) for item in from_rows
    ]
    for found, wanted in zip(kept, from_rows, strict=True):
        assert found.pearson.r == pytest.approx(wanted.pearson.r, abs=1e-12)
        assert found.spearman.r == pytest.approx(wanted.spearman.r, abs=1e-12)
    assert [fold.n for fold in kept_folds] == [fold.n for fold in row_folds]
    for found, wanted in zip(kept_folds, row_folds, strict=True):
        assert found.sxy == pytest.approx(wanted.sxy, rel=1e-12)
        assert found.sxx == pytest.approx(wanted.sxx, rel=1e-12)
