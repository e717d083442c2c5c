"""Re-weighting proposals (measured predictive validity → new weights) and candidates' self-reported groups.

A proposal is computed from hires' interview scores against the KPIs linked to each dimension of a
competency model version (``resolvers.analytics``). Applying it creates a NEW version through
``resolvers.services.competency.create_version`` (questions, KPI links and KPI priorities copied, weights
proposed); requisitions keep the version they pinned. Applying an applied proposal again is an idempotent
replay: it returns the version created the first time and writes nothing. Rejecting is final; applying a
rejected proposal (or rejecting an applied one) is an ``illegal_transition``. Every change is audited.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    Application,
    Candidate,
    CandidateSelfReport,
    CompetencyModelVersion,
    Dimension,
    DimensionKpiLink,
    Interview,
    KpiDefinition,
    Question,
    ReweightingProposal,
)
from gateway.models.base import utcnow
from gateway.models.enums import BusinessLine, KpiDirection, ProposalStatus
from resolvers.analytics import reweighting as rw
from resolvers.analytics import statistics as st
from resolvers.analytics.reports import dimension_kpi_correlations
from resolvers.errors import DomainError, ErrorCode, not_found
from resolvers.services.audit import Actor, record_audit
from resolvers.services.competency import create_version
from resolvers.services.invitations import hash_token
from resolvers.services.kpi_priorities import copy_kpi_priorities, stored_priorities


def _link_entry(validity: rw.KpiValidity) -> dict[str, Any]:
    corr = validity.correlation
    return {
        "kpiId": validity.kpi.kpi_id,
        "kpiKey": validity.kpi.key,
        "nameEn": validity.kpi.name_en,
        "nameZh": validity.kpi.name_zh,
        "lowerIsBetter": validity.kpi.lower_is_better,
        "priorityShare": validity.priority_share,
        "r": corr.r,
        "n": corr.n,
        "ciLower": corr.ci_lower,
        "ciUpper": corr.ci_upper,
        "pValue": corr.p_value,
        "evidence": validity.evidence.value,
        "conservativeR": validity.conservative_r,
        "explanation": validity.sentence,
    }


def _evidence_entry(change: rw.WeightChange) -> dict[str, Any]:
    """Per dimension: every linked KPI's validity, and (for older readers) r, n, CI and p of its main link:
    the KPI with the largest priority share, then the most hires measured."""
    main = max(
        change.validities,
        key=lambda item: (item.priority_share, item.correlation.enough_data, item.correlation.n),
        default=None,
    )
    corr = main.correlation if main else None
    return {
        "dimensionKey": change.dimension_key,
        "kpiKeys": [item.kpi.key for item in change.validities],
        "currentWeight": change.current_weight,
        "proposedWeight": change.proposed_weight,
        "change": change.change,
        "basis": change.basis.value,
        "combinedValidity": change.combined_validity,
        "r": corr.r if corr else None,
        "n": corr.n if corr else 0,
        "ciLower": corr.ci_lower if corr else None,
        "ciUpper": corr.ci_upper if corr else None,
        "pValue": corr.p_value if corr else None,
        "enoughData": bool(corr and corr.enough_data),
        "explanation": change.explanation,
        "kpis": [_link_entry(item) for item in change.validities],
    }


async def _kpi_infos(kpi_ids: set[int], *, session: AsyncSession) -> dict[int, rw.KpiInfo]:
    if not kpi_ids:
        return {}
    rows = (await session.exec(select(KpiDefinition).where(col(KpiDefinition.id).in_(sorted(kpi_ids))))).all()
    return {
        kpi.id: rw.KpiInfo(
            kpi.id, kpi.key, kpi.name_en, kpi.name_zh, kpi.direction is KpiDirection.LOWER_IS_BETTER, kpi.unit
        )
        for kpi in rows
        if kpi.id is not None
    }


async def create_proposal(
    model_version_id: int,
    *,
    session: AsyncSession,
    actor: Actor,
    period: str | None = None,
    department: str | None = None,
    business_line: BusinessLine | None = None,
) -> ReweightingProposal:
    """Measure each dimension's validity per linked KPI, combine by HR's KPI priorities, propose bounded steps.

    The method (shrinkage by the confidence interval, priorities, the exact ±10-point step) is in
    ``resolvers.analytics.reweighting``. Refused with ``not_enough_data`` (every reason in the message:
    no hires, a KPI without actuals, constant scores, n under the minimum) when no dimension can be judged.
    ``period``, ``department`` and ``business_line`` narrow the hires (retail and corporate banking apart);
    the proposal keeps them as its ``cohort``.
    """
    version = await session.get(CompetencyModelVersion, model_version_id)
    if version is None:
        raise not_found("modelVersionId", "competency model version")
    dimensions = (
        await session.exec(
            select(Dimension).where(Dimension.model_version_id == model_version_id).order_by(col(Dimension.position))
        )
    ).all()
    correlations = await dimension_kpi_correlations(
        model_version_id, session=session, period=period, department=department, business_line=business_line
    )
    cohort = {
        key: value
        for key, value in (
            ("period", period),
            ("department", department),
            ("business_line", business_line.value if business_line else None),
        )
        if value
    }
    kpis = await _kpi_infos({item.kpi_id for item in correlations}, session=session)
    links: dict[str, list[tuple[rw.KpiInfo, st.Correlation]]] = {}
    for item in correlations:
        links.setdefault(item.dimension_key, []).append((kpis[item.kpi_id], item.pearson))
    result = rw.propose_weights(
        [
            rw.DimensionInfo(dimension.key, dimension.name_en, dimension.weight, dimension.name_zh)
            for dimension in dimensions
        ],
        links,
        await stored_priorities(model_version_id, session=session),
    )
    if not result.enough_data:
        raise DomainError.single("modelVersionId", result.note, ErrorCode.NOT_ENOUGH_DATA)
    proposal = ReweightingProposal(
        model_version_id=model_version_id,
        kpi_id=next(iter(result.kpi_shares)) if len(result.kpi_shares) == 1 else None,
        current_weights={change.dimension_key: change.current_weight for change in result.changes},
        proposed_weights={change.dimension_key: change.proposed_weight for change in result.changes},
        evidence=[_evidence_entry(change) for change in result.changes],
        question_suggestions=result.suggestions,
        cohort=cohort,
    )
    session.add(proposal)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="reweighting_proposal.create",
        entity_type="ReweightingProposal",
        entity_id=proposal.id,
        details={
            "modelVersionId": model_version_id,
            "proposedWeights": proposal.proposed_weights,
            "kpiShares": {str(kpi_id): share for kpi_id, share in result.kpi_shares.items()},
            "cohort": cohort,
        },
    )
    return proposal


async def _proposal_for_update(proposal_id: int, *, session: AsyncSession) -> ReweightingProposal:
    proposal = await session.get(ReweightingProposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise not_found("proposalId", "re-weighting proposal")
    return proposal


async def apply_proposal(
    proposal_id: int, *, session: AsyncSession, actor: Actor
) -> tuple[ReweightingProposal, CompetencyModelVersion]:
    """Create the next version of the model with the proposed weights; a replay returns that same version."""
    proposal = await _proposal_for_update(proposal_id, session=session)
    if proposal.status is ProposalStatus.APPLIED and proposal.applied_version_id is not None:
        applied = await session.get(CompetencyModelVersion, proposal.applied_version_id)
        assert applied is not None
        return proposal, applied
    if proposal.status is not ProposalStatus.PROPOSED:
        raise DomainError.single(
            "proposalId",
            f"the proposal is {proposal.status.value} and can no longer be applied",
            ErrorCode.ILLEGAL_TRANSITION,
        )
    source = await session.get(CompetencyModelVersion, proposal.model_version_id)
    assert source is not None
    dimensions = (
        await session.exec(
            select(Dimension).where(Dimension.model_version_id == source.id).order_by(col(Dimension.position))
        )
    ).all()
    if {dimension.key for dimension in dimensions} != set(proposal.proposed_weights):
        raise DomainError.single(
            "proposalId", "the version's dimensions changed since the proposal; propose again", ErrorCode.INVALID
        )
    questions = (
        await session.exec(
            select(Question)
            .where(col(Question.dimension_id).in_([dimension.id for dimension in dimensions]))
            .order_by(col(Question.position), col(Question.id))
        )
    ).all()
    data = {
        "notes": f"Re-weighted from version {source.version} by proposal {proposal.id}: "
        + "; ".join(entry["explanation"] for entry in proposal.evidence),
        "dimensions": [
            {
                "key": dimension.key,
                "name_zh": dimension.name_zh,
                "name_en": dimension.name_en,
                "description_zh": dimension.description_zh,
                "description_en": dimension.description_en,
                "weight": proposal.proposed_weights[dimension.key],
                "questions": [
                    {
                        "prompt_zh": question.prompt_zh,
                        "prompt_en": question.prompt_en,
                        "time_limit_seconds": question.time_limit_seconds,
                        "rubric_keywords": list(question.rubric_keywords),
                        "excellent_answers": list(question.excellent_answers),
                    }
                    for question in questions
                    if question.dimension_id == dimension.id
                ],
            }
            for dimension in dimensions
        ],
    }
    version = await create_version(data, source.model_id, session=session, actor=actor)
    await _copy_kpi_links(dimensions, version, session=session)
    await copy_kpi_priorities(source.id, version.id, session=session)
    proposal.status = ProposalStatus.APPLIED
    proposal.applied_version_id = version.id
    proposal.decided_by = actor.name
    proposal.decided_at = utcnow()
    session.add(proposal)
    record_audit(
        session=session,
        actor=actor,
        action="reweighting_proposal.apply",
        entity_type="ReweightingProposal",
        entity_id=proposal.id,
        details={"fromVersionId": source.id, "newVersionId": version.id, "weights": proposal.proposed_weights},
    )
    await session.flush()
    return proposal, version


async def _copy_kpi_links(
    dimensions: list[Dimension] | Any, version: CompetencyModelVersion, *, session: AsyncSession
) -> None:
    """The new version's dimensions predict the same KPIs, so their validity can be measured again."""
    old_keys = {dimension.id: dimension.key for dimension in dimensions}
    links = (
        await session.exec(select(DimensionKpiLink).where(col(DimensionKpiLink.dimension_id).in_(list(old_keys))))
    ).all()
    new_ids = {
        dimension.key: dimension.id
        for dimension in (await session.exec(select(Dimension).where(Dimension.model_version_id == version.id))).all()
    }
    for link in links:
        session.add(DimensionKpiLink(dimension_id=new_ids[old_keys[link.dimension_id]], kpi_id=link.kpi_id))
    await session.flush()


async def reject_proposal(proposal_id: int, notes: str, *, session: AsyncSession, actor: Actor) -> ReweightingProposal:
    """Mark a proposal rejected (with the reviewer's note); rejecting it again changes nothing."""
    proposal = await _proposal_for_update(proposal_id, session=session)
    if proposal.status is ProposalStatus.REJECTED:
        return proposal
    if proposal.status is not ProposalStatus.PROPOSED:
        raise DomainError.single(
            "proposalId", "the proposal was applied and can no longer be rejected", ErrorCode.ILLEGAL_TRANSITION
        )
    if len(notes or "") > 5000:
        raise DomainError.single("notes", "at most 5,000 characters", ErrorCode.INVALID)
    proposal.status = ProposalStatus.REJECTED
    proposal.notes = notes or ""
    proposal.decided_by = actor.name
    proposal.decided_at = utcnow()
    session.add(proposal)
    record_audit(
        session=session,
        actor=actor,
        action="reweighting_proposal.reject",
        entity_type="ReweightingProposal",
        entity_id=proposal.id,
        details={"notes": proposal.notes},
    )
    await session.flush()
    return proposal


GROUP_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_GROUPS = 10


def _validated_groups(groups: dict[str, str] | Any) -> dict[str, str]:
    if not isinstance(groups, dict) or len(groups) > MAX_GROUPS:
        raise DomainError.single("groups", f"an object of at most {MAX_GROUPS} group keys", ErrorCode.INVALID)
    cleaned = {}
    for key, value in groups.items():
        if not isinstance(key, str) or not GROUP_KEY.match(key):
            raise DomainError.single(f"groups.{key}", "group keys look like gender or age_band", ErrorCode.INVALID)
        if value is None or value == "":
            continue  # declined to answer
        if not isinstance(value, str) or len(value) > 64:
            raise DomainError.single(f"groups.{key}", "a text of at most 64 characters", ErrorCode.INVALID)
        cleaned[key] = value.strip()
    return cleaned


async def candidate_for_token(token: str, *, session: AsyncSession) -> int:
    """The candidate behind an invitation token (any state: the self-report is voluntary and separate)."""
    interview = (await session.exec(select(Interview).where(Interview.token_hash == hash_token(token or "")))).first()
    application = await session.get(Application, interview.application_id) if interview else None
    if application is None:
        raise DomainError.single("invitationToken", "this invitation link is not valid", ErrorCode.INVITATION_INVALID)
    return application.candidate_id


async def record_self_report(
    candidate_id: int, groups: dict[str, str], *, session: AsyncSession, actor: Actor
) -> CandidateSelfReport:
    """Store (or replace) a candidate's voluntary group data; the audit names the keys, never the values."""
    cleaned = _validated_groups(groups)
    candidate = await session.get(Candidate, candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise not_found("candidateId", "candidate")
    report = (
        await session.exec(select(CandidateSelfReport).where(CandidateSelfReport.candidate_id == candidate_id))
    ).first()
    if report is None:
        report = CandidateSelfReport(candidate_id=candidate_id, groups=cleaned)
    else:
        report.groups = cleaned
        report.recorded_at = utcnow()
    session.add(report)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="candidate_self_report.record",
        entity_type="CandidateSelfReport",
        entity_id=report.id,
        details={"candidateId": candidate_id, "keys": sorted(cleaned)},
    )
    return report
