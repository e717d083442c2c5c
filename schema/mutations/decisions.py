"""HR's hiring decision on an interview report: ``interviewReportDecide``.

``DecisionMutations`` joins the root ``Mutation``. The recommendation rule and the override-reason rule
are in ``resolvers.services.decisions``.
"""

from __future__ import annotations

import strawberry

from resolvers.services import decisions as decision_service
from schema.context import Info
from schema.enums import HumanDecision
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.permissions import Action, can_write
from schema.types.interview import InterviewReport


@strawberry.input
class InterviewReportDecideInput:
    report_id: strawberry.ID
    decision: HumanDecision
    override_reason: str | None = strawberry.field(
        default=None,
        description="Required when the decision differs from the report's aiRecommendation (≤ 5,000 characters).",
    )


@strawberry.type
class InterviewReportDecidePayload:
    report: InterviewReport | None = None
    errors: list[UserError]


@strawberry.type
class DecisionMutations:
    @strawberry.mutation(
        description="HR: record the hiring decision on an interview report (audited); overriding the AI "
        "recommendation needs a reason.",
        permission_classes=can_write(Action.DECISION),
    )
    async def interview_report_decide(
        self, info: Info, input: InterviewReportDecideInput
    ) -> InterviewReportDecidePayload:
        async def operation(uow):
            report_id = decode_id(input.report_id, "InterviewReport", "reportId")
            return await decision_service.decide(
                report_id, input.decision, input.override_reason, session=uow.session, actor=info.context.actor
            )

        report, errors = await run_mutation(operation)
        return InterviewReportDecidePayload(report=InterviewReport.from_optional_row(report), errors=errors)
