"""Did the training work? The difference-in-differences estimate against planted truths, in pure functions and
through GraphQL over the real tables (a synthetic cohort whose trained employees' KPI rises by a known amount)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from sqlmodel import col, delete, select

from gateway import models
from gateway.db import read_session, unit_of_work
from gateway.models.enums import DeliveryMode, PeriodKind, PlanItemStatus, RecommendationKind
from resolvers.analytics import training_effect as te
from resolvers.services.audit import person, service
from tests.analytics_cohort import build_cohort
from tests.db_helpers import global_id
from tests.graphql_client import GraphQLClient

QUARTER = PeriodKind.QUARTER
Q1_2026 = te.period_index(date(2026, 2, 1), QUARTER)


def _synthetic(rng: np.random.Generator, effect: float, *, trained: int = 20, untrained: int = 40) -> list:
    """Employees with quarterly values Q3 2025 … Q4 2026: a personal level, a common trend, noise; the trained
    complete in Q1 or Q2 2026 and gain ``effect`` in every quarter after their completion quarter."""
    employees = []
    for index in range(trained + untrained):
        level = rng.normal(10, 2)
        completion = (Q1_2026 + index % 2) if index < trained else None
        values = {}
        for period in range(Q1_2026 - 2, Q1_2026 + 4):
            value = level + 0.3 * (period - Q1_2026) + rng.normal(0, 1)
            if completion is not None and period > completion:
                value += effect
            values[period] = value
        employees.append((values, completion))
    return employees


def test_period_numbering_is_consecutive_across_years():
    assert te.period_label(te.period_index(date(2025, 12, 31), QUARTER) + 1, QUARTER) == "2026-Q1"
    assert te.period_label(te.period_index(date(2026, 1, 1), PeriodKind.MONTH) - 1, PeriodKind.MONTH) == "2025-12"
    assert te.record_index("2026-Q3", QUARTER) == te.period_index(date(2026, 8, 15), QUARTER)
    assert te.record_index("2026-09", QUARTER) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_effect_is_recovered_within_its_interval(seed):
    rng = np.random.default_rng(seed)
    data = te.accumulate(_synthetic(rng, 1.5), [Q1_2026, Q1_2026 + 1], 2)
    effect = te.estimate_effect(data, QUARTER, 2)
    assert effect.estimated and effect.trained == 20 and effect.controls == 40
    assert effect.ci_low < 1.5 < effect.ci_high
    assert effect.ci_low > 0  # the effect is detectable with 20 trained employees
    assert abs(effect.estimate - 1.5) < 3 * effect.standard_error
    assert [cohort.completion_period for cohort in effect.cohorts] == ["2026-Q1", "2026-Q2"]
    assert effect.cohorts[0].before_period == "2025-Q4" and effect.cohorts[0].after_periods == ["2026-Q2", "2026-Q3"]


def test_a_null_effect_gives_an_interval_covering_zero():
    covered = 0
    for seed in range(40):
        data = te.accumulate(_synthetic(np.random.default_rng(100 + seed), 0.0), [Q1_2026, Q1_2026 + 1], 2)
        effect = te.estimate_effect(data, QUARTER, 2)
        covered += effect.ci_low <= 0 <= effect.ci_high
    assert covered >= 35  # nominal 95 %: 38 of 40 expected; a biased or too-narrow interval fails this


def test_the_common_trend_is_not_mistaken_for_an_effect():
    """Everyone's KPI rises 0.3 a quarter: a before/after comparison of the trained alone would see ~0.75."""
    data = te.accumulate(_synthetic(np.random.default_rng(7), 0.0), [Q1_2026, Q1_2026 + 1], 2)
    trained_only = sum(m.total for m in data.trained.values()) / sum(m.n for m in data.trained.values())
    assert trained_only > 0.5
    effect = te.estimate_effect(data, QUARTER, 2)
    assert effect.ci_low <= 0 <= effect.ci_high


def test_too_few_employees_give_reasons_never_numbers():
    rng = np.random.default_rng(5)
    data = te.accumulate(_synthetic(rng, 1.0, trained=3, untrained=2), [Q1_2026, Q1_2026 + 1], 2)
    effect = te.estimate_effect(data, QUARTER, 2)
    assert not effect.estimated
    assert effect.estimate is None and effect.ci_low is None and effect.standard_error is None
    assert "3 trained employee(s)" in effect.reason and "2 comparable untrained" in effect.reason
    empty = te.estimate_effect(te.EffectData(), QUARTER, 2)
    assert not empty.estimated and "0 trained" in empty.reason
    # Trained employees without a value before completion count for nothing.
    lonely = te.accumulate([({Q1_2026 + 1: 3.0}, Q1_2026)], [Q1_2026], 2)
    assert lonely.trained_without_data == 1 and not lonely.trained


def test_identical_changes_give_a_zero_width_interval_not_nan():
    employees = [({Q1_2026 - 1: 1.0, Q1_2026 + 1: 2.0}, Q1_2026) for _ in range(6)]
    employees += [({Q1_2026 - 1: 1.0, Q1_2026 + 1: 1.5}, None) for _ in range(6)]
    effect = te.estimate_effect(te.accumulate(employees, [Q1_2026], 1), QUARTER, 1)
    assert effect.estimate == pytest.approx(0.5)
    assert effect.ci_low == pytest.approx(0.5) and effect.ci_high == pytest.approx(0.5)
    assert not any(math.isnan(value) for value in (effect.estimate, effect.ci_low, effect.ci_high))


# --- through GraphQL, over the tables --------------------------------------------------------------------

EFFECT = """
query($id: ID!, $kpiId: ID!, $after: Int!) {
  node(id: $id) {
    ... on TrainingProgramme {
      key
      effect(kpiId: $kpiId, periodsAfter: $after) {
        effect {
          kpi { key } direction estimated reason trained controls estimate standardError ciLower ciUpper improved
          cohorts { completionPeriod beforePeriod afterPeriods trained controls trainedChange controlChange }
        }
        errors { field code message }
      }
    }
  }
}"""


async def _planted_tables(effect: float, *, trained: int, seed: int) -> tuple[str, str]:
    """A cohort of 40 tellers (error rate, lower is better) with quarters 2025-Q3 … 2026-Q3; the first ``trained``
    complete "Accurate cash handling" on 2026-02-10 (Q1) and their error rate changes by ``effect`` afterwards."""
    cohort = await build_cohort(40, seed=seed)
    rng = np.random.default_rng(seed)
    periods = ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    async with unit_of_work() as uow:
        session = uow.session
        assignments = (
            await session.exec(
                select(models.KpiAssignment).where(col(models.KpiAssignment.employee_id).in_(cohort.employee_ids))
            )
        ).all()
        by_employee = {assignment.employee_id: assignment for assignment in assignments}
        await session.exec(
            delete(models.KpiRecord).where(
                col(models.KpiRecord.assignment_id).in_([assignment.id for assignment in assignments])
            )
        )
        programme = models.TrainingProgramme(
            key=f"CASH-{seed}",
            name_zh="现金差错防控",
            name_en="Accurate cash handling",
            provider="Bank academy",
            duration_hours=8,
            delivery_mode=DeliveryMode.CLASSROOM,
            model_version_id=cohort.version_id,
        )
        session.add(programme)
        await session.flush()
        for index, employee_id in enumerate(cohort.employee_ids):
            level = rng.normal(2.0, 0.4)
            for position, period in enumerate(periods):
                value = level - 0.05 * position + rng.normal(0, 0.15)
                if index < trained and position >= 3:
                    value += effect
                session.add(models.KpiRecord(assignment_id=by_employee[employee_id].id, period=period, actual=value))
            if index < trained:
                session.add(
                    models.DevelopmentPlanItem(
                        employee_id=employee_id,
                        kind=RecommendationKind.TRAINING,
                        programme_id=programme.id,
                        due_date=date(2026, 3, 31),
                        status=PlanItemStatus.COMPLETED,
                        completed_on=date(2026, 2, 10),
                        completion_source="lms",
                        created_by="hr",
                    )
                )
            elif index < trained + 5:  # planned but not taken yet: still untrained
                session.add(
                    models.DevelopmentPlanItem(
                        employee_id=employee_id,
                        kind=RecommendationKind.TRAINING,
                        programme_id=programme.id,
                        due_date=date(2026, 12, 31),
                        created_by="hr",
                    )
                )
        await session.flush()
        programme_id = programme.id
    return global_id("TrainingProgramme", programme_id), global_id("KpiDefinition", cohort.kpi_id)


async def test_the_planted_effect_is_recovered_beside_the_programme(gql, count_statements):
    programme_id, kpi_id = await _planted_tables(-0.6, trained=15, seed=31)
    before = count_statements.count
    data = (await gql(EFFECT, id=programme_id, kpiId=kpi_id, after=2))["node"]["effect"]
    assert data["errors"] == []
    effect = data["effect"]
    assert count_statements.count - before <= 9  # a fixed number of statements, not one per employee
    assert effect["estimated"] and effect["reason"] is None
    assert effect["trained"] == 15 and effect["controls"] == 25
    assert effect["ciLower"] < -0.6 < effect["ciUpper"]
    assert effect["ciUpper"] < 0
    assert effect["improved"] is True  # fewer errors: better for a lower-is-better KPI
    assert effect["cohorts"] == [
        {
            "completionPeriod": "2026-Q1",
            "beforePeriod": "2025-Q4",
            "afterPeriods": ["2026-Q2", "2026-Q3"],
            "trained": 15,
            "controls": 25,
            "trainedChange": pytest.approx(effect["cohorts"][0]["trainedChange"]),
            "controlChange": pytest.approx(effect["cohorts"][0]["controlChange"]),
        }
    ]
    cohort = effect["cohorts"][0]
    assert cohort["trainedChange"] - cohort["controlChange"] == pytest.approx(effect["estimate"])
    async with read_session() as session:
        reads = (
            await session.exec(
                select(models.AuditEvent.details).where(models.AuditEvent.action == "training_effect.read")
            )
        ).all()
    assert [(read["trained"], read["controls"], read["periodsAfter"]) for read in reads] == [(15, 25, 2)]


async def test_no_effect_gives_an_interval_covering_zero_through_graphql(gql):
    programme_id, kpi_id = await _planted_tables(0.0, trained=15, seed=32)
    effect = (await gql(EFFECT, id=programme_id, kpiId=kpi_id, after=2))["node"]["effect"]["effect"]
    assert effect["estimated"]
    assert effect["ciLower"] <= 0 <= effect["ciUpper"]
    assert effect["improved"] is None


async def test_too_few_trained_is_a_typed_state_and_bad_arguments_are_payload_errors(gql):
    programme_id, kpi_id = await _planted_tables(-0.6, trained=3, seed=33)
    effect = (await gql(EFFECT, id=programme_id, kpiId=kpi_id, after=2))["node"]["effect"]
    assert effect["errors"] == []
    assert effect["effect"]["estimated"] is False
    assert "3 trained employee(s)" in effect["effect"]["reason"]
    assert effect["effect"]["estimate"] is None and effect["effect"]["ciLower"] is None
    bad = (await gql(EFFECT, id=programme_id, kpiId=kpi_id, after=0))["node"]["effect"]
    assert bad["effect"] is None and [error["code"] for error in bad["errors"]] == ["INVALID"]
    wrong = (await gql(EFFECT, id=programme_id, kpiId=programme_id, after=2))["node"]["effect"]
    assert [error["code"] for error in wrong["errors"]] == ["WRONG_TYPE"]


async def test_the_effect_is_read_with_employee_read_rights_only():
    programme_id, kpi_id = await _planted_tables(-0.6, trained=6, seed=34)
    for actor, allowed in (
        (person("auditor-1", ["auditor"]), True),
        (service("hr-bi", ["employees:read"]), True),
        (person("rec-1", ["recruiter"]), False),
        (service("lms-1", ["learning:write"]), False),
    ):
        result = await GraphQLClient(actor).execute(EFFECT, id=programme_id, kpiId=kpi_id, after=2)
        if allowed:
            assert result.errors is None, (actor, result.errors)
            assert result.data["node"]["effect"]["effect"]["trained"] == 6
        else:
            assert [error.extensions["code"] for error in result.errors] == ["FORBIDDEN"], actor
    async with read_session() as session:
        assert (await session.exec(select(models.TrainingProgramme))).first() is not None
