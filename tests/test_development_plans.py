"""Development plans: recommendations from an employee's evidence (with the reason in words), HR's decisions,
plan items, completions one by one and from the LMS in bulk (idempotent), refusals, audit, and read access."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select, update

from gateway import models
from gateway.db import read_session, unit_of_work
from gateway.models import AuditEvent
from gateway.models.base import utcnow
from gateway.models.enums import DeliveryMode
from gateway.models.training import DevelopmentPlanItem, DevelopmentRecommendation, TrainingCompletionImport
from resolvers.services.audit import person, service
from tests import factories
from tests.analytics_cohort import Cohort, build_cohort
from tests.assertions import codes, refused
from tests.db_helpers import all_row_counts, global_id, row_count
from tests.graphql_client import GraphQLClient

TODAY = date.today()
ERRORS = factories.ERRORS
RECOMMENDATION = "id kind status reasonEn reasonZh evidence programme { key } kpi { key } dimension { key } decidedBy"
PLAN_ITEM = "id kind status dueDate completedOn completionSource notes programme { key } employee { employeeNumber }"

GENERATE = f"""
mutation($input: DevelopmentRecommendationsGenerateInput!) {{
  developmentRecommendationsGenerate(input: $input) {{ recommendations {{ {RECOMMENDATION} }} {ERRORS} }}
}}"""
ACCEPT = f"""
mutation($input: DevelopmentRecommendationAcceptInput!) {{
  developmentRecommendationAccept(input: $input) {{
    recommendation {{ {RECOMMENDATION} }} planItem {{ {PLAN_ITEM} }} {ERRORS}
  }}
}}"""
REJECT = f"""
mutation($input: DevelopmentRecommendationRejectInput!) {{
  developmentRecommendationReject(input: $input) {{ recommendation {{ {RECOMMENDATION} }} planItem {{ id }} {ERRORS} }}
}}"""
ITEM_CREATE = f"""
mutation($input: DevelopmentPlanItemCreateInput!) {{
  developmentPlanItemCreate(input: $input) {{ planItem {{ {PLAN_ITEM} }} {ERRORS} }}
}}"""
ITEM_UPDATE = f"""
mutation($input: DevelopmentPlanItemUpdateInput!) {{
  developmentPlanItemUpdate(input: $input) {{ planItem {{ {PLAN_ITEM} }} {ERRORS} }}
}}"""
COMPLETE = f"""
mutation($input: TrainingCompletionRecordInput!) {{
  trainingCompletionRecord(input: $input) {{ planItem {{ {PLAN_ITEM} }} {ERRORS} }}
}}"""
IMPORT = f"""
mutation($input: TrainingCompletionsImportInput!) {{
  trainingCompletionsImport(input: $input) {{
    completionImport {{
      idempotencyKey replayed rowsReceived rowsWritten rowsUnchanged rowsRefused planItemIds
      rowErrors {{ row field code message }}
    }}
    {ERRORS}
  }}
}}"""
DEPART = f"""
mutation($input: EmployeeDepartureRecordInput!) {{
  employeeDepartureRecord(input: $input) {{ employee {{ employeeNumber departedOn }} {ERRORS} }}
}}"""
PLAN = f"""
query($id: ID!) {{
  node(id: $id) {{
    ... on Employee {{
      employeeNumber
      developmentPlan {{ totalCount edges {{ node {{ {PLAN_ITEM} }} }} }}
      developmentRecommendations {{ edges {{ node {{ kind status }} }} }}
    }}
  }}
}}"""


async def _world(hires: int = 3) -> tuple[Cohort, dict[str, int]]:
    """Tellers hired through a scored interview (numeracy, service; error rate 2.0 % target, 2026-Q1 and Q2),
    and three programmes: two developing numeracy, one service (of another version of the same model)."""
    cohort = await build_cohort(hires, seed=11)
    async with unit_of_work() as uow:
        session = uow.session
        version_2 = models.CompetencyModelVersion(model_id=cohort.model_id, version=2)
        session.add(version_2)
        await session.flush()
        service_v2 = models.Dimension(
            model_version_id=version_2.id, key="service", name_zh="服务", name_en="Service", weight=1.0
        )
        session.add(service_v2)
        await session.flush()
        programmes = {}
        for key, name_en, name_zh, version_id, dimension_id in (
            ("DATA-1", "Data handling", "数据处理", cohort.version_id, cohort.dimension_ids["numeracy"]),
            ("DATA-2", "Ledger accuracy", "账务准确性", cohort.version_id, cohort.dimension_ids["numeracy"]),
            ("SERV-1", "Service recovery", "服务补救", version_2.id, service_v2.id),
        ):
            programme = models.TrainingProgramme(
                key=key,
                name_zh=name_zh,
                name_en=name_en,
                provider="Bank academy",
                duration_hours=6,
                delivery_mode=DeliveryMode.ONLINE,
                model_version_id=version_id,
            )
            session.add(programme)
            await session.flush()
            session.add(models.TrainingProgrammeDimension(programme_id=programme.id, dimension_id=dimension_id))
            programmes[key] = programme.id
        await session.exec(
            update(models.Dimension)
            .where(col(models.Dimension.id) == cohort.dimension_ids["numeracy"])
            .values(name_zh="数值能力")
        )
    return cohort, programmes


async def _set_evidence(cohort: Cohort, index: int, *, numeracy: float, service: float, error_rate: float) -> None:
    """The employee's counted interview scores and both quarters' error rate."""
    async with unit_of_work() as uow:
        session = uow.session
        report_id = (
            await session.exec(
                select(models.InterviewReport.id)
                .join(models.Interview, col(models.Interview.id) == models.InterviewReport.interview_id)
                .where(models.Interview.application_id == cohort.application_ids[index])
            )
        ).one()
        for key, score in (("numeracy", numeracy), ("service", service)):
            await session.exec(
                update(models.DimensionScore)
                .where(
                    col(models.DimensionScore.report_id) == report_id,
                    col(models.DimensionScore.dimension_id) == cohort.dimension_ids[key],
                    col(models.DimensionScore.pipeline_version) == "p2",
                )
                .values(score=score)
            )
        assignment_id = (
            await session.exec(
                select(models.KpiAssignment.id).where(models.KpiAssignment.employee_id == cohort.employee_ids[index])
            )
        ).one()
        await session.exec(
            update(models.KpiRecord)
            .where(col(models.KpiRecord.assignment_id) == assignment_id)
            .values(actual=error_rate)
        )


def employee_gid(cohort: Cohort, index: int) -> str:
    return global_id("Employee", cohort.employee_ids[index])


async def _generate(gql, cohort: Cohort, index: int) -> list[dict]:
    payload = await gql.mutate(
        GENERATE, "developmentRecommendationsGenerate", input={"employeeId": employee_gid(cohort, index)}
    )
    return payload["recommendations"]


async def test_recommendations_carry_the_evidence_in_words_and_follow_the_gap_kind(gql):
    cohort, _ = await _world()
    # low numeracy and an error rate 2.3× target: training for numeracy (both programmes of the model)
    await _set_evidence(cohort, 0, numeracy=48, service=60, error_rate=4.6)
    # high numeracy yet the same missed target: the ability is there, review the process
    await _set_evidence(cohort, 1, numeracy=85, service=60, error_rate=4.6)
    # low service only (no KPI behind it): training from the score alone, a programme of version 2 of the model
    await _set_evidence(cohort, 2, numeracy=70, service=42, error_rate=1.9)

    low = await _generate(gql, cohort, 0)
    assert [(item["kind"], item["programme"]["key"]) for item in low] == [
        ("TRAINING", "DATA-1"),
        ("TRAINING", "DATA-2"),
    ]
    first = low[0]
    assert first["reasonEn"] == (
        "Numeracy 48/100 in the interview (below the model's 50); Error rate 2.3× target in 2026-Q2 → Data handling"
    )
    assert first["reasonZh"] == "数值能力 面试得分 48/100(低于模型阈值 50);差错率 2026-Q2 为目标的 2.3 倍 → 数据处理"
    assert first["kpi"]["key"] == "error_rate_11" and first["dimension"]["key"] == "numeracy"
    assert first["evidence"]["score"] == 48 and first["evidence"]["kpis"][0]["period"] == "2026-Q2"
    assert first["status"] == "OPEN"

    high = await _generate(gql, cohort, 1)
    assert [(item["kind"], item["programme"]) for item in high] == [("PROCESS_REVIEW", None)]
    assert high[0]["reasonEn"] == (
        "Numeracy 85/100 in the interview; Error rate 2.3× target in 2026-Q2: the ability is there, "
        "review the process rather than train"
    )
    assert "建议检查流程而非培训" in high[0]["reasonZh"]

    service_only = await _generate(gql, cohort, 2)
    assert [(item["kind"], item["programme"]["key"], item["kpi"]) for item in service_only] == [
        ("TRAINING", "SERV-1", None)
    ]
    assert service_only[0]["reasonEn"].startswith("Service 42/100 in the interview (below the model's 50)")


async def test_the_models_threshold_decides_what_counts_as_low(gql):
    cohort, _ = await _world()
    await _set_evidence(cohort, 0, numeracy=58, service=80, error_rate=1.9)
    assert await _generate(gql, cohort, 0) == []
    await gql.mutate(
        """mutation($input: DimensionDevelopmentThresholdSetInput!) {
             dimensionDevelopmentThresholdSet(input: $input) { dimension { key } errors { code } } }""",
        "dimensionDevelopmentThresholdSet",
        input={"dimensionId": global_id("Dimension", cohort.dimension_ids["numeracy"]), "threshold": 65},
    )
    raised = await _generate(gql, cohort, 0)
    assert [item["programme"]["key"] for item in raised] == ["DATA-1", "DATA-2"]
    assert raised[0]["reasonEn"] == "Numeracy 58/100 in the interview (below the model's 65) → Data handling"
    # the KPI is missed too: the same (open) recommendations are refreshed with the KPI in their reason
    await _set_evidence(cohort, 0, numeracy=58, service=60, error_rate=4.6)
    refreshed = await _generate(gql, cohort, 0)
    assert [item["id"] for item in refreshed] == [item["id"] for item in raised]
    assert refreshed[0]["reasonEn"] == (
        "Numeracy 58/100 in the interview (below the model's 65); Error rate 2.3× target in 2026-Q2 → Data handling"
    )
    # the evidence improves: the open recommendations nobody decided on are withdrawn
    await _set_evidence(cohort, 0, numeracy=70, service=80, error_rate=1.9)
    assert await _generate(gql, cohort, 0) == []
    assert await row_count(DevelopmentRecommendation) == 0


async def test_hr_accepts_edits_or_rejects_each_recommendation_into_a_plan(gql):
    cohort, programmes = await _world()
    await _set_evidence(cohort, 0, numeracy=48, service=60, error_rate=4.6)
    await _set_evidence(cohort, 1, numeracy=85, service=60, error_rate=4.6)
    data_1, data_2 = await _generate(gql, cohort, 0)
    (review,) = await _generate(gql, cohort, 1)
    due = (TODAY + timedelta(days=60)).isoformat()

    accepted = await gql.mutate(
        ACCEPT, "developmentRecommendationAccept", input={"recommendationId": data_1["id"], "dueDate": due}
    )
    assert accepted["recommendation"]["status"] == "ACCEPTED"
    assert accepted["recommendation"]["decidedBy"] == "hr.admin@bank.example"
    item = accepted["planItem"]
    assert (item["kind"], item["status"], item["dueDate"], item["programme"]["key"]) == (
        "TRAINING",
        "PLANNED",
        due,
        "DATA-1",
    )

    rejected = await gql.mutate(
        REJECT,
        "developmentRecommendationReject",
        input={"recommendationId": data_2["id"], "reason": "DATA-1 covers it"},
    )
    assert rejected["recommendation"]["status"] == "REJECTED" and rejected["planItem"] is None

    # edited on acceptance: a process review becomes a plan item with HR's notes
    edited = await gql.mutate(
        ACCEPT,
        "developmentRecommendationAccept",
        input={"recommendationId": review["id"], "dueDate": due, "notes": "Review the cash-count checklist"},
    )
    assert (
        edited["planItem"]["kind"] == "PROCESS_REVIEW"
        and edited["planItem"]["notes"] == "Review the cash-count checklist"
    )

    # deciding twice, or generating again, changes nothing decided
    errors = await refused(
        gql, REJECT, "developmentRecommendationReject", input={"recommendationId": data_1["id"], "reason": "x"}
    )
    assert codes(errors) == ["ALREADY_DECIDED"]
    assert await _generate(gql, cohort, 0) == []
    assert await row_count(DevelopmentRecommendation) == 3
    plan = (await gql(PLAN, id=employee_gid(cohort, 0)))["node"]
    assert plan["developmentPlan"]["totalCount"] == 1
    assert sorted(edge["node"]["status"] for edge in plan["developmentRecommendations"]["edges"]) == [
        "ACCEPTED",
        "REJECTED",
    ]

    # accepting with another programme is an edit; a programme already planned is refused
    await _set_evidence(cohort, 2, numeracy=30, service=60, error_rate=1.9)
    third_1, _third_2 = await _generate(gql, cohort, 2)
    swapped = await gql.mutate(
        ACCEPT,
        "developmentRecommendationAccept",
        input={
            "recommendationId": third_1["id"],
            "dueDate": due,
            "programmeId": global_id("TrainingProgramme", programmes["SERV-1"]),
        },
    )
    assert swapped["planItem"]["programme"]["key"] == "SERV-1"
    errors = await refused(
        gql,
        ITEM_CREATE,
        "developmentPlanItemCreate",
        input={
            "employeeId": employee_gid(cohort, 2),
            "programmeId": global_id("TrainingProgramme", programmes["SERV-1"]),
            "dueDate": due,
        },
    )
    assert codes(errors) == ["ALREADY_EXISTS"]

    async with read_session() as session:
        actions = (await session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id)))).all()
    assert actions.count("development_recommendation.generate") == 4
    assert actions.count("development_recommendation.accept") == 3
    assert actions.count("development_recommendation.reject") == 1


async def test_plan_items_are_refused_for_departed_or_erased_employees(gql):
    cohort, programmes = await _world()
    due = (TODAY + timedelta(days=30)).isoformat()
    programme = global_id("TrainingProgramme", programmes["DATA-1"])
    item = (
        await gql.mutate(
            ITEM_CREATE,
            "developmentPlanItemCreate",
            input={"employeeId": employee_gid(cohort, 0), "programmeId": programme, "dueDate": due},
        )
    )["planItem"]
    departed = await gql.mutate(
        DEPART,
        "employeeDepartureRecord",
        input={"employeeId": employee_gid(cohort, 0), "departedOn": (TODAY - timedelta(days=1)).isoformat()},
    )
    assert departed["employee"]["departedOn"] == (TODAY - timedelta(days=1)).isoformat()
    plan = (await gql(PLAN, id=employee_gid(cohort, 0)))["node"]["developmentPlan"]["edges"]
    assert [edge["node"]["status"] for edge in plan] == ["CANCELLED"]  # open items end with the employment
    listed = await gql("{ employees(first: 10) { edges { node { employeeNumber departedOn } } } }")
    assert {edge["node"]["employeeNumber"]: edge["node"]["departedOn"] for edge in listed["employees"]["edges"]} == {
        "E11-0": (TODAY - timedelta(days=1)).isoformat(),
        "E11-1": None,
        "E11-2": None,
    }
    errors = await refused(
        gql,
        ITEM_CREATE,
        "developmentPlanItemCreate",
        input={"employeeId": employee_gid(cohort, 0), "programmeId": programme, "dueDate": due},
    )
    assert codes(errors) == ["EMPLOYEE_NOT_ACTIVE"] and "left on" in errors[0]["message"]
    errors = await refused(
        gql, ITEM_UPDATE, "developmentPlanItemUpdate", input={"planItemId": item["id"], "status": "PLANNED"}
    )
    assert codes(errors) == ["EMPLOYEE_NOT_ACTIVE"]
    errors = await refused(
        gql, GENERATE, "developmentRecommendationsGenerate", input={"employeeId": employee_gid(cohort, 0)}
    )
    assert codes(errors) == ["EMPLOYEE_NOT_ACTIVE"]

    async with unit_of_work() as uow:
        await uow.session.exec(
            update(models.Candidate)
            .where(col(models.Candidate.id) == cohort.candidate_ids[1])
            .values(erased_at=utcnow())
        )
    errors = await refused(
        gql,
        ITEM_CREATE,
        "developmentPlanItemCreate",
        input={"employeeId": employee_gid(cohort, 1), "programmeId": programme, "dueDate": due},
    )
    assert codes(errors) == ["EMPLOYEE_NOT_ACTIVE"] and "erased" in errors[0]["message"]

    past = (TODAY - timedelta(days=1)).isoformat()
    errors = await refused(
        gql,
        ITEM_CREATE,
        "developmentPlanItemCreate",
        input={"employeeId": employee_gid(cohort, 2), "programmeId": programme, "dueDate": past},
    )
    assert codes(errors) == ["INVALID"]


async def test_hr_records_completions_one_by_one(gql):
    cohort, programmes = await _world()
    due = (TODAY + timedelta(days=30)).isoformat()
    data_1 = global_id("TrainingProgramme", programmes["DATA-1"])
    data_2 = global_id("TrainingProgramme", programmes["DATA-2"])
    employee = employee_gid(cohort, 0)
    item = (
        await gql.mutate(
            ITEM_CREATE,
            "developmentPlanItemCreate",
            input={"employeeId": employee, "programmeId": data_1, "dueDate": due},
        )
    )["planItem"]
    moved = await gql.mutate(
        ITEM_UPDATE, "developmentPlanItemUpdate", input={"planItemId": item["id"], "status": "IN_PROGRESS"}
    )
    assert moved["planItem"]["status"] == "IN_PROGRESS"
    errors = await refused(
        gql, ITEM_UPDATE, "developmentPlanItemUpdate", input={"planItemId": item["id"], "status": "COMPLETED"}
    )
    assert codes(errors) == ["ILLEGAL_TRANSITION"]

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    errors = await refused(
        gql,
        COMPLETE,
        "trainingCompletionRecord",
        input={"employeeId": employee, "programmeId": data_1, "completedOn": tomorrow},
    )
    assert codes(errors) == ["DATE_IN_FUTURE"]
    errors = await refused(
        gql,
        COMPLETE,
        "trainingCompletionRecord",
        input={"employeeId": employee, "programmeId": data_2, "completedOn": yesterday},
    )
    assert codes(errors) == ["NOT_IN_PLAN"]
    errors = await refused(
        gql,
        COMPLETE,
        "trainingCompletionRecord",
        input={"employeeId": employee, "programmeId": data_1, "completedOn": "2025-06-01"},
    )
    assert codes(errors) == ["INVALID"]  # before the employee started

    done = await gql.mutate(
        COMPLETE,
        "trainingCompletionRecord",
        input={"employeeId": employee, "programmeId": data_1, "completedOn": yesterday},
    )
    assert (done["planItem"]["status"], done["planItem"]["completedOn"], done["planItem"]["completionSource"]) == (
        "COMPLETED",
        yesterday,
        "hr",
    )
    before = await all_row_counts()
    again = await gql.mutate(
        COMPLETE,
        "trainingCompletionRecord",
        input={"employeeId": employee, "programmeId": data_1, "completedOn": yesterday},
    )
    assert again["planItem"]["id"] == item["id"]
    assert await all_row_counts() == before  # the same completion again writes nothing, not even an audit event
    other_day = (TODAY - timedelta(days=3)).isoformat()
    errors = await refused(
        gql,
        COMPLETE,
        "trainingCompletionRecord",
        input={"employeeId": employee, "programmeId": data_1, "completedOn": other_day},
    )
    assert codes(errors) == ["ALREADY_EXISTS"]


async def test_lms_completions_import_is_idempotent_with_row_errors():
    hr = GraphQLClient()
    cohort, programmes = await _world()
    due = (TODAY + timedelta(days=30)).isoformat()
    for index in (0, 1):
        await hr.mutate(
            ITEM_CREATE,
            "developmentPlanItemCreate",
            input={
                "employeeId": employee_gid(cohort, index),
                "programmeId": global_id("TrainingProgramme", programmes["DATA-1"]),
                "dueDate": due,
            },
        )
    numbers = [f"E11-{index}" for index in range(3)]
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    rows = [
        {"employeeNumber": numbers[0], "programmeKey": "DATA-1", "completedOn": yesterday},
        {"employeeNumber": numbers[1], "programmeKey": "DATA-2", "completedOn": yesterday},  # not in the plan
        {
            "employeeNumber": numbers[1],
            "programmeKey": "DATA-1",
            "completedOn": (TODAY + timedelta(days=2)).isoformat(),
        },
        {"employeeNumber": "E-404", "programmeKey": "NOPE", "completedOn": yesterday},
        {"employeeNumber": numbers[0], "programmeKey": "DATA-1", "completedOn": yesterday},  # the same row twice
    ]
    lms = GraphQLClient(service("lms-1", ["learning:write"]))
    first = (
        await lms.mutate(
            IMPORT, "trainingCompletionsImport", input={"idempotencyKey": "lms-batch-1", "completions": rows}
        )
    )["completionImport"]
    assert (
        first["replayed"],
        first["rowsReceived"],
        first["rowsWritten"],
        first["rowsUnchanged"],
        first["rowsRefused"],
    ) == (False, 5, 1, 0, 4)
    assert [(error["row"], error["field"], error["code"]) for error in first["rowErrors"]] == [
        (2, "programmeKey", "NOT_IN_PLAN"),
        (3, "completedOn", "DATE_IN_FUTURE"),
        (4, "employeeNumber", "NOT_FOUND"),
        (4, "programmeKey", "NOT_FOUND"),
        (5, None, "DUPLICATE_ROW"),
    ]
    assert len(first["planItemIds"]) == 1

    before = await all_row_counts()
    replay = (
        await lms.mutate(
            IMPORT, "trainingCompletionsImport", input={"idempotencyKey": "lms-batch-1", "completions": rows}
        )
    )["completionImport"]
    assert replay["replayed"] is True and replay["rowsWritten"] == 1 and replay["planItemIds"] == first["planItemIds"]
    assert await all_row_counts() == before

    errors = await refused(
        lms, IMPORT, "trainingCompletionsImport", input={"idempotencyKey": "lms-batch-1", "completions": rows[:1]}
    )
    assert codes(errors) == ["IDEMPOTENCY_KEY_REUSED"]

    # a new batch repeating a recorded completion counts it as unchanged: nothing is counted twice
    second = (
        await lms.mutate(
            IMPORT, "trainingCompletionsImport", input={"idempotencyKey": "lms-batch-2", "completions": rows[:1]}
        )
    )["completionImport"]
    assert (second["rowsWritten"], second["rowsUnchanged"], second["rowsRefused"]) == (0, 1, 0)
    async with read_session() as session:
        completed = (
            await session.exec(select(DevelopmentPlanItem).where(DevelopmentPlanItem.completion_source == "lms"))
        ).all()
        imports = (
            await session.exec(select(AuditEvent.details).where(AuditEvent.action == "training_completion.import"))
        ).all()
    assert [item.completed_on for item in completed] == [TODAY - timedelta(days=1)]
    assert [details["rows_written"] for details in imports] == [1, 0]
    assert await row_count(TrainingCompletionImport) == 2

    for actor in (
        service("erp-5", ["kpi:write"]),
        service("hr-bi", ["employees:read"]),
        person("rec-1", ["recruiter"]),
    ):
        result = await GraphQLClient(actor).execute(IMPORT, input={"idempotencyKey": "x", "completions": rows[:1]})
        assert [error.extensions["code"] for error in result.errors] == ["FORBIDDEN"], actor


async def test_plans_are_read_with_the_same_rights_as_kpi_records(gql):
    cohort, programmes = await _world(1)
    await gql.mutate(
        ITEM_CREATE,
        "developmentPlanItemCreate",
        input={
            "employeeId": employee_gid(cohort, 0),
            "programmeId": global_id("TrainingProgramme", programmes["DATA-1"]),
            "dueDate": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    kpi_query = "query($id: ID!) { node(id: $id) { ... on Employee { kpiAssignments { edges { node { records { totalCount } } } } } } }"
    allowed = set()
    for name, actor in (
        ("auditor", person("audit-1", ["auditor"])),
        ("recruiter", person("rec-1", ["recruiter"])),
        ("hiring_manager", person("hm-1", ["hiring_manager"])),
        ("employees:read", service("hr-bi", ["employees:read"])),
        ("kpi:write", service("erp-5", ["kpi:write"])),
        ("learning:write", service("lms-1", ["learning:write"])),
        ("reports:read", service("ats-1", ["candidates:read", "reports:read"])),
    ):
        client = GraphQLClient(actor)
        kpi = await client.execute(kpi_query, id=employee_gid(cohort, 0))
        plan = await client.execute(PLAN, id=employee_gid(cohort, 0))
        assert (kpi.errors is None) == (plan.errors is None), name
        if plan.errors is None:
            allowed.add(name)
            assert plan.data["node"]["developmentPlan"]["totalCount"] == 1, name
        else:
            assert {error.extensions["code"] for error in plan.errors} == {"FORBIDDEN"}, name
    assert allowed == {"auditor", "employees:read", "kpi:write"}
    item_id = (await gql(PLAN, id=employee_gid(cohort, 0)))["node"]["developmentPlan"]["edges"][0]["node"]["id"]
    looked_up = await GraphQLClient(person("rec-1", ["recruiter"])).execute(
        "query($id: ID!) { node(id: $id) { id } }", id=item_id
    )
    assert looked_up.errors and looked_up.errors[0].extensions["code"] == "FORBIDDEN"


async def test_a_concurrent_retry_of_a_completions_import_replays_the_first_result(gql):
    """The LMS times out and sends the same batch again while the first is still running: one writes, one replays."""
    import asyncio

    cohort, programmes = await _world(2)
    for index in (0, 1):
        await gql.mutate(
            ITEM_CREATE,
            "developmentPlanItemCreate",
            input={
                "employeeId": employee_gid(cohort, index),
                "programmeId": global_id("TrainingProgramme", programmes["DATA-1"]),
                "dueDate": (TODAY + timedelta(days=30)).isoformat(),
            },
        )
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    rows = [{"employeeNumber": f"E11-{index}", "programmeKey": "DATA-1", "completedOn": yesterday} for index in (0, 1)]
    lms = GraphQLClient(service("lms-1", ["learning:write"]))
    variables = {"input": {"idempotencyKey": "lms-retry", "completions": rows}}
    answers = await asyncio.gather(*(lms.mutate(IMPORT, "trainingCompletionsImport", **variables) for _ in range(2)))
    results = sorted((answer["completionImport"] for answer in answers), key=lambda result: result["replayed"])
    assert [result["replayed"] for result in results] == [False, True]
    assert results[1] == results[0] | {"replayed": True} and results[0]["rowsWritten"] == 2
    assert await row_count(TrainingCompletionImport) == 1
    async with read_session() as session:
        events = (
            await session.exec(select(AuditEvent.id).where(AuditEvent.action == "training_completion.import"))
        ).all()
    assert len(events) == 1
