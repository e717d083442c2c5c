"""The database's aggregates against an independent computation over the raw rows (numpy and scipy).

Issue 11: analytics are computed by SQL (``resolvers.analytics.aggregates``). This cohort has what the
SQL must get right: re-interviews (only the latest report counts), stale pipeline runs, rejected and
withdrawn applications with their histories, tied scores (Spearman's average ranks), a lower-is-better
KPI with and without targets, several periods per hire. Each figure is recomputed here from ORM rows.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from scipy import stats
from sqlmodel import select

from gateway import models
from gateway.db import read_session, unit_of_work
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage
from resolvers.analytics import reports
from resolvers.analytics import statistics as st
from tests.analytics_cohort import Cohort, build_cohort

REINTERVIEWED = 6
CLOSED = 24


async def _extend(cohort: Cohort, seed: int) -> None:
    """Re-interviews for some hires, tied scores, and closed applications with stage histories."""
    rng = np.random.default_rng(seed)
    async with unit_of_work() as uow:
        session = uow.session
        for index, application_id in enumerate(cohort.application_ids[:REINTERVIEWED]):
            interview = models.Interview(
                application_id=application_id,
                token_hash=f"re{seed:04d}{index:058d}",
                expires_at=utcnow() + timedelta(days=3),
            )
            session.add(interview)
            await session.flush()
            report = models.InterviewReport(
                interview_id=interview.id,
                requisition_id=cohort.requisition_id,
                total=90.0 - index,
                pipeline_version="p2",
            )
            session.add(report)
            await session.flush()
            for key, dimension_id in cohort.dimension_ids.items():
                score = 70.0 if key == "numeracy" else float(rng.integers(40, 90))  # ties on purpose
                session.add(
                    models.DimensionScore(
                        report_id=report.id, dimension_id=dimension_id, pipeline_version="p2", score=score
                    )
                )
        for index in range(CLOSED):
            candidate = models.Candidate(full_name=f"Closed {index}", email=f"closed{seed}-{index}@example.com")
            session.add(candidate)
            await session.flush()
            path = [ApplicationStage.SCREENING, ApplicationStage.AI_INTERVIEW, ApplicationStage.SECOND_INTERVIEW][
                : 1 + index % 3
            ]
            end = ApplicationStage.WITHDRAWN if index % 4 == 0 else ApplicationStage.REJECTED
            application = models.Application(candidate_id=candidate.id, requisition_id=cohort.requisition_id, stage=end)
            session.add(application)
            await session.flush()
            for before, after in zip(path, [*path[1:], end], strict=True):
                session.add(
                    models.ApplicationStageChange(application_id=application.id, from_stage=before, to_stage=after)
                )
            if len(path) > 1:  # reached the AI interview: scored
                interview = models.Interview(
                    application_id=application.id,
                    token_hash=f"cl{seed:04d}{index:058d}",
                    expires_at=utcnow() + timedelta(days=3),
                )
                session.add(interview)
                await session.flush()
                report = models.InterviewReport(
                    interview_id=interview.id,
                    requisition_id=cohort.requisition_id,
                    total=None if index == 5 else float(round(rng.uniform(20, 70))),
                    pipeline_version="p2",
                )
                session.add(report)
                await session.flush()
                for dimension_id in cohort.dimension_ids.values():
                    session.add(
                        models.DimensionScore(
                            report_id=report.id,
                            dimension_id=dimension_id,
                            pipeline_version="p2",
                            score=float(round(rng.uniform(20, 70))),
                        )
                    )


async def _raw(cohort: Cohort) -> dict:
    """Every row the figures come from, read as ORM objects (the slow, obvious way)."""
    async with read_session() as session:
        applications = (
            await session.exec(
                select(models.Application).where(models.Application.requisition_id == cohort.requisition_id)
            )
        ).all()
        ids = {application.id for application in applications}
        interviews = [
            item for item in (await session.exec(select(models.Interview))).all() if item.application_id in ids
        ]
        by_interview = {interview.id: interview.application_id for interview in interviews}
        latest: dict[int, models.InterviewReport] = {}
        for report in (await session.exec(select(models.InterviewReport))).all():
            application_id = by_interview.get(report.interview_id)
            if application_id is not None and (application_id not in latest or report.id > latest[application_id].id):
                latest[application_id] = report
        keys = {dimension_id: key for key, dimension_id in cohort.dimension_ids.items()}
        scores: dict[int, dict[str, float | None]] = {}
        for row in (await session.exec(select(models.DimensionScore))).all():
            for application_id, report in latest.items():
                if row.report_id == report.id and row.pipeline_version == report.pipeline_version:
                    scores.setdefault(application_id, {})[keys[row.dimension_id]] = row.score
        changes = (await session.exec(select(models.ApplicationStageChange))).all()
        stages = {application.id: {"screening", application.stage.value} for application in applications}
        for change in changes:
            if change.application_id in stages:
                stages[change.application_id].add(change.to_stage.value)
                if change.from_stage is not None:
                    stages[change.application_id].add(change.from_stage.value)
        employees = (await session.exec(select(models.Employee))).all()
        records: dict[int, list[models.KpiRecord]] = {}
        assignments = {item.id: item for item in (await session.exec(select(models.KpiAssignment))).all()}
        for record in (await session.exec(select(models.KpiRecord))).all():
            records.setdefault(assignments[record.assignment_id].employee_id, []).append(record)
    return {
        "latest": latest,
        "scores": scores,
        "stages": stages,
        "employees": employees,
        "records": records,
        "assignments": assignments,
    }


def _outcome(records: list[models.KpiRecord], assignment: models.KpiAssignment, use_attainment: bool) -> float:
    if use_attainment:
        return float(
            np.mean(
                [
                    st.kpi_attainment(record.actual, record.target or assignment.target, lower_is_better=True)
                    for record in records
                ]
            )
        )
    return -float(np.mean([record.actual for record in records]))  # error rate: lower is better


@pytest.mark.parametrize("with_targets", [True, False], ids=["attainment", "raw-actual"])
async def test_requisition_and_correlation_figures_match_an_independent_computation(with_targets):
    cohort = await build_cohort(60, seed=21, with_targets=with_targets)
    await _extend(cohort, seed=21)
    raw = await _raw(cohort)

    async with read_session() as session:
        analytics = await reports.requisition_analytics(cohort.requisition_id, session=session)
        correlations = await reports.dimension_kpi_correlations(cohort.version_id, session=session)

    totals = [report.total for report in raw["latest"].values() if report.total is not None]
    expected = st.distribution(totals)
    assert analytics.reports.count == len(raw["latest"]) == 60 + CLOSED - CLOSED // 3
    assert analytics.reports.ids == sorted(report.id for report in raw["latest"].values())
    assert analytics.totals.n == expected.n
    assert [item.count for item in analytics.totals.bins] == [item.count for item in expected.bins]
    for figure in ("mean", "standard_deviation", "minimum", "quartile_1", "median", "quartile_3", "maximum"):
        assert getattr(analytics.totals, figure) == pytest.approx(getattr(expected, figure), rel=1e-9), figure
    for mean in analytics.dimension_means:
        values = np.array([item[mean.key] for item in raw["scores"].values() if item.get(mean.key) is not None])
        assert mean.n == values.size
        assert mean.mean == pytest.approx(values.mean(), rel=1e-9)
        assert mean.standard_deviation == pytest.approx(values.std(ddof=1), rel=1e-9)
    assert analytics.pass_rates == st.pass_rates(list(raw["stages"].values()))
    by_stage = {rate.stage: rate.reached for rate in analytics.pass_rates}
    assert by_stage["screening"] == 60 + CLOSED and by_stage["hired"] == 60

    for item in correlations:
        pairs = []
        for employee in raw["employees"]:
            scores = raw["scores"].get(employee.application_id, {})
            records = raw["records"].get(employee.id, [])
            assignment = next(a for a in raw["assignments"].values() if a.employee_id == employee.id)
            if scores.get(item.dimension_key) is not None and records:
                pairs.append((scores[item.dimension_key], _outcome(records, assignment, with_targets)))
        x, y = np.array(pairs).T
        assert item.pearson.n == item.spearman.n == len(pairs) == 60
        assert item.pearson.r == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9)
        assert item.pearson.p_value == pytest.approx(stats.pearsonr(x, y)[1], rel=1e-6)
        assert item.spearman.r == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-9)
        assert item.spearman.p_value == pytest.approx(stats.spearmanr(x, y)[1], rel=1e-6)
    numeracy = next(item for item in correlations if item.dimension_key == "numeracy")
    assert numeracy.pearson.r > 0.3  # planted: more numeracy, fewer errors (oriented: positive)


async def test_prediction_matches_least_squares_with_a_leverage_aware_interval():
    cohort = await build_cohort(80, seed=22)
    await _extend(cohort, seed=22)
    raw = await _raw(cohort)
    keys = ["numeracy", "service"]
    rows = []
    for employee in sorted(raw["employees"], key=lambda item: item.application_id):
        scores = raw["scores"][employee.application_id]
        rows.append([scores[key] for key in keys] + [np.mean([r.actual for r in raw["records"][employee.id]])])
    data = np.array(rows)
    x, y = data[:, :2], data[:, 2]
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    s = np.sqrt(residual @ residual / (len(y) - 3))
    inverse = np.linalg.inv(design.T @ design)

    async with read_session() as session:
        central = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 65.0, "service": 60.0}, session=session
        )
        far = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 100.0, "service": 100.0}, session=session
        )
    assert central.n == far.n == 80
    assert central.intercept == pytest.approx(beta[0], rel=1e-8)
    assert [central.coefficients[key] for key in keys] == pytest.approx(beta[1:], rel=1e-8)
    assert central.residual_sd == pytest.approx(s, rel=1e-8)
    for result, point in ((central, [1, 65.0, 60.0]), (far, [1, 100.0, 100.0])):
        point = np.array(point)
        half = stats.t.ppf(0.975, len(y) - 3) * s * np.sqrt(1 + point @ inverse @ point)
        assert result.prediction == pytest.approx(point @ beta, rel=1e-8)
        assert result.prediction_upper - result.prediction == pytest.approx(half, rel=1e-8)
    assert not central.extrapolated and far.extrapolated and "extrapolating" in far.note
    assert far.prediction_upper - far.prediction_lower > 1.1 * (central.prediction_upper - central.prediction_lower)
    assert far.leverage > central.leverage
    assert central.cv_rmse is not None and central.baseline_rmse is not None


async def test_not_enough_data_states_never_nan():
    cohort = await build_cohort(3, seed=23)
    async with read_session() as session:
        correlations = await reports.dimension_kpi_correlations(cohort.version_id, session=session)
        prediction = await reports.performance_prediction(cohort.version_id, cohort.kpi_id, None, session=session)
        empty = await reports.cohort_analytics(session=session, department="Nobody")
    assert all(not item.pearson.enough_data and "not enough data" in item.pearson.note for item in correlations)
    assert not prediction.enough_data and "n = 3" in prediction.note
    assert empty.totals.n == 0 and empty.totals.mean is None and all(rate.reached == 0 for rate in empty.pass_rates)
    assert empty.reports.count == 0 and empty.reports.ids == []


async def test_constant_scores_and_kpis_give_reasons():
    cohort = await build_cohort(30, seed=24)
    async with unit_of_work() as uow:
        for row in (await uow.session.exec(select(models.DimensionScore))).all():
            if row.dimension_id == cohort.dimension_ids["service"]:
                row.score = 50.0
                uow.session.add(row)
    async with read_session() as session:
        correlations = await reports.dimension_kpi_correlations(cohort.version_id, session=session)
        prediction = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 70.0, "service": 50.0}, session=session
        )
    service = next(item for item in correlations if item.dimension_key == "service")
    assert not service.pearson.enough_data and service.pearson.note == "no variation in one of the variables"
    assert prediction.enough_data and prediction.coefficients["service"] == pytest.approx(0.0, abs=1e-9)
    assert "no variation in service" in prediction.note and np.isfinite(prediction.prediction_upper)

    async with unit_of_work() as uow:
        for record in (await uow.session.exec(select(models.KpiRecord))).all():
            record.actual = 1.5
            uow.session.add(record)
    async with read_session() as session:
        flat = await reports.performance_prediction(cohort.version_id, cohort.kpi_id, None, session=session)
    assert not flat.enough_data and "no variation in the KPI" in flat.note


def test_prediction_interval_coverage_by_simulation():
    """Nominal 95 %: the interval must cover a new hire's KPI at least 93 % of the time, centre and edge alike."""
    from resolvers.analytics.prediction import predict_performance

    rng = np.random.default_rng(7)
    covered = {"centre": 0, "edge": 0}
    trials = 600
    for _ in range(trials):
        n = int(rng.integers(30, 120))
        x = rng.normal([65, 60], [12, 12], size=(n, 2))
        y = 2.0 - 0.03 * x[:, 0] + 0.005 * x[:, 1] + rng.normal(0, 0.4, n)
        for name, point in (("centre", [65.0, 60.0]), ("edge", [100.0, 30.0])):
            result = predict_performance(["a", "b"], x, y, {"a": point[0], "b": point[1]})
            truth = 2.0 - 0.03 * point[0] + 0.005 * point[1] + rng.normal(0, 0.4)
            covered[name] += result.prediction_lower <= truth <= result.prediction_upper
    for name, count in covered.items():
        assert count / trials >= 0.93, (name, count / trials)


async def test_percentiles_are_ranked_by_the_database_like_scipy():
    """Each scoring refreshes the requisition's standings in one UPDATE; ties share the middle (kind="mean")."""
    from scipy.stats import percentileofscore

    from resolvers.services.scoring_records import _refresh_percentiles

    cohort = await build_cohort(40, seed=25)
    async with unit_of_work() as uow:
        rows = (
            await uow.session.exec(
                select(models.InterviewReport).where(models.InterviewReport.requisition_id == cohort.requisition_id)
            )
        ).all()
        for index, report in enumerate(rows[:12]):
            report.total = 50.0 + index % 3  # ties
            uow.session.add(report)
    async with unit_of_work() as uow:
        await _refresh_percentiles(cohort.requisition_id, session=uow.session)
    async with read_session() as session:
        rows = (
            await session.exec(
                select(models.InterviewReport).where(models.InterviewReport.requisition_id == cohort.requisition_id)
            )
        ).all()
    totals = [report.total for report in rows]
    for report in rows:
        assert report.percentile == pytest.approx(percentileofscore(totals, report.total, kind="mean"), abs=0.051)
