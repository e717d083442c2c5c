"""``AnalyticsQuery``: the analytics a bank's HR team reads (a mixin of the root ``Query``).

Unknown or malformed IDs and unusable input come back as ``errors`` in each result (like mutation
payloads); permissions are top-level errors. Statistics under the minimum sample size are null with
``enoughData: false``; score statistics over fewer candidates than ``HRGATE_ANALYTICS_MIN_GROUP_SIZE`` (5) too,
and every read of requisition or hiring analytics is audited with the reports it was computed from.

Who may read: ``requisitionAnalytics`` — report readers (hiring managers only for their requisitions);
``dimensionKpiCorrelations``, ``selectionUtility``, ``employeeAbilityPerformance``, ``performancePrediction``
and ``reweightingProposals`` — employee readers (they rest on KPI records); ``adverseImpact`` — audit
readers (HR admin, auditor), because it reads self-reported group data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from gateway import models
from gateway.db import read_session
from resolvers.analytics import reports
from resolvers.analytics.queries import ProposalFilter
from resolvers.analytics.utility_queries import UtilityScope, validate_selection_ratio
from resolvers.errors import DomainError, not_found
from schema.analytics_utility import read_selection_utilities
from schema.context import Info
from schema.enums import BusinessLine
from schema.ids import decode_id
from schema.mutations.common import UserError
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, root_connection
from schema.permissions import Resource, can_read, hiring_manager_scope
from schema.types.analytics import (
    AdverseImpactResult,
    DimensionKpiCorrelation,
    DimensionKpiCorrelationsResult,
    DimensionScoreInput,
    EmployeeAbilityPerformance,
    EmployeeAbilityPerformanceResult,
    GroupSelection,
    HiringAnalytics,
    HiringAnalyticsResult,
    PerformancePrediction,
    PerformancePredictionResult,
    RequisitionAnalytics,
    RequisitionAnalyticsResult,
    SelectionUtility,
    SelectionUtilityResult,
)
from schema.types.reweighting import ProposalStatus, ReweightingProposal

Result = TypeVar("Result")


async def run_query(operation: Callable[..., Awaitable[Result]]) -> tuple[Result | None, list[UserError]]:
    """Run a read in one short session; ``DomainError`` becomes the result's errors."""
    try:
        async with read_session() as session:
            return await operation(session), []
    except DomainError as error:
        return None, [UserError.from_field_error(field_error) for field_error in error.errors]


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="Pass rates, distribution of interview totals and dimensions over every requisition of a "
        "competency model version, department and/or business line, for applications made in a period (2026, "
        "2026-Q3, 2026-09).",
        permission_classes=can_read(Resource.REPORT),
    )
    async def hiring_analytics(
        self,
        info: Info,
        model_version_id: strawberry.ID | None = None,
        department: str | None = None,
        period: str | None = None,
        business_line: BusinessLine | None = None,
    ) -> HiringAnalyticsResult:
        subject = hiring_manager_scope(info.context.actor, Resource.REPORT)

        async def operation(session):
            version_id = (
                decode_id(model_version_id, "CompetencyModelVersion", "modelVersionId") if model_version_id else None
            )
            return await reports.cohort_analytics(
                session=session,
                model_version_id=version_id,
                department=department,
                period=period,
                hiring_manager_subject=subject,
                business_line=business_line,
                min_group_size=info.context.settings.analytics_min_group_size,
            )

        data, errors = await run_query(operation)
        if data is not None:
            await reports.record_statistics_read(
                info.context.actor,
                "hiring_analytics.read",
                entity_type="CompetencyModelVersion",
                entity_id=decode_id(model_version_id, "CompetencyModelVersion", "modelVersionId")
                if model_version_id
                else None,
                report_ids=data.reports,
                details={
                    "department": department,
                    "business_line": business_line.value if business_line else None,
                    "period": period,
                    "n": data.totals.n,
                },
            )
        return HiringAnalyticsResult(analytics=HiringAnalytics.from_data(data) if data else None, errors=errors)

    @strawberry.field(
        description="A requisition's pass rates by stage, distribution of interview totals, strongest and weakest "
        "dimensions.",
        permission_classes=can_read(Resource.REPORT),
    )
    async def requisition_analytics(self, info: Info, requisition_id: strawberry.ID) -> RequisitionAnalyticsResult:
        subject = hiring_manager_scope(info.context.actor, Resource.REPORT)

        async def operation(session):
            row_id = decode_id(requisition_id, "Requisition", "requisitionId")
            requisition = await session.get(models.Requisition, row_id)
            if requisition is None or (subject is not None and requisition.hiring_manager_subject != subject):
                raise not_found("requisitionId", "requisition")
            return await reports.requisition_analytics(
                row_id, session=session, min_group_size=info.context.settings.analytics_min_group_size
            )

        data, errors = await run_query(operation)
        if data is not None:
            await reports.record_statistics_read(
                info.context.actor,
                "requisition_analytics.read",
                entity_type="Requisition",
                entity_id=data.requisition_id,
                report_ids=data.reports,
                details={"n": data.totals.n, "withheld": not data.totals.enough_data},
            )
        return RequisitionAnalyticsResult(
            analytics=RequisitionAnalytics.from_data(data) if data else None, errors=errors
        )

    @strawberry.field(
        description="For each dimension→KPI link of a version: hires' scores against KPI results "
        "(Pearson and Spearman, n, 95 % CI, p). `period` is a prefix: 2026 or 2026-Q3; `department` is the "
        "employee's, `businessLine` the hiring requisition's. `selectionUtility` gives, "
        "per linked KPI, the gain per hire of selecting by the interview total, at `selectionRatio` (0–1] or the "
        "requisitions' own hires ÷ applicants.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def dimension_kpi_correlations(
        self,
        info: Info,
        model_version_id: strawberry.ID,
        period: str | None = None,
        department: str | None = None,
        selection_ratio: float | None = None,
        business_line: BusinessLine | None = None,
    ) -> DimensionKpiCorrelationsResult:
        async def operation(session):
            row_id = decode_id(model_version_id, "CompetencyModelVersion", "modelVersionId")
            validate_selection_ratio(selection_ratio)
            data = await reports.dimension_kpi_correlations(
                row_id, session=session, period=period, department=department, business_line=business_line
            )
            return data, UtilityScope(row_id, None, selection_ratio, period, department, business_line)

        answer, errors = await run_query(operation)
        data, scope = answer if answer is not None else (None, None)
        return DimensionKpiCorrelationsResult(
            correlations=[DimensionKpiCorrelation.from_data(item) for item in data] if data is not None else None,
            errors=errors,
            utility_scope=scope,
        )

    @strawberry.field(
        description="The expected gain per hire on a KPI of selecting by the interview total instead of at random "
        "(Brogden–Cronbach–Gleser, with the validity's 95 % interval), at `selectionRatio` (0–1] or the version's "
        "requisitions' hires ÷ applicants with a scored interview; in words, English and Chinese.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def selection_utility(
        self,
        info: Info,
        model_version_id: strawberry.ID,
        kpi_id: strawberry.ID,
        selection_ratio: float | None = None,
        period: str | None = None,
        department: str | None = None,
        business_line: BusinessLine | None = None,
    ) -> SelectionUtilityResult:
        try:
            scope = UtilityScope(
                decode_id(model_version_id, "CompetencyModelVersion", "modelVersionId"),
                decode_id(kpi_id, "KpiDefinition", "kpiId"),
                selection_ratio,
                period,
                department,
                business_line,
            )
        except DomainError as error:
            return SelectionUtilityResult(errors=[UserError.from_field_error(item) for item in error.errors])
        answer, errors = await read_selection_utilities(info, scope)
        utility = answer.utilities[0] if answer is not None and answer.utilities else None
        return SelectionUtilityResult(
            utility=SelectionUtility.from_data(utility) if utility is not None else None, errors=errors
        )

    @strawberry.field(
        description="An employee's interview dimension scores beside their KPI results, with gaps flagged.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def employee_ability_performance(
        self, info: Info, employee_id: strawberry.ID, period: str | None = None
    ) -> EmployeeAbilityPerformanceResult:
        async def operation(session):
            row_id = decode_id(employee_id, "Employee", "employeeId")
            return await reports.employee_ability_performance(row_id, session=session, period=period)

        data, errors = await run_query(operation)
        if data is not None and data.report_id is not None:
            await info.context.audit_read("InterviewReport", data.report_id)
        return EmployeeAbilityPerformanceResult(
            ability_performance=EmployeeAbilityPerformance.from_data(data) if data else None, errors=errors
        )

    @strawberry.field(
        description="Regression from a version's dimension scores to a KPI over past hires (cross-validated "
        "against the mean); with `dimensionScores`, a new candidate's predicted KPI and its 95 % interval. "
        "`department` (the employee's) and `businessLine` (the hiring requisition's) narrow the hires.",
        permission_classes=can_read(Resource.EMPLOYEE),
    )
    async def performance_prediction(
        self,
        info: Info,
        model_version_id: strawberry.ID,
        kpi_id: strawberry.ID,
        dimension_scores: list[DimensionScoreInput] | None = None,
        period: str | None = None,
        department: str | None = None,
        business_line: BusinessLine | None = None,
    ) -> PerformancePredictionResult:
        async def operation(session):
            version_id = decode_id(model_version_id, "CompetencyModelVersion", "modelVersionId")
            kpi_row_id = decode_id(kpi_id, "KpiDefinition", "kpiId")
            scores = (
                {item.dimension_key: item.score for item in dimension_scores} if dimension_scores is not None else None
            )
            return await reports.performance_prediction(
                version_id,
                kpi_row_id,
                scores,
                session=session,
                period=period,
                department=department,
                business_line=business_line,
            )

        data, errors = await run_query(operation)
        return PerformancePredictionResult(
            prediction=PerformancePrediction.from_data(data) if data else None, errors=errors
        )

    @strawberry.field(
        description="Selection rate and impact ratio by self-reported group and by pairs of groups; flagged under "
        "four fifths. Selected = reached `selectedStage` (default second_interview: passed the AI interview).",
        permission_classes=can_read(Resource.AUDIT),
    )
    async def adverse_impact(
        self,
        info: Info,
        requisition_id: strawberry.ID,
        group_keys: list[str],
        selected_stage: str = "second_interview",
    ) -> AdverseImpactResult:
        async def operation(session):
            row_id = decode_id(requisition_id, "Requisition", "requisitionId")
            return await reports.adverse_impact(
                row_id,
                group_keys,
                session=session,
                selected_stage=selected_stage,
                min_group_size=info.context.settings.analytics_min_group_size,
            )

        data, errors = await run_query(operation)
        return AdverseImpactResult(
            groups=[GroupSelection(**item.__dict__) for item in data] if data is not None else None, errors=errors
        )

    @strawberry.field(
        description="Re-weighting proposals, oldest first.", permission_classes=can_read(Resource.EMPLOYEE)
    )
    async def reweighting_proposals(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        status: ProposalStatus | None = None,
    ) -> Connection[ReweightingProposal]:
        return await root_connection(
            info,
            models.ReweightingProposal,
            ReweightingProposal.from_row,
            first=first,
            after=after,
            row_filter=ProposalFilter(status=status),
        )
