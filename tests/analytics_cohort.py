"""A synthetic bank cohort with a planted truth, written straight into the real tables (fast, no GraphQL).

``numeracy`` drives the KPI ``error_rate`` (lower is better); ``service`` is noise for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from gateway import models
from gateway.db import unit_of_work
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, BusinessLine, KpiDirection, PeriodKind

PLANTED_R = 0.6


@dataclass
class Cohort:
    model_id: int
    version_id: int
    requisition_id: int
    kpi_id: int
    dimension_ids: dict[str, int]
    candidate_ids: list[int] = field(default_factory=list)
    application_ids: list[int] = field(default_factory=list)
    employee_ids: list[int] = field(default_factory=list)


async def build_cohort(hires: int = 120, *, seed: int = 0, with_targets: bool = True) -> Cohort:
    """``hires`` hired applicants, each with a scored report, an employee and two quarters of error rate."""
    rng = np.random.default_rng(seed)
    async with unit_of_work() as uow:
        session = uow.session
        model = models.CompetencyModel(key=f"teller_{seed}", name_zh="柜员", name_en="Teller")
        session.add(model)
        await session.flush()
        version = models.CompetencyModelVersion(model_id=model.id, version=1, frozen_at=utcnow())
        session.add(version)
        await session.flush()
        dimensions = {}
        for position, (key, name, weight) in enumerate([("numeracy", "Numeracy", 0.3), ("service", "Service", 0.7)]):
            dimension = models.Dimension(
                model_version_id=version.id, key=key, name_zh=name, name_en=name, weight=weight, position=position
            )
            session.add(dimension)
            await session.flush()
            dimensions[key] = dimension.id
            session.add(
                models.Question(
                    dimension_id=dimension.id,
                    prompt_zh=f"{name} 问题",
                    prompt_en=f"{name} question",
                    rubric_keywords=["recount|重新清点"],
                    excellent_answers=["I recount the cash."],
                )
            )
        kpi = models.KpiDefinition(
            key=f"error_rate_{seed}",
            name_zh="差错率",
            name_en="Error rate",
            unit="%",
            direction=KpiDirection.LOWER_IS_BETTER,
            period_kind=PeriodKind.QUARTER,
        )
        session.add(kpi)
        await session.flush()
        for dimension_id in dimensions.values():
            session.add(models.DimensionKpiLink(dimension_id=dimension_id, kpi_id=kpi.id))
        requisition = models.Requisition(
            title="Teller",
            department="Retail Ops",
            business_line=BusinessLine.RETAIL,
            headcount=hires,
            competency_model_version_id=version.id,
        )
        session.add(requisition)
        await session.flush()
        cohort = Cohort(model.id, version.id, requisition.id, kpi.id, dimensions)
        numeracy = np.clip(rng.normal(65, 12, hires), 0, 100)
        service = np.clip(rng.normal(60, 12, hires), 0, 100)
        z = (numeracy - 65) / 12
        # Error rate (%) falls as numeracy rises: corr(numeracy, −error rate) ≈ PLANTED_R.
        error_rate = 2.0 - 0.5 * (PLANTED_R * z + math.sqrt(1 - PLANTED_R**2) * rng.normal(0, 1, hires))
        for index in range(hires):
            candidate = models.Candidate(full_name=f"Hire {index}", email=f"hire{seed}-{index}@example.com")
            session.add(candidate)
            await session.flush()
            application = models.Application(
                candidate_id=candidate.id, requisition_id=requisition.id, stage=ApplicationStage.HIRED
            )
            session.add(application)
            await session.flush()
            interview = models.Interview(
                application_id=application.id,
                token_hash=f"{seed:04d}{index:060d}",
                expires_at=utcnow() + timedelta(days=3),
            )
            session.add(interview)
            await session.flush()
            report = models.InterviewReport(
                interview_id=interview.id,
                requisition_id=requisition.id,
                total=float(0.3 * numeracy[index] + 0.7 * service[index]),
                pipeline_version="p2",
            )
            session.add(report)
            await session.flush()
            for key, values in (("numeracy", numeracy), ("service", service)):
                session.add(
                    models.DimensionScore(
                        report_id=report.id,
                        dimension_id=dimensions[key],
                        pipeline_version="p2",
                        score=float(values[index]),
                    )
                )
                # A stale score from an older pipeline run must be ignored.
                session.add(
                    models.DimensionScore(
                        report_id=report.id, dimension_id=dimensions[key], pipeline_version="p1", score=0.0
                    )
                )
            employee = models.Employee(
                candidate_id=candidate.id,
                application_id=application.id,
                employee_number=f"E{seed}-{index}",
                full_name=f"Hire {index}",
                department="Retail Ops",
                position_title="Teller",
                start_date=date(2026, 1, 1),
            )
            session.add(employee)
            await session.flush()
            assignment = models.KpiAssignment(
                employee_id=employee.id,
                kpi_id=kpi.id,
                dimension_id=dimensions["numeracy"],
                target=2.0 if with_targets else None,
            )
            session.add(assignment)
            await session.flush()
            for period in ("2026-Q1", "2026-Q2"):
                session.add(
                    models.KpiRecord(
                        assignment_id=assignment.id,
                        period=period,
                        target=2.0 if with_targets else None,
                        actual=float(max(error_rate[index], 0.05)),
                    )
                )
            cohort.candidate_ids.append(candidate.id)
            cohort.application_ids.append(application.id)
            cohort.employee_ids.append(employee.id)
        await session.flush()
    return cohort


@dataclass
class PlantedCohort:
    """The issue-11 check: KPI X (sales) driven by A, B pure noise on X, KPI Y (errors, lower is better) driven by C."""

    version_id: int
    requisition_id: int
    kpi_ids: dict[str, int]
    dimension_ids: dict[str, int]


PLANTED_DIMENSIONS = (("a", "Sales drive", 0.3), ("b", "B", 0.4), ("c", "Risk awareness", 0.3))


async def build_planted_cohort(
    applications: int = 250,
    hires: int = 100,
    *,
    seed: int = 62,
    r_a: float = 0.6,
    r_c: float = 0.45,
    constant_c: bool = False,
    extra_kpi_without_actuals: bool = False,
) -> PlantedCohort:
    """``applications`` scored applicants to one requisition, the first ``hires`` hired with one quarter of KPIs.

    Sales = 100 + 20·(r_a·z_A + √(1−r_a²)·ε); errors per quarter fall as C rises (corr(C, −errors) ≈ r_c);
    B is drawn independently of both (with the default seed its sample r on sales is 0.14, as in the issue:
    positive, yet its interval includes 0). ``constant_c`` gives every applicant the same C score;
    ``extra_kpi_without_actuals`` links C to a third KPI no one has results on.
    """
    rng = np.random.default_rng(seed)
    async with unit_of_work() as uow:
        session = uow.session
        model = models.CompetencyModel(key=f"planted_{seed}", name_zh="客户经理", name_en="Relationship manager")
        session.add(model)
        await session.flush()
        version = models.CompetencyModelVersion(model_id=model.id, version=1, frozen_at=utcnow())
        session.add(version)
        await session.flush()
        dimension_ids = {}
        for position, (key, name, weight) in enumerate(PLANTED_DIMENSIONS):
            dimension = models.Dimension(
                model_version_id=version.id, key=key, name_zh=name, name_en=name, weight=weight, position=position
            )
            session.add(dimension)
            await session.flush()
            dimension_ids[key] = dimension.id
            session.add(
                models.Question(
                    dimension_id=dimension.id,
                    prompt_zh=f"{name} 问题",
                    prompt_en=f"{name} question",
                    rubric_keywords=["client"],
                    excellent_answers=["I call the client back."],
                )
            )
        kpis = {
            "x": models.KpiDefinition(
                key=f"loop_x_sales_{seed}",
                name_zh="销售额",
                name_en="Sales",
                unit="CNY 10k",
                direction=KpiDirection.HIGHER_IS_BETTER,
                period_kind=PeriodKind.QUARTER,
            ),
            "y": models.KpiDefinition(
                key=f"loop_y_errors_p1_{seed}",
                name_zh="差错",
                name_en="Errors",
                unit="errors",
                direction=KpiDirection.LOWER_IS_BETTER,
                period_kind=PeriodKind.QUARTER,
            ),
        }
        if extra_kpi_without_actuals:
            kpis["z"] = models.KpiDefinition(
                key=f"loop_z_complaints_{seed}",
                name_zh="投诉",
                name_en="Complaints",
                unit="complaints",
                direction=KpiDirection.LOWER_IS_BETTER,
                period_kind=PeriodKind.QUARTER,
            )
        for kpi in kpis.values():
            session.add(kpi)
        await session.flush()
        links = [("a", "x"), ("b", "x"), ("c", "y")] + ([("c", "z")] if extra_kpi_without_actuals else [])
        for dimension_key, kpi_key in links:
            session.add(models.DimensionKpiLink(dimension_id=dimension_ids[dimension_key], kpi_id=kpis[kpi_key].id))
        requisition = models.Requisition(
            title="Relationship manager",
            department="Retail",
            business_line=BusinessLine.RETAIL,
            headcount=hires,
            competency_model_version_id=version.id,
        )
        session.add(requisition)
        await session.flush()
        scores = {key: np.clip(rng.normal(62, 12, applications), 0, 100) for key in ("a", "b", "c")}
        if constant_c:
            scores["c"] = np.full(applications, 60.0)
        z_a = (scores["a"] - scores["a"].mean()) / scores["a"].std()
        z_c = (scores["c"] - scores["c"].mean()) / (scores["c"].std() or 1.0)
        sales = 100 + 20 * (r_a * z_a + math.sqrt(1 - r_a**2) * rng.normal(0, 1, applications))
        errors = np.maximum(6 - 2 * (r_c * z_c + math.sqrt(1 - r_c**2) * rng.normal(0, 1, applications)), 0)
        for index in range(applications):
            hired = index < hires
            candidate = models.Candidate(full_name=f"Applicant {index}", email=f"planted{seed}-{index}@example.com")
            session.add(candidate)
            await session.flush()
            application = models.Application(
                candidate_id=candidate.id,
                requisition_id=requisition.id,
                stage=ApplicationStage.HIRED if hired else ApplicationStage.REJECTED,
            )
            session.add(application)
            await session.flush()
            interview = models.Interview(
                application_id=application.id,
                token_hash=f"p{seed:03d}{index:060d}",
                expires_at=utcnow() + timedelta(days=3),
            )
            session.add(interview)
            await session.flush()
            total = float(sum(weight * scores[key][index] for key, _, weight in PLANTED_DIMENSIONS))
            report = models.InterviewReport(
                interview_id=interview.id, requisition_id=requisition.id, total=total, pipeline_version="p2"
            )
            session.add(report)
            await session.flush()
            for key in scores:
                session.add(
                    models.DimensionScore(
                        report_id=report.id,
                        dimension_id=dimension_ids[key],
                        pipeline_version="p2",
                        score=float(scores[key][index]),
                    )
                )
            if not hired:
                continue
            employee = models.Employee(
                candidate_id=candidate.id,
                application_id=application.id,
                employee_number=f"P{seed}-{index}",
                full_name=f"Applicant {index}",
                department="Retail",
                position_title="Relationship manager",
                start_date=date(2026, 1, 1),
            )
            session.add(employee)
            await session.flush()
            for kpi_key, values in (("x", sales), ("y", errors)):
                assignment = models.KpiAssignment(employee_id=employee.id, kpi_id=kpis[kpi_key].id)
                session.add(assignment)
                await session.flush()
                session.add(
                    models.KpiRecord(assignment_id=assignment.id, period="2026-Q1", actual=float(values[index]))
                )
        await session.flush()
    return PlantedCohort(version.id, requisition.id, {key: kpi.id for key, kpi in kpis.items()}, dimension_ids)
