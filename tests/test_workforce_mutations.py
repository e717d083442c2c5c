"""Hiring (employee, onboarding archive, KPI assignments) and KPI actuals: success and every error code."""

from __future__ import annotations

from gateway.models import Application, Interview, InterviewReport, KpiRecord
from gateway.models.enums import ApplicationStage
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import fetch, global_id, insert, row_count


async def _requisition_with_kpis(gql, headcount: int = 2, kpi_suffix: str = "") -> dict:
    model = await factories.create_model(gql)
    error_rate = await factories.create_kpi(gql, f"error_rate{kpi_suffix}", period_kind="MONTH")
    satisfaction = await factories.create_kpi(gql, f"satisfaction{kpi_suffix}")
    await factories.link(gql, model["dimension_ids"]["numeracy"], error_rate)
    await factories.link(gql, model["dimension_ids"]["service"], satisfaction)
    await factories.link(gql, model["dimension_ids"]["risk_awareness"], error_rate)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=headcount)
    return {**model, "requisition_id": requisition_id, "error_rate": error_rate, "satisfaction": satisfaction}


async def test_hire_builds_the_onboarding_archive_and_assigns_linked_kpis(gql):
    setup = await _requisition_with_kpis(gql)
    application_id = await factories.application_at_offer(gql, setup["requisition_id"])
    application = await fetch(Application, application_id)
    interview = (
        await insert(Interview(application_id=application.id, token_hash="f" * 64, expires_at=application.created_at))
    )[0]
    report = (
        await insert(
            InterviewReport(
                interview_id=interview.id,
                requisition_id=application.requisition_id,
                total=81.5,
                pipeline_version="test",
            )
        )
    )[0]
    employee = await factories.hire(gql, application_id)
    assert employee["department"] == "Retail Banking" and employee["positionTitle"] == "Branch Teller"
    archive = employee["onboardingArchive"]
    assert archive["resumeText"] == "3 years as teller"
    assert archive["backgroundCheck"] == {"status": "CLEAR", "provider": "TrustCheck"}
    assert archive["interviewReport"] == {"id": global_id("InterviewReport", report.id)}
    assignments = [edge["node"] for edge in employee["kpiAssignments"]["edges"]]
    assert [(a["kpi"]["key"], a["dimension"]["key"]) for a in assignments] == [
        ("error_rate", "numeracy"),
        ("satisfaction", "service"),
    ]
    assert (await fetch(Application, application_id)).stage is ApplicationStage.HIRED


async def test_hire_errors(gql):
    setup = await _requisition_with_kpis(gql, headcount=1)
    early = await factories.apply(gql, await factories.create_candidate(gql), setup["requisition_id"])
    not_at_offer = await refused(gql, factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(early))
    assert codes(not_at_offer) == ["ILLEGAL_TRANSITION"] and not_at_offer[0]["field"] == "applicationId"
    first = await factories.application_at_offer(gql, setup["requisition_id"])
    second = await factories.application_at_offer(gql, setup["requisition_id"])
    failed_check = factories.hire_input(first)
    failed_check["backgroundCheck"]["status"] = "FAILED"
    failed = await refused(gql, factories.EMPLOYEE_HIRE, "employeeHire", input=failed_check)
    assert codes(failed) == ["INVALID"] and failed[0]["field"] == "backgroundCheck.status"
    bad_number = await refused(
        gql, factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(first, employee_number="E 1/2")
    )
    assert codes(bad_number) == ["INVALID"] and bad_number[0]["field"] == "employeeNumber"
    await gql.mutate(factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(first, employee_number="E1"))
    filled = await refused(gql, factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(second))
    assert codes(filled) == ["HEADCOUNT_FILLED"]
    other = await _requisition_with_kpis(gql, kpi_suffix="_other")
    third = await factories.application_at_offer(gql, other["requisition_id"])
    taken = await refused(
        gql, factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(third, employee_number="E1")
    )
    assert codes(taken) == ["ALREADY_EXISTS"] and taken[0]["field"] == "employeeNumber"
    missing = await refused(
        gql, factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(global_id("Application", 999))
    )
    assert codes(missing) == ["NOT_FOUND"]


async def test_same_candidate_cannot_be_hired_twice(gql):
    first_req = await _requisition_with_kpis(gql)
    second_req = await _requisition_with_kpis(gql, kpi_suffix="_other")
    candidate_id = await factories.create_candidate(gql)
    applications = []
    for requisition_id in (first_req["requisition_id"], second_req["requisition_id"]):
        application_id = await factories.apply(gql, candidate_id, requisition_id)
        await factories.invite(gql, application_id)
        await factories.move(gql, application_id, "SECOND_INTERVIEW")
        await factories.move(gql, application_id, "OFFER")
        applications.append(application_id)
    await factories.hire(gql, applications[0])
    again = await refused(gql, factories.EMPLOYEE_HIRE, "employeeHire", input=factories.hire_input(applications[1]))
    assert codes(again) == ["ALREADY_EXISTS"] and again[0]["field"] == "applicationId"


async def test_record_kpi_actuals_and_errors(gql):
    setup = await _requisition_with_kpis(gql)
    employee_id = (await factories.hire(gql, await factories.application_at_offer(gql, setup["requisition_id"])))["id"]
    record = {
        "employeeId": employee_id,
        "kpiId": setup["error_rate"],
        "period": "2026-09",
        "actual": 0.8,
        "target": 1.0,
    }
    payload = await gql.mutate(factories.KPI_RECORD_CREATE, "kpiRecordCreate", input=record)
    assert payload["kpiRecord"] | {"id": None} == {"id": None, "period": "2026-09", "actual": 0.8, "target": 1.0}
    duplicate = await refused(gql, factories.KPI_RECORD_CREATE, "kpiRecordCreate", input=record)
    assert codes(duplicate) == ["ALREADY_EXISTS"] and duplicate[0]["field"] == "period"
    wrong_kind = await refused(
        gql, factories.KPI_RECORD_CREATE, "kpiRecordCreate", input={**record, "period": "2026-Q3"}
    )
    assert codes(wrong_kind) == ["INVALID_PERIOD"] and "2026-09" in wrong_kind[0]["message"]
    future = await refused(gql, factories.KPI_RECORD_CREATE, "kpiRecordCreate", input={**record, "period": "2099-01"})
    assert codes(future) == ["INVALID_PERIOD"]
    not_assigned_kpi = await factories.create_kpi(gql, "loan_volume")
    not_assigned = await refused(
        gql, factories.KPI_RECORD_CREATE, "kpiRecordCreate", input={**record, "kpiId": not_assigned_kpi}
    )
    assert codes(not_assigned) == ["KPI_NOT_ASSIGNED"]
    missing = await refused(
        gql, factories.KPI_RECORD_CREATE, "kpiRecordCreate", input={**record, "employeeId": global_id("Employee", 999)}
    )
    assert codes(missing) == ["NOT_FOUND"] and missing[0]["field"] == "employeeId"
    not_a_number = await gql.execute(
        factories.KPI_RECORD_CREATE, input={**record, "period": "2026-08", "actual": "lots"}
    )
    assert not_a_number.errors and not_a_number.data is None
    assert await row_count(KpiRecord) == 1
