"""Analytics past asyncpg's 32,767 query arguments: no id list may travel as query parameters.

Issue 11: with more applications than that, ``hiringAnalytics`` failed ("the number of query arguments
cannot exceed 32767") because every application id went into one ``IN (...)`` list, and correlations and
prediction did the same with the hires. The cohort is written with ``INSERT … SELECT`` (seconds, not
minutes), on top of ``tests.analytics_cohort``'s model version, requisition and KPI.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import col

from gateway import models
from gateway.db import unit_of_work
from gateway.models.counting import recount_all
from gateway.models.enums import ApplicationStage, InterviewStatus
from tests.analytics_cohort import Cohort, build_cohort
from tests.db_helpers import global_id

ASYNC_PG_ARGUMENT_LIMIT = 32_767
BULK_APPLICATIONS = ASYNC_PG_ARGUMENT_LIMIT + 233
PLANTED_HIRES = 40
CANDIDATE_BATCH = 5_000
BULK_AT = datetime(2026, 3, 1, tzinfo=UTC)


def _text(prefix: str, column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.literal(prefix) + sa.cast(column, sa.String)


def _pseudo_score(column: sa.ColumnElement, multiplier: int) -> sa.ColumnElement:
    """A spread-out score 0–100 computed in SQL from an id (the same on SQLite and PostgreSQL)."""
    return sa.cast((column * multiplier) % 101, sa.Float)


async def build_bulk_cohort(applications: int) -> Cohort:
    """``tests.analytics_cohort`` plus ``applications`` hired applicants with a report, scores and a KPI record.

    Candidates go in as batches of rows; every other table is filled from the one before by
    ``INSERT … SELECT``, so no statement carries more than a few thousand parameters.
    """
    cohort = await build_cohort(PLANTED_HIRES, seed=11)
    async with unit_of_work() as uow:
        connection = await uow.session.connection()
        for start in range(0, applications, CANDIDATE_BATCH):
            await connection.execute(
                sa.insert(models.Candidate.__table__),
                [
                    {"full_name": f"Bulk {index}", "email": f"bulk-{index}@example.com", "created_at": BULK_AT}
                    for index in range(start, min(start + CANDIDATE_BATCH, applications))
                ],
            )
        candidate = models.Candidate.__table__.c
        application = models.Application.__table__.c
        interview = models.Interview.__table__.c
        report = models.InterviewReport.__table__.c
        employee = models.Employee.__table__.c
        assignment = models.KpiAssignment.__table__.c
        bulk_candidates = sa.select(candidate.id).where(col(candidate.email).like("bulk-%")).subquery()
        statements = [
            sa.insert(models.Application.__table__).from_select(
                ["candidate_id", "requisition_id", "stage", "created_at", "updated_at"],
                sa.select(
                    bulk_candidates.c.id,
                    sa.literal(cohort.requisition_id),
                    sa.literal(ApplicationStage.HIRED.value),
                    sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                ),
            ),
        ]
        bulk_applications = (
            sa.select(application.id, application.candidate_id)
            .join(bulk_candidates, bulk_candidates.c.id == application.candidate_id)
            .subquery()
        )
        statements.append(
            sa.insert(models.Interview.__table__).from_select(
                ["application_id", "token_hash", "expires_at", "status", "created_at", "scoring_attempts"],
                sa.select(
                    bulk_applications.c.id,
                    _text("bulk-", bulk_applications.c.id),
                    sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    sa.literal(InterviewStatus.SCORED.value),
                    sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    sa.literal(1),
                ),
            )
        )
        await _run(connection, statements)
        bulk_interviews = (
            sa.select(interview.id, interview.application_id)
            .join(bulk_applications, bulk_applications.c.id == interview.application_id)
            .subquery()
        )
        empty = sa.literal([], sa.JSON)
        await _run(
            connection,
            [
                sa.insert(models.InterviewReport.__table__).from_select(
                    [
                        "interview_id",
                        "requisition_id",
                        "total",
                        "insufficient_evidence",
                        "strengths",
                        "weaknesses",
                        "tags",
                        "radar",
                        "models",
                        "pipeline_version",
                        "created_at",
                        "updated_at",
                    ],
                    sa.select(
                        bulk_interviews.c.id,
                        sa.literal(cohort.requisition_id),
                        _pseudo_score(bulk_interviews.c.application_id, 7919),
                        sa.false(),
                        empty,
                        empty,
                        empty,
                        empty,
                        sa.literal({}, sa.JSON),
                        sa.literal("p2"),
                        sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                        sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    ),
                )
            ],
        )
        bulk_reports = (
            sa.select(report.id, bulk_interviews.c.application_id)
            .join(bulk_interviews, bulk_interviews.c.id == report.interview_id)
            .subquery()
        )
        await _run(
            connection,
            [
                sa.insert(models.DimensionScore.__table__).from_select(
                    ["report_id", "dimension_id", "pipeline_version", "score", "confidence", "evidence"],
                    sa.select(
                        bulk_reports.c.id,
                        sa.literal(dimension_id),
                        sa.literal("p2"),
                        _pseudo_score(bulk_reports.c.application_id, multiplier),
                        sa.literal(0.8),
                        empty,
                    ),
                )
                for dimension_id, multiplier in zip(cohort.dimension_ids.values(), (7919, 6007), strict=True)
            ]
            + [
                sa.insert(models.Employee.__table__).from_select(
                    [
                        "candidate_id",
                        "application_id",
                        "employee_number",
                        "full_name",
                        "department",
                        "position_title",
                        "start_date",
                        "hired_at",
                    ],
                    sa.select(
                        bulk_applications.c.candidate_id,
                        bulk_applications.c.id,
                        _text("B", bulk_applications.c.id),
                        sa.literal("Bulk hire"),
                        sa.literal("Retail Ops"),
                        sa.literal("Teller"),
                        sa.literal(date(2026, 1, 1), sa.Date),
                        sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    ),
                )
            ],
        )
        bulk_employees = (
            sa.select(employee.id, employee.application_id)
            .join(bulk_applications, bulk_applications.c.id == employee.application_id)
            .subquery()
        )
        await _run(
            connection,
            [
                sa.insert(models.KpiAssignment.__table__).from_select(
                    ["employee_id", "kpi_id", "dimension_id", "target", "assigned_at"],
                    sa.select(
                        bulk_employees.c.id,
                        sa.literal(cohort.kpi_id),
                        sa.literal(cohort.dimension_ids["numeracy"]),
                        sa.literal(2.0),
                        sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    ),
                )
            ],
        )
        bulk_assignments = (
            sa.select(assignment.id, bulk_employees.c.application_id)
            .join(bulk_employees, bulk_employees.c.id == assignment.employee_id)
            .subquery()
        )
        # Error rate falls as numeracy (multiplier 7919) rises, with noise: a real, imperfect correlation.
        error_rate = (
            3.0
            - _pseudo_score(bulk_assignments.c.application_id, 7919) / 50.0
            + sa.cast((bulk_assignments.c.application_id * 31) % 17, sa.Float) / 10.0
        )
        await _run(
            connection,
            [
                sa.insert(models.KpiRecord.__table__).from_select(
                    ["assignment_id", "period", "target", "actual", "recorded_at"],
                    sa.select(
                        bulk_assignments.c.id,
                        sa.literal("2026-Q1"),
                        sa.literal(2.0),
                        error_rate,
                        sa.literal(BULK_AT, sa.DateTime(timezone=True)),
                    ),
                )
            ],
        )
        # Core inserts bypass the ORM flush hooks that keep the analytics counting columns.
        await recount_all(connection)
    async with unit_of_work() as uow:
        connection = await uow.session.connection()
        if connection.dialect.name == "postgresql":
            # Autovacuum would analyze the new rows within a minute; without statistics the planner takes
            # the tables as nearly empty and joins them by nested loops.
            await connection.execute(sa.text("ANALYZE"))
    return cohort


async def _run(connection, statements) -> None:
    for statement in statements:
        await connection.execute(statement)


QUERIES = {
    "hiringAnalytics": """query($version: ID) { hiringAnalytics(modelVersionId: $version) {
        analytics { applicationCount requisitionCount totals { n median } passRates { stage reached }
                    strongestDimensions { dimensionKey mean n } }
        errors { field code message } } }""",
    "requisitionAnalytics": """query($requisition: ID!) { requisitionAnalytics(requisitionId: $requisition) {
        analytics { totals { n mean } passRates { stage reached } strongestDimensions { dimensionKey n } }
        errors { field code message } } }""",
    "dimensionKpiCorrelations": """query($version: ID!) { dimensionKpiCorrelations(modelVersionId: $version) {
        correlations { dimensionKey kpiKey pearson { n r enoughData } spearman { n r } }
        errors { field code message } } }""",
    "performancePrediction": """query($version: ID!, $kpi: ID!, $scores: [DimensionScoreInput!]) {
        performancePrediction(modelVersionId: $version, kpiId: $kpi, dimensionScores: $scores) {
        prediction { n enoughData prediction coefficients { dimensionKey coefficient } }
        errors { field code message } } }""",
}


async def test_analytics_answer_past_the_query_argument_limit(gql):
    started = time.perf_counter()
    cohort = await build_bulk_cohort(BULK_APPLICATIONS)
    print(
        f"\ncohort of {BULK_APPLICATIONS + PLANTED_HIRES} applications written in {time.perf_counter() - started:.1f} s"
    )
    total = BULK_APPLICATIONS + PLANTED_HIRES
    assert total > ASYNC_PG_ARGUMENT_LIMIT
    variables = {
        "version": global_id("CompetencyModelVersion", cohort.version_id),
        "requisition": global_id("Requisition", cohort.requisition_id),
        "kpi": global_id("KpiDefinition", cohort.kpi_id),
        "scores": [{"dimensionKey": "numeracy", "score": 70.0}, {"dimensionKey": "service", "score": 50.0}],
    }
    answers = {}
    for name, query in QUERIES.items():
        started = time.perf_counter()
        answers[name] = (await gql(query, **variables))[name]
        print(f"{name}: {time.perf_counter() - started:.2f} s")
        assert answers[name]["errors"] == [], answers[name]["errors"]

    cohort_figures = answers["hiringAnalytics"]["analytics"]
    assert cohort_figures["applicationCount"] == total and cohort_figures["totals"]["n"] == total
    assert {rate["stage"]: rate["reached"] for rate in cohort_figures["passRates"]}["hired"] == total
    assert all(item["n"] == total for item in cohort_figures["strongestDimensions"])
    requisition = answers["requisitionAnalytics"]["analytics"]
    assert requisition["totals"]["n"] == total
    assert cohort_figures["totals"]["median"] is not None and requisition["totals"]["mean"] is not None
    correlations = {item["dimensionKey"]: item for item in answers["dimensionKpiCorrelations"]["correlations"]}
    assert correlations["numeracy"]["pearson"]["n"] == total and correlations["numeracy"]["pearson"]["r"] > 0.5
    assert correlations["numeracy"]["spearman"]["n"] == total
    prediction = answers["performancePrediction"]["prediction"]
    assert prediction["enoughData"] and prediction["n"] == total and prediction["prediction"] is not None
