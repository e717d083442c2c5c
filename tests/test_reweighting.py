"""Re-weighting proposals and analytics services on the real tables, with a planted cohort."""

from __future__ import annotations

import pytest
from sqlmodel import select

from gateway import models
from gateway.db import read_session, unit_of_work
from gateway.models.enums import ProposalStatus
from resolvers.analytics import reports
from resolvers.errors import DomainError, ErrorCode
from resolvers.services import reweighting
from resolvers.services.audit import person
from tests.analytics_cohort import PLANTED_R, build_cohort
from tests.db_helpers import all_row_counts

HR = person("hr-1", ["hr_admin"], name="hr@bank.example")


async def test_correlations_recover_planted_validity():
    cohort = await build_cohort(120)
    async with read_session() as session:
        correlations = await reports.dimension_kpi_correlations(cohort.version_id, session=session)
    by_key = {item.dimension_key: item for item in correlations}
    numeracy, service = by_key["numeracy"].pearson, by_key["service"].pearson
    assert numeracy.n == 120 and service.n == 120
    assert numeracy.ci_lower < PLANTED_R < numeracy.ci_upper  # oriented: fewer errors = better
    assert service.ci_lower < 0 < service.ci_upper


async def test_proposal_raises_predictive_dimension_and_apply_creates_version():
    cohort = await build_cohort(120)
    async with unit_of_work() as uow:
        proposal = await reweighting.create_proposal(cohort.version_id, session=uow.session, actor=HR)
    assert proposal.status is ProposalStatus.PROPOSED
    assert proposal.proposed_weights["numeracy"] > 0.3 and proposal.proposed_weights["service"] < 0.7
    assert abs(sum(proposal.proposed_weights.values()) - 1) < 1e-6
    assert proposal.kpi_id == cohort.kpi_id
    explanations = {entry["dimensionKey"]: entry["explanation"] for entry in proposal.evidence}
    assert (
        "Numeracy strongly predicts error rate" in explanations["numeracy"] or "moderately" in explanations["numeracy"]
    )
    assert "30 % → 40 %" in explanations["numeracy"]
    assert [item["dimensionKey"] for item in proposal.question_suggestions] == ["service"]

    async with unit_of_work() as uow:
        applied, version = await reweighting.apply_proposal(proposal.id, session=uow.session, actor=HR)
    assert version.version == 2 and version.id != cohort.version_id
    async with read_session() as session:
        dimensions = (
            await session.exec(select(models.Dimension).where(models.Dimension.model_version_id == version.id))
        ).all()
        weights = {dimension.key: dimension.weight for dimension in dimensions}
        assert weights == applied.proposed_weights
        questions = (
            await session.exec(
                select(models.Question).where(models.Question.dimension_id.in_([d.id for d in dimensions]))
            )
        ).all()
        assert len(questions) == 2
        links = (
            await session.exec(
                select(models.DimensionKpiLink).where(
                    models.DimensionKpiLink.dimension_id.in_([d.id for d in dimensions])
                )
            )
        ).all()
        assert len(links) == 2
        requisition = await session.get(models.Requisition, cohort.requisition_id)
        assert requisition.competency_model_version_id == cohort.version_id  # running requisitions keep their pin
        actions = (await session.exec(select(models.AuditEvent.action))).all()
        assert {"reweighting_proposal.create", "reweighting_proposal.apply", "competency_model.version_create"} <= set(
            actions
        )

    # Applying twice is an idempotent replay: the same version, nothing written.
    before = await all_row_counts()
    async with unit_of_work() as uow:
        _, again = await reweighting.apply_proposal(proposal.id, session=uow.session, actor=HR)
    assert again.id == version.id
    assert await all_row_counts() == before

    with pytest.raises(DomainError) as refused:
        async with unit_of_work() as uow:
            await reweighting.reject_proposal(proposal.id, "no", session=uow.session, actor=HR)
    assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_reject_then_apply_is_illegal():
    cohort = await build_cohort(30)
    async with unit_of_work() as uow:
        proposal = await reweighting.create_proposal(cohort.version_id, session=uow.session, actor=HR)
    async with unit_of_work() as uow:
        rejected = await reweighting.reject_proposal(proposal.id, "wait a year", session=uow.session, actor=HR)
    assert rejected.status is ProposalStatus.REJECTED and rejected.notes == "wait a year"
    with pytest.raises(DomainError) as refused:
        async with unit_of_work() as uow:
            await reweighting.apply_proposal(proposal.id, session=uow.session, actor=HR)
    assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_proposal_refused_without_enough_data():
    cohort = await build_cohort(8)
    with pytest.raises(DomainError) as refused:
        async with unit_of_work() as uow:
            await reweighting.create_proposal(cohort.version_id, session=uow.session, actor=HR)
    assert "not enough data" in refused.value.errors[0].message
    with pytest.raises(DomainError) as unknown:
        async with unit_of_work() as uow:
            await reweighting.create_proposal(999_999, session=uow.session, actor=HR)
    assert unknown.value.errors[0].code is ErrorCode.NOT_FOUND


async def test_prediction_and_ability_map_from_tables():
    cohort = await build_cohort(80, with_targets=False)
    async with read_session() as session:
        prediction = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 90.0, "service": 60.0}, session=session
        )
        average = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 40.0, "service": 60.0}, session=session
        )
        ability = await reports.employee_ability_performance(cohort.employee_ids[0], session=session)
    assert prediction.enough_data and prediction.beats_baseline and prediction.n == 80
    assert prediction.prediction < average.prediction  # better numeracy, fewer errors
    assert prediction.prediction_lower < prediction.prediction < prediction.prediction_upper
    assert set(ability.scores) == {"numeracy", "service"} and ability.scores["numeracy"] > 0
    assert ability.kpis[0].periods == 2 and ability.kpis[0].attainment is None
    assert ability.gaps[0].flag == "unknown"  # no target: no gap claimed
