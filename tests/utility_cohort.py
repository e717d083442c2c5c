"""A planted cohort for selection utility: scored applicants, some hired, two KPIs, and the traps around them.

On top of ``tests.analytics_cohort``'s model version, requisition and error-rate KPI (lower is better): a
sales KPI (higher is better) linked to ``service``; ``applicants`` scored applications of which the first
``hires`` are hired; hires' KPI results planted against their interview totals. The traps: re-interviews whose
older report must not count, latest reports without a total (not scored), hires without KPI records, records
outside the period, and another version's requisition writing to the same KPI. The arrays a test needs for an
independent computation come back with the cohort.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from gateway import models
from gateway.db import unit_of_work
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, BusinessLine, KpiDirection, PeriodKind
from tests.analytics_cohort import Cohort, build_cohort

SALES_VALIDITY = 0.5
ERROR_VALIDITY = 0.4


@dataclass
class UtilityCohort:
    base: Cohort
    sales_kpi_id: int
    wide_kpi_id: int
    """Balances of about 10⁹ ± 40: raw sums of squares lose the spread (the centred second pass)."""
    totals: np.ndarray
    """The latest interview total of each hire with KPI results, in the order below."""
    sales: np.ndarray
    error_rate: np.ndarray
    balance: np.ndarray
    applicants: int
    """Applications to the version's requisition whose latest report has a total."""
    hires: int
    """Of those, the hired."""


def _token() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


async def build_utility_cohort(hires: int = 150, applicants: int = 1000, *, seed: int = 5) -> UtilityCohort:
    rng = np.random.default_rng(seed)
    base = await build_cohort(0, seed=seed)
    other = await build_cohort(0, seed=seed + 1)
    totals = np.round(np.clip(rng.normal(60, 12, applicants), 0, 100), 3)
    z = (totals - 60) / 12
    sales_true = 20 + 4 * (SALES_VALIDITY * z + math.sqrt(1 - SALES_VALIDITY**2) * rng.normal(0, 1, applicants))
    error_true = 2.0 - 0.4 * (ERROR_VALIDITY * z + math.sqrt(1 - ERROR_VALIDITY**2) * rng.normal(0, 1, applicants))
    balance_true = 1e9 + 40 * (0.3 * z + math.sqrt(1 - 0.09) * rng.normal(0, 1, applicants))
    quarter_noise = rng.normal(0, 1, (applicants + 20, 2))
    unscored_latest = {hires - 1, hires + 3, hires + 4}  # latest report without a total: not scored
    reinterviewed = set(range(0, applicants, 7))  # an older report with another total: ignored
    without_records = {1, 2, 3, 4, 5}  # hires without KPI records: hires, but not in the validity
    kept: list[int] = []
    async with unit_of_work() as uow:
        session = uow.session
        sales = models.KpiDefinition(
            key=f"sales_{seed}",
            name_zh="月销售笔数",
            name_en="Monthly sales",
            unit="sales",
            direction=KpiDirection.HIGHER_IS_BETTER,
            period_kind=PeriodKind.QUARTER,
        )
        wide = models.KpiDefinition(
            key=f"balance_{seed}",
            name_zh="存款余额",
            name_en="Deposit balance",
            unit="CNY",
            direction=KpiDirection.HIGHER_IS_BETTER,
            period_kind=PeriodKind.QUARTER,
        )
        session.add_all([sales, wide])
        await session.flush()
        session.add(models.DimensionKpiLink(dimension_id=base.dimension_ids["service"], kpi_id=sales.id))
        other_requisition = models.Requisition(
            title="Teller elsewhere",
            department="Retail Ops",
            business_line=BusinessLine.RETAIL,
            headcount=10,
            competency_model_version_id=other.version_id,
        )
        session.add(other_requisition)
        await session.flush()

        # (index, requisition, hired, report totals oldest first, KPI values by KPI id or None)
        people: list[tuple[int, int, bool, list[float | None], dict[int, float] | None]] = []
        for index in range(applicants):
            hired = index < hires
            total = None if index in unscored_latest else float(totals[index])
            older: list[float | None] = [99.0 - total if total is not None else 50.0] if index in reinterviewed else []
            values = {sales.id: sales_true[index], base.kpi_id: error_true[index], wide.id: balance_true[index]}
            people.append((index, base.requisition_id, hired, [*older, total], values if hired else None))
            if hired and total is not None and index not in without_records:
                kept.append(index)
        # Another version's hires on the same KPIs, far off the planted line: never counted.
        for index in range(applicants, applicants + 20):
            values = {sales.id: -500.0, base.kpi_id: 90.0, wide.id: 0.0}
            people.append((index, other_requisition.id, True, [95.0], values))

        async def added(rows: list) -> list:
            session.add_all(rows)
            await session.flush()
            return rows

        candidates = await added(
            [models.Candidate(full_name=f"U{person[0]}", email=f"u{seed}-{person[0]}@example.com") for person in people]
        )
        applications = await added(
            [
                models.Application(
                    candidate_id=candidate.id,
                    requisition_id=requisition_id,
                    stage=ApplicationStage.HIRED if hired else ApplicationStage.REJECTED,
                )
                for candidate, (_, requisition_id, hired, _, _) in zip(candidates, people, strict=True)
            ]
        )
        older_batch = [(a, p[1], p[3][0]) for a, p in zip(applications, people, strict=True) if len(p[3]) > 1]
        latest_batch = [(a, p[1], p[3][-1]) for a, p in zip(applications, people, strict=True)]
        for batch in (older_batch, latest_batch):  # the older reports first: lower ids
            interviews = await added(
                [
                    models.Interview(
                        application_id=application.id, token_hash=_token(), expires_at=utcnow() + timedelta(days=3)
                    )
                    for application, _, _ in batch
                ]
            )
            await added(
                [
                    models.InterviewReport(
                        interview_id=interview.id, requisition_id=requisition_id, total=total, pipeline_version="p2"
                    )
                    for interview, (_, requisition_id, total) in zip(interviews, batch, strict=True)
                ]
            )
        hired_people = [
            (application, person) for application, person in zip(applications, people, strict=True) if person[4]
        ]
        employees = await added(
            [
                models.Employee(
                    candidate_id=application.candidate_id,
                    application_id=application.id,
                    employee_number=f"U{seed}-{application.id}",
                    full_name=f"U{person[0]}",
                    department="Retail Ops",
                    position_title="Teller",
                    start_date=date(2025, 10, 1),
                )
                for application, person in hired_people
            ]
        )
        measured = [
            (employee, person[0], kpi_id, value)
            for employee, (_, person) in zip(employees, hired_people, strict=True)
            if person[0] not in without_records
            for kpi_id, value in (person[4] or {}).items()
        ]
        assignments = await added(
            [models.KpiAssignment(employee_id=employee.id, kpi_id=kpi_id) for employee, _, kpi_id, _ in measured]
        )
        records = []
        for assignment, (_, index, kpi_id, value) in zip(assignments, measured, strict=True):
            spread = 0.1 if kpi_id == base.kpi_id else 1.0
            for period, column in (("2026-Q1", 0), ("2026-Q2", 1)):
                actual = float(value + spread * quarter_noise[index, column])
                records.append(models.KpiRecord(assignment_id=assignment.id, period=period, actual=actual))
            # Before the period asked for: never part of a 2026 result.
            records.append(models.KpiRecord(assignment_id=assignment.id, period="2025-Q4", actual=float(value) * 50))
        await added(records)

    def period_mean(values: np.ndarray, spread: float) -> np.ndarray:
        first = values[kept] + spread * quarter_noise[kept, 0]
        second = values[kept] + spread * quarter_noise[kept, 1]
        return (first + second) / 2

    scored = [index for index in range(applicants) if index not in unscored_latest]
    return UtilityCohort(
        base=base,
        sales_kpi_id=sales.id,
        wide_kpi_id=wide.id,
        totals=totals[kept],
        sales=period_mean(sales_true, 1.0),
        error_rate=period_mean(error_true, 0.1),
        balance=period_mean(balance_true, 1.0),
        applicants=len(scored),
        hires=sum(1 for index in scored if index < hires),
    )
