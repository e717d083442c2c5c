"""Bulk KPI actuals (``kpiRecordsImport``, ``kpiRecordsImportCsv``): written rows, replays, every bad-row
kind, CSV parsing (BOM, Chinese text, CRLF), import-level refusals and who may import."""

from __future__ import annotations

from sqlmodel import select

from gateway.db import read_session
from gateway.models import AuditEvent, KpiRecord
from gateway.models.analytics import KpiImport
from resolvers.services import kpi_import as kpi_import_service
from resolvers.services.audit import person, service
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import all_row_counts, global_id, node_id, row_count
from tests.feedback_schema import error_codes
from tests.graphql_client import GraphQLClient

IMPORT = f"""
mutation($input: KpiRecordsImportInput!) {{
  kpiRecordsImport(input: $input) {{
    kpiImport {{
      idempotencyKey source replayed rowsReceived rowsWritten rowsUnchanged rowsRefused recordIds
      rowErrors {{ row field code message }}
    }}
    {factories.ERRORS}
  }}
}}"""

IMPORT_CSV = f"""
mutation($input: KpiRecordsImportCsvInput!) {{
  kpiRecordsImportCsv(input: $input) {{
    kpiImport {{
      idempotencyKey source replayed rowsReceived rowsWritten rowsUnchanged rowsRefused recordIds
      rowErrors {{ row field code message }}
    }}
    {factories.ERRORS}
  }}
}}"""


async def _workforce(gql) -> dict:
    """Two hired tellers measured on a monthly error rate and a quarterly satisfaction score; one KPI unassigned."""
    model = await factories.create_model(gql)
    error_rate = await factories.create_kpi(gql, "error_rate", period_kind="MONTH")
    satisfaction = await factories.create_kpi(gql, "satisfaction")
    loan_volume = await factories.create_kpi(gql, "loan_volume")
    await factories.link(gql, model["dimension_ids"]["numeracy"], error_rate)
    await factories.link(gql, model["dimension_ids"]["service"], satisfaction)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=2)
    employees = [await factories.hire(gql, await factories.application_at_offer(gql, requisition_id)) for _ in range(2)]
    return {
        "error_rate": error_rate,
        "satisfaction": satisfaction,
        "loan_volume": loan_volume,
        "employees": [employee["id"] for employee in employees],
        "numbers": [employee["employeeNumber"] for employee in employees],
    }


def _record(employee_id: str, kpi_id: str, period: str, actual: float, target: float | None = None) -> dict:
    return {"employeeId": employee_id, "kpiId": kpi_id, "period": period, "actual": actual, "target": target}


async def _stored_records() -> list[tuple[int, str, float, float | None]]:
    async with read_session() as session:
        rows = await session.exec(select(KpiRecord).order_by(KpiRecord.assignment_id, KpiRecord.period))
        return [(row.assignment_id, row.period, row.actual, row.target) for row in rows]


async def test_import_writes_every_row_and_a_replay_writes_nothing(gql):
    world = await _workforce(gql)
    first, second = world["employees"]
    records = [
        _record(first, world["error_rate"], "2026-09", 0.8, 1.0),
        _record(first, world["satisfaction"], "2026-Q3", 92.5),
        _record(second, world["error_rate"], "2026-09", 1.2, 1.0),
    ]
    client = GraphQLClient()
    payload = await client.mutate(
        IMPORT, "kpiRecordsImport", input={"idempotencyKey": "sap-2026-09", "records": records}
    )
    result = payload["kpiImport"]
    assert result | {"recordIds": None} == {
        "idempotencyKey": "sap-2026-09",
        "source": "mutation",
        "replayed": False,
        "rowsReceived": 3,
        "rowsWritten": 3,
        "rowsUnchanged": 0,
        "rowsRefused": 0,
        "recordIds": None,
        "rowErrors": [],
    }
    assert len(result["recordIds"]) == 3
    stored = await _stored_records()
    assert sorted((period, actual, target) for _, period, actual, target in stored) == [
        ("2026-09", 0.8, 1.0),
        ("2026-09", 1.2, 1.0),
        ("2026-Q3", 92.5, None),
    ]
    async with read_session() as session:
        (event,) = (await session.exec(select(AuditEvent).where(AuditEvent.action == "kpi.import"))).all()
    assert event.details["rows_written"] == 3 and event.details["source"] == "mutation"

    before = await all_row_counts()
    replay = await client.mutate(
        IMPORT, "kpiRecordsImport", input={"idempotencyKey": "sap-2026-09", "records": records}
    )
    assert replay["kpiImport"] == result | {"replayed": True}
    assert await all_row_counts() == before
    assert await _stored_records() == stored

    # The same rows under a new key: recognised record by record, nothing counted twice.
    again = await client.mutate(IMPORT, "kpiRecordsImport", input={"idempotencyKey": "sap-resend", "records": records})
    assert again["kpiImport"]["rowsWritten"] == 0 and again["kpiImport"]["rowsUnchanged"] == 3
    assert again["kpiImport"]["rowErrors"] == []
    assert await row_count(KpiRecord) == 3 and await row_count(KpiImport) == 2


async def test_the_same_key_with_other_content_is_refused(gql):
    world = await _workforce(gql)
    client = GraphQLClient()
    record = _record(world["employees"][0], world["error_rate"], "2026-09", 0.8)
    await client.mutate(IMPORT, "kpiRecordsImport", input={"idempotencyKey": "batch-7", "records": [record]})
    errors = await refused(
        client,
        IMPORT,
        "kpiRecordsImport",
        input={"idempotencyKey": "batch-7", "records": [record | {"actual": 0.9}]},
    )
    assert codes(errors) == ["IDEMPOTENCY_KEY_REUSED"] and errors[0]["field"] == "idempotencyKey"
    csv_errors = await refused(
        client,
        IMPORT_CSV,
        "kpiRecordsImportCsv",
        input={"idempotencyKey": "batch-7", "csv": "employee_number,kpi_key,period,actual\n"},
    )
    assert codes(csv_errors) == ["IDEMPOTENCY_KEY_REUSED"]
    blank = await refused(client, IMPORT, "kpiRecordsImport", input={"idempotencyKey": "  ", "records": [record]})
    assert codes(blank) == ["INVALID"] and blank[0]["field"] == "idempotencyKey"


async def test_bad_rows_are_reported_row_by_row_and_good_rows_kept(gql):
    world = await _workforce(gql)
    first, second = world["employees"]
    client = GraphQLClient()
    await client.mutate(
        IMPORT,
        "kpiRecordsImport",
        input={
            "idempotencyKey": "earlier",
            "records": [
                _record(first, world["error_rate"], "2026-08", 0.5),
                _record(second, world["error_rate"], "2026-08", 0.7),
            ],
        },
    )
    records = [
        _record(first, world["error_rate"], "2026-09", 0.8),  # 1 good
        _record(first, world["error_rate"], "2099-01", 0.8),  # 2 future period
        _record(first, world["error_rate"], "2026-Q3", 0.8),  # 3 quarter for a monthly KPI
        _record(first, global_id("KpiDefinition", 999), "2026-09", 0.8),  # 4 unknown KPI
        _record(global_id("Employee", 999), world["error_rate"], "2026-09", 0.8),  # 5 unknown employee
        _record(first, world["loan_volume"], "2026-Q3", 10.0),  # 6 KPI not assigned
        _record(first, world["error_rate"], "2026-09", 0.9),  # 7 duplicate of row 1
        _record("not-an-id", world["satisfaction"], "2026-Q3", 1.0),  # 8 malformed ID
        _record(first, global_id("Employee", 1), "2026-Q3", 1.0),  # 9 ID of the wrong type
        _record(first, world["error_rate"], "2026-08", 0.6),  # 10 recorded before with another value
        _record(second, world["error_rate"], "2026-08", 0.7),  # 11 recorded before with the same value
        _record(second, world["satisfaction"], "2026-Q3", 88.0),  # 12 good
    ]
    before = await row_count(KpiRecord)
    payload = await client.mutate(IMPORT, "kpiRecordsImport", input={"idempotencyKey": "mixed", "records": records})
    result = payload["kpiImport"]
    assert (result["rowsReceived"], result["rowsWritten"], result["rowsUnchanged"], result["rowsRefused"]) == (
        12,
        2,
        1,
        9,
    )
    assert [(error["row"], error["field"], error["code"]) for error in result["rowErrors"]] == [
        (2, "period", "INVALID_PERIOD"),
        (3, "period", "INVALID_PERIOD"),
        (4, "kpiId", "NOT_FOUND"),
        (5, "employeeId", "NOT_FOUND"),
        (6, "kpiId", "KPI_NOT_ASSIGNED"),
        (7, None, "DUPLICATE_ROW"),
        (8, "employeeId", "INVALID_ID"),
        (9, "kpiId", "WRONG_TYPE"),
        (10, "period", "ALREADY_EXISTS"),
    ]
    assert "has not started" in result["rowErrors"][0]["message"]
    assert "2026-09" in result["rowErrors"][1]["message"]
    assert "row 1" in result["rowErrors"][5]["message"]
    assert await row_count(KpiRecord) == before + 2
    written = {node_id(record_id) for record_id in result["recordIds"]}
    async with read_session() as session:
        rows = (await session.exec(select(KpiRecord).where(KpiRecord.id.in_(written)))).all()
    assert sorted((row.period, row.actual) for row in rows) == [("2026-09", 0.8), ("2026-Q3", 88.0)]
    # The record written before keeps its value: a differing row never overwrites it.
    async with read_session() as session:
        august = (await session.exec(select(KpiRecord.actual).where(KpiRecord.period == "2026-08"))).all()
    assert sorted(august) == [0.5, 0.7]


async def test_more_than_the_row_limit_refuses_the_whole_import(gql):
    world = await _workforce(gql)
    client = GraphQLClient()
    record = _record(world["employees"][0], world["error_rate"], "2026-09", 0.8)
    too_many = [record] * (kpi_import_service.MAX_ROWS + 1)
    errors = await refused(client, IMPORT, "kpiRecordsImport", input={"idempotencyKey": "huge", "records": too_many})
    assert codes(errors) == ["TOO_MANY_ROWS"] and errors[0]["field"] == "records"
    rows = "".join(f"{world['numbers'][0]},error_rate,2026-09,,0.8\n" for _ in range(kpi_import_service.MAX_ROWS + 1))
    csv_errors = await refused(
        client,
        IMPORT_CSV,
        "kpiRecordsImportCsv",
        input={"idempotencyKey": "huge-csv", "csv": "employee_number,kpi_key,period,target,actual\n" + rows},
    )
    assert codes(csv_errors) == ["TOO_MANY_ROWS"] and csv_errors[0]["field"] == "csv"


async def test_csv_with_excel_bom_chinese_columns_and_crlf(gql):
    world = await _workforce(gql)
    first, second = world["numbers"]
    csv_text = (
        "\ufeff姓名,kpi_key,employee_number,period,actual,target,备注\r\n"
        f"王小明,error_rate,{first},2026-09,0.8,1.0,按时完成\r\n"
        f"李雷,satisfaction,{second},2026-Q3,91,,客户满意度调查\r\n"
        "\r\n"
        "张三,error_rate,张三01,2026-09,0.5,,未入职\r\n"
    )
    client = GraphQLClient()
    payload = await client.mutate(
        IMPORT_CSV, "kpiRecordsImportCsv", input={"idempotencyKey": "hr-九月", "csv": csv_text}
    )
    result = payload["kpiImport"]
    assert (result["source"], result["rowsReceived"], result["rowsWritten"], result["rowsRefused"]) == ("csv", 3, 2, 1)
    (error,) = result["rowErrors"]
    assert (error["row"], error["field"], error["code"]) == (5, "employee_number", "NOT_FOUND")
    assert "张三01" in error["message"]
    assert sorted((period, actual, target) for _, period, actual, target in await _stored_records()) == [
        ("2026-09", 0.8, 1.0),
        ("2026-Q3", 91.0, None),
    ]
    before = await all_row_counts()
    # The same file saved without the BOM is the same content: a replay.
    replay = await client.mutate(
        IMPORT_CSV, "kpiRecordsImportCsv", input={"idempotencyKey": "hr-九月", "csv": csv_text.removeprefix("\ufeff")}
    )
    assert replay["kpiImport"] == result | {"replayed": True}
    assert await all_row_counts() == before


async def test_csv_cells_that_are_not_finite_numbers_and_short_rows(gql):
    world = await _workforce(gql)
    number = world["numbers"][0]
    csv_text = (
        "employee_number,kpi_key,period,target,actual\n"
        f"{number},error_rate,2026-01,,lots\n"
        f"{number},error_rate,2026-02,,NaN\n"
        f"{number},error_rate,2026-03,inf,0.5\n"
        f"{number},error_rate,2026-04,,\n"
        f"{number},error_rate,2026-05\n"
        f"{number},no_such_kpi,2026-06,,0.5\n"
        f"{number},loan_volume,2026-Q2,,0.5\n"
        f"{number},error_rate,2026/07,,0.5\n"
        f"{number},error_rate,2026-07,1,0.4\n"
    )
    client = GraphQLClient()
    payload = await client.mutate(IMPORT_CSV, "kpiRecordsImportCsv", input={"idempotencyKey": "cells", "csv": csv_text})
    result = payload["kpiImport"]
    assert [(error["row"], error["field"], error["code"]) for error in result["rowErrors"]] == [
        (2, "actual", "INVALID"),
        (3, "actual", "INVALID"),
        (4, "target", "INVALID"),
        (5, "actual", "REQUIRED"),
        (6, None, "INVALID"),
        (7, "kpi_key", "NOT_FOUND"),
        (8, "kpi_key", "KPI_NOT_ASSIGNED"),
        (9, "period", "INVALID_PERIOD"),
    ]
    assert result["rowsWritten"] == 1 and await row_count(KpiRecord) == 1


async def test_csv_without_the_required_header_is_refused(gql):
    client = GraphQLClient()
    for csv_text in ("", "employee,kpi,period,actual\nE1,error_rate,2026-09,1\n"):
        errors = await refused(
            client, IMPORT_CSV, "kpiRecordsImportCsv", input={"idempotencyKey": "no-header", "csv": csv_text}
        )
        assert codes(errors) == ["INVALID"] and errors[0]["field"] == "csv"
        assert "employee_number,kpi_key,period,target,actual".replace(",", ", ") in errors[0]["message"]


async def test_non_finite_numbers_are_refused_by_the_service(gql):
    """GraphQL already refuses NaN and infinities in Float; the service checks again for other callers."""
    world = await _workforce(gql)
    from gateway.db import unit_of_work

    rows = [
        kpi_import_service.ImportRow(
            row=1,
            employee_id=node_id(world["employees"][0]),
            kpi_id=node_id(world["error_rate"]),
            period="2026-09",
            actual=float("inf"),
        )
    ]
    async with unit_of_work() as uow:
        result = await kpi_import_service.import_kpi_records(
            rows,
            idempotency_key="direct",
            source="mutation",
            fingerprint=kpi_import_service.request_fingerprint("mutation", "direct"),
            session=uow.session,
            actor=service("erp", ["kpi:write"]),
        )
    assert [(error.row, error.field, error.code.value) for error in result.row_errors] == [(1, "actual", "invalid")]
    assert await row_count(KpiRecord) == 0


async def test_who_may_import(gql):
    world = await _workforce(gql)
    record = _record(world["employees"][0], world["error_rate"], "2026-09", 0.8)
    connector = GraphQLClient(service("sap-hr", ["kpi:write"]))
    payload = await connector.mutate(IMPORT, "kpiRecordsImport", input={"idempotencyKey": "sap", "records": [record]})
    assert payload["kpiImport"]["rowsWritten"] == 1
    csv_text = f"employee_number,kpi_key,period,actual\n{world['numbers'][1]},error_rate,2026-09,0.3\n"
    for principal in (
        service("erp-reader", ["requisitions:read"]),
        service("erp-employees", ["employees:read"]),
        person("recruiter-1", ["recruiter"]),
        person("auditor-1", ["auditor"]),
    ):
        before = await all_row_counts()
        client = GraphQLClient(principal)
        pushed = await client.execute(IMPORT, input={"idempotencyKey": "x", "records": [record]})
        uploaded = await client.execute(IMPORT_CSV, input={"idempotencyKey": "y", "csv": csv_text})
        assert error_codes(pushed) == ["FORBIDDEN"] and error_codes(uploaded) == ["FORBIDDEN"], principal
        assert await all_row_counts() == before


async def test_periods_that_ended_before_the_start_date_are_row_errors(gql):
    """Hired 2026-03-01: February and 2025 are someone else's work; 2026-Q1 (joined part-way) is theirs."""
    world = await _workforce(gql)
    first, _ = world["employees"]
    number, _ = world["numbers"]
    client = GraphQLClient()
    records = [
        _record(first, world["error_rate"], "2026-02", 0.5),
        _record(first, world["error_rate"], "2026-03", 0.6),
        _record(first, world["satisfaction"], "2026-Q1", 90),
    ]
    payload = await client.mutate(IMPORT, "kpiRecordsImport", input={"idempotencyKey": "early", "records": records})
    result = payload["kpiImport"]
    assert (result["rowsWritten"], result["rowsRefused"]) == (2, 1)
    (error,) = result["rowErrors"]
    assert (error["row"], error["field"], error["code"]) == (1, "period", "INVALID_PERIOD")
    assert "start date 2026-03-01" in error["message"]

    csv_text = f"employee_number,kpi_key,period,actual\n{number},error_rate,2025-12,0.4\n"
    csv_result = (
        await client.mutate(IMPORT_CSV, "kpiRecordsImportCsv", input={"idempotencyKey": "early-csv", "csv": csv_text})
    )["kpiImport"]
    assert csv_result["rowsWritten"] == 0 and codes(csv_result["rowErrors"]) == ["INVALID_PERIOD"]
    assert csv_result["rowErrors"][0]["row"] == 2

    single = await refused(
        gql,
        factories.KPI_RECORD_CREATE,
        "kpiRecordCreate",
        input=_record(first, world["satisfaction"], "2025-Q4", 80),
    )
    assert codes(single) == ["INVALID_PERIOD"] and single[0]["field"] == "period"


async def test_a_concurrent_retry_with_the_same_key_replays_the_first_result(gql):
    """Two identical pushes at once (a connector's timeout and retry): one writes, the other replays it."""
    import asyncio

    world = await _workforce(gql)
    first, second = world["employees"]
    records = [
        _record(first, world["error_rate"], "2026-09", 0.8),
        _record(second, world["error_rate"], "2026-09", 1.1),
    ]
    variables = {"input": {"idempotencyKey": "sap-retry", "records": records}}
    client = GraphQLClient()
    answers = await asyncio.gather(*(client.mutate(IMPORT, "kpiRecordsImport", **variables) for _ in range(2)))
    results = sorted((answer["kpiImport"] for answer in answers), key=lambda result: result["replayed"])
    assert [result["replayed"] for result in results] == [False, True]
    assert results[1] == results[0] | {"replayed": True} and results[0]["rowsWritten"] == 2
    assert await row_count(KpiRecord) == 2 and await row_count(KpiImport) == 1
