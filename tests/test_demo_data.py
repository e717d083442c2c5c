"""The demo dataset: loads through the services on a fresh SQLite database, once, all or nothing."""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, func, select

import gateway.db
import gateway.migrate
import gateway.settings
from gateway.models import (
    Application,
    ApplicationStageChange,
    AuditEvent,
    Candidate,
    CompetencyModel,
    CompetencyModelVersion,
    ConsentRecord,
    Dimension,
    DimensionKpiLink,
    Employee,
    Interview,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    OnboardingArchive,
    Question,
    Requisition,
)
from gateway.models.enums import (
    ApplicationStage,
    BackgroundCheckStatus,
    ConsentKind,
    RequisitionStatus,
    can_move_application,
)
from resolvers import demo_data
from resolvers.demo_data import (
    CANDIDATES,
    COMPETENCY_MODELS,
    KPIS,
    REQUISITIONS,
    SEED_ACTOR,
    load_demo_data,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
COUNTED = (
    CompetencyModel,
    CompetencyModelVersion,
    Dimension,
    Question,
    KpiDefinition,
    DimensionKpiLink,
    Requisition,
    Candidate,
    ConsentRecord,
    Application,
    Interview,
    Employee,
    OnboardingArchive,
    KpiAssignment,
    KpiRecord,
)


@pytest.fixture
async def fresh_database(tmp_path, monkeypatch) -> AsyncIterator[None]:
    """A migrated, empty SQLite database in tmp_path for this test only."""
    await gateway.db.dispose_engine()
    gateway.settings.get_settings.cache_clear()
    monkeypatch.setenv("HRGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HRGATE_DATABASE_URL", "")  # beat any PostgreSQL URL from the environment or .env
    assert str(tmp_path) in gateway.settings.get_settings().resolved_database_url
    await asyncio.to_thread(gateway.migrate.upgrade_to_head)
    try:
        yield
    finally:
        await gateway.db.dispose_engine()
        gateway.settings.get_settings.cache_clear()


async def _counts() -> dict[str, int]:
    async with gateway.db.read_session() as session:
        return {
            table.__name__: (await session.exec(select(func.count()).select_from(table))).one() for table in COUNTED
        }


def test_demo_constants_read_as_consistent_data() -> None:
    kpi_keys = {kpi.key for kpi in KPIS}
    assert {model.key for model in COMPETENCY_MODELS} >= {"teller", "customer_manager", "risk_analyst"}
    for model in COMPETENCY_MODELS:
        assert math.isclose(math.fsum(dimension.weight for dimension in model.dimensions), 1.0)
        assert CJK.search(model.name_zh) and not CJK.search(model.name_en)
        for dimension in model.dimensions:
            assert dimension.predicts and set(dimension.predicts) <= kpi_keys
            assert 1 <= len(dimension.questions) <= 2
            for question in dimension.questions:
                assert CJK.search(question.prompt_zh) and not CJK.search(question.prompt_en)
                assert any(CJK.search(word) for word in question.rubric_keywords)
                assert any(not CJK.search(word) for word in question.rubric_keywords)
                languages = {bool(CJK.search(answer)) for answer in question.excellent_answers}
                assert languages == {True, False}, "one Chinese and one English model answer"
    assert {requisition.model for requisition in REQUISITIONS} <= {model.key for model in COMPETENCY_MODELS}
    for candidate in CANDIDATES:
        for application in candidate.applications:
            assert (application.hire is not None) == (application.stage is ApplicationStage.HIRED)
            closing = application.stage in (ApplicationStage.REJECTED, ApplicationStage.WITHDRAWN)
            assert (application.left_at is not None) == closing
            assert not closing or application.reason


async def test_demo_loads_once_through_the_services(fresh_database) -> None:
    assert await load_demo_data() is True
    loaded = await _counts()
    assert await load_demo_data() is False
    assert await _counts() == loaded, "the second call must write nothing"

    assert loaded["CompetencyModel"] >= 3
    assert loaded["CompetencyModelVersion"] == loaded["CompetencyModel"]
    assert loaded["KpiDefinition"] >= 6
    assert loaded["Requisition"] == 4
    assert loaded["Candidate"] >= 12
    assert loaded["ConsentRecord"] == 3 * loaded["Candidate"]
    assert loaded["Interview"] == 2
    assert loaded["Employee"] == loaded["OnboardingArchive"] >= 3
    assert loaded["KpiAssignment"] >= loaded["Employee"]
    assert loaded["KpiRecord"] >= 2 * loaded["Employee"]

    async with gateway.db.read_session() as session:
        teller = (await session.exec(select(CompetencyModel).where(CompetencyModel.key == "teller"))).one()
        version = (
            await session.exec(select(CompetencyModelVersion).where(CompetencyModelVersion.model_id == teller.id))
        ).one()
        assert version.version == 1 and version.frozen, "pinning by a requisition freezes the version"
        dimensions = (await session.exec(select(Dimension).where(Dimension.model_version_id == version.id))).all()
        assert {dimension.key: dimension.weight for dimension in dimensions} == {
            "numeracy": 0.4,
            "service": 0.3,
            "risk_awareness": 0.3,
        }
        assert {dimension.name_zh for dimension in dimensions} == {"数字敏感度", "服务意识", "风险意识"}
        unfrozen = (
            await session.exec(select(CompetencyModelVersion).where(col(CompetencyModelVersion.frozen_at).is_(None)))
        ).all()
        assert unfrozen == []

        stages = Counter((await session.exec(select(Application.stage))).all())
        assert set(stages) == set(ApplicationStage), f"every stage represented: {stages}"
        assert stages[ApplicationStage.HIRED] == loaded["Employee"]
        in_interview = (
            await session.exec(select(Application.id).join(Interview, Interview.application_id == Application.id))
        ).all()
        assert len(in_interview) == 2
        for application_id in in_interview:
            application = await session.get(Application, application_id)
            assert application is not None and application.stage is ApplicationStage.AI_INTERVIEW

        # Every move in the stage history is one the state machine allows (the hire included).
        for change in (await session.exec(select(ApplicationStageChange))).all():
            if change.from_stage is None:
                assert change.to_stage is ApplicationStage.SCREENING
            else:
                assert can_move_application(change.from_stage, change.to_stage)

        closed = (await session.exec(select(Requisition).where(Requisition.status == RequisitionStatus.CLOSED))).all()
        assert len(closed) == 1 and closed[0].close_reason

        biometric_refusals = (
            await session.exec(
                select(ConsentRecord).where(
                    ConsentRecord.kind == ConsentKind.BIOMETRIC,
                    ConsentRecord.granted == False,  # noqa: E712
                )
            )
        ).all()
        assert len(biometric_refusals) == 1
        assert {record.notice_version for record in (await session.exec(select(ConsentRecord))).all()} == {"2026-01"}

        employees = (await session.exec(select(Employee))).all()
        assert sorted(employee.employee_number for employee in employees) == [
            "E2026001",
            "E2026002",
            "E2026003",
            "E2026004",
        ]
        assert all(employee.start_date.year == 2026 for employee in employees)
        archives = (await session.exec(select(OnboardingArchive))).all()
        assert {archive.background_check_status for archive in archives} == {BackgroundCheckStatus.CLEAR}
        for employee in employees:
            assignments = (
                await session.exec(select(KpiAssignment).where(KpiAssignment.employee_id == employee.id))
            ).all()
            assert assignments, f"{employee.employee_number} has KPI assignments from the dimension links"
            records = (
                await session.exec(
                    select(KpiRecord).where(
                        KpiRecord.assignment_id.in_([assignment.id for assignment in assignments])  # type: ignore[union-attr]
                    )
                )
            ).all()
            assert records, f"{employee.employee_number} has KPI actuals"

        actors = set((await session.exec(select(AuditEvent.actor))).all())
        assert actors == {SEED_ACTOR.name}


async def test_a_failure_midway_writes_nothing(fresh_database, monkeypatch) -> None:
    async def failing_hire(*_args, **_kwargs):
        raise RuntimeError("background-check service unavailable")

    real_hire = demo_data.hire
    monkeypatch.setattr(demo_data, "hire", failing_hire)
    with pytest.raises(RuntimeError):
        await load_demo_data()
    assert set((await _counts()).values()) == {0}
    async with gateway.db.read_session() as session:
        assert (await session.exec(select(func.count()).select_from(AuditEvent))).one() == 0

    monkeypatch.setattr(demo_data, "hire", real_hire)
    assert await load_demo_data() is True
