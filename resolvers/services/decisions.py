"""The human hiring decision on an interview report, next to the AI recommendation it may override.

The AI only recommends; a person decides (PIPL art. 24). The recommendation is derived from the report,
never stored, so it always matches the report's current scores:

- none (null) when the report has insufficient evidence or no total;
- ``REJECT`` when the total is below ``REJECT_BELOW`` (40): a weak pool does not lift a weak interview;
- ``ADVANCE`` when the total is at least ``ADVANCE_FROM_TOTAL`` (70) or the percentile within the
  requisition at least ``ADVANCE_FROM_PERCENTILE`` (60);
- ``HOLD`` otherwise.

A decision that differs from the recommendation needs an override reason; with no recommendation there is
nothing to override and the reason is optional. A decision may be taken again (e.g. HOLD, later ADVANCE);
each one is audited with the previous decision.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import InterviewReport
from gateway.models.base import utcnow
from gateway.models.enums import HumanDecision
from gateway.models.events import DomainEventType
from resolvers.errors import DomainError, ErrorCode
from resolvers.services.audit import Actor, record_audit
from resolvers.services.outbox import global_id, record_event

ADVANCE_FROM_TOTAL = 70.0
ADVANCE_FROM_PERCENTILE = 60.0
REJECT_BELOW = 40.0
MAX_REASON_LENGTH = 5000


class ScoredReport(Protocol):
    """What the recommendation reads: a report row, or the GraphQL type copied from one."""

    total: float | None
    percentile: float | None
    insufficient_evidence: bool


def ai_recommendation(report: ScoredReport) -> HumanDecision | None:
    """What the scores suggest (module docstring); None with insufficient evidence."""
    if report.insufficient_evidence or report.total is None:
        return None
    if report.total < REJECT_BELOW:
        return HumanDecision.REJECT
    if report.total >= ADVANCE_FROM_TOTAL or (
        report.percentile is not None and report.percentile >= ADVANCE_FROM_PERCENTILE
    ):
        return HumanDecision.ADVANCE
    return HumanDecision.HOLD


async def decide(
    report_id: int,
    decision: HumanDecision,
    override_reason: str | None,
    *,
    session: AsyncSession,
    actor: Actor,
) -> InterviewReport:
    """Record who decided what on a report, and why where the AI recommended otherwise."""
    reason = (override_reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise DomainError.single("overrideReason", f"at most {MAX_REASON_LENGTH} characters", ErrorCode.INVALID)
    report = await session.get(InterviewReport, report_id, with_for_update=True)
    if report is None:
        raise DomainError.single("reportId", "interview report not found", ErrorCode.NOT_FOUND)
    recommendation = ai_recommendation(report)
    overrides = recommendation is not None and decision is not recommendation
    if overrides and reason is None:
        raise DomainError.single(
            "overrideReason",
            f"the AI recommends {recommendation.value.upper()}: say why you decide {decision.value.upper()}",
            ErrorCode.REQUIRED,
        )
    previous = report.human_decision
    now = utcnow()
    report.human_decision = decision
    report.override_reason = reason
    report.decided_by = actor.name[:200]
    report.decided_at = now
    report.updated_at = now
    session.add(report)
    record_audit(
        session=session,
        actor=actor,
        action="report.decide",
        entity_type="InterviewReport",
        entity_id=report.id,
        details={
            "decision": decision.value,
            "ai_recommendation": recommendation.value if recommendation else None,
            "override": overrides,
            "previous_decision": previous.value if previous else None,
        },
    )
    record_event(
        session,
        DomainEventType.REPORT_DECIDED,
        report.id,
        {
            "reportId": global_id("InterviewReport", report.id),
            "interviewId": global_id("Interview", report.interview_id),
            "decision": decision.value,
            "aiRecommendation": recommendation.value if recommendation else None,
            "overridesAi": overrides,
            "previousDecision": previous.value if previous else None,
        },
        actor=actor.name,
        requisition_id=report.requisition_id,
    )
    return report
