"""What a correct answer must show, read straight from the generated database (plain SQL, none of hrgate's code):
the ids the queries take, and counts the answers are checked against before their times count."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from .shape import MAIN_VERSION, PREDICTED_KPI

LARGE_REQUISITION_ID = 1


@dataclass(frozen=True)
class Expected:
    main_version_id: int
    predicted_kpi_id: int
    large_requisition_id: int
    dimension_keys: list[str]
    """The main version's dimensions, by position."""
    links: set[tuple[str, str]]
    """(dimension key, KPI key) of the main version."""
    version_applications: int
    version_requisitions: int
    version_hired: int
    large_applications: int
    large_hired: int
    large_scored: int
    """Applications of the large requisition with a scored report (one latest report each)."""
    version_scored: int
    hires_with_predicted_kpi: int
    """Hires of the main version with records of the predicted KPI: the most a regression can use."""


async def read_expected(base_dsn: str, database: str) -> Expected:
    connection = await asyncpg.connect(f"{base_dsn}/{database}")
    try:
        version_id = await connection.fetchval(
            "SELECT v.id FROM competency_model_version AS v JOIN competency_model AS m ON m.id = v.model_id"
            " WHERE m.key = $1 AND v.version = $2",
            MAIN_VERSION.model_key, MAIN_VERSION.version,
        )  # fmt: skip
        kpi_id = await connection.fetchval("SELECT id FROM kpi_definition WHERE key = $1", PREDICTED_KPI)
        keys = [row["key"] for row in await connection.fetch(
            "SELECT key FROM dimension WHERE model_version_id = $1 ORDER BY position", version_id)]  # fmt: skip
        links = {(row["dimension_key"], row["kpi_key"]) for row in await connection.fetch(
            "SELECT d.key AS dimension_key, k.key AS kpi_key FROM dimension_kpi_link AS l"
            " JOIN dimension AS d ON d.id = l.dimension_id JOIN kpi_definition AS k ON k.id = l.kpi_id"
            " WHERE d.model_version_id = $1", version_id)}  # fmt: skip
        version = await connection.fetchrow(
            "SELECT count(*) AS applications, count(DISTINCT a.requisition_id) AS requisitions,"
            " count(*) FILTER (WHERE a.stage = 'hired') AS hired,"
            " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM interview AS i JOIN interview_report AS r"
            "   ON r.interview_id = i.id WHERE i.application_id = a.id AND r.total IS NOT NULL)) AS scored"
            " FROM application AS a JOIN requisition AS q ON q.id = a.requisition_id"
            " WHERE q.competency_model_version_id = $1",
            version_id,
        )
        large = await connection.fetchrow(
            "SELECT count(*) AS applications, count(*) FILTER (WHERE a.stage = 'hired') AS hired,"
            " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM interview AS i JOIN interview_report AS r"
            "   ON r.interview_id = i.id WHERE i.application_id = a.id AND r.total IS NOT NULL)) AS scored"
            " FROM application AS a WHERE a.requisition_id = $1",
            LARGE_REQUISITION_ID,
        )
        hires_with_kpi = await connection.fetchval(
            "SELECT count(DISTINCT e.id) FROM employee AS e JOIN application AS a ON a.id = e.application_id"
            " JOIN requisition AS q ON q.id = a.requisition_id JOIN kpi_assignment AS ka ON ka.employee_id = e.id"
            " JOIN kpi_record AS kr ON kr.assignment_id = ka.id"
            " WHERE q.competency_model_version_id = $1 AND ka.kpi_id = $2",
            version_id, kpi_id,
        )  # fmt: skip
    finally:
        await connection.close()
    return Expected(
        main_version_id=version_id,
        predicted_kpi_id=kpi_id,
        large_requisition_id=LARGE_REQUISITION_ID,
        dimension_keys=keys,
        links=links,
        version_applications=version["applications"],
        version_requisitions=version["requisitions"],
        version_hired=version["hired"],
        large_applications=large["applications"],
        large_hired=large["hired"],
        large_scored=large["scored"],
        version_scored=version["scored"],
        hires_with_predicted_kpi=hires_with_kpi,
    )
