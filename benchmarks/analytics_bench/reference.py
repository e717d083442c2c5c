"""The small tables the generated rows hang from: competency models, their versions and dimensions, KPI definitions
and dimension → KPI links, written row by row from ``shape`` (a few dozen rows), plus the session's helper
tables and functions the set-based steps of ``generate`` read."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from .shape import EFFECTS, KPIS, MAIN_VERSION, MODELS, VERSIONS

CREATED = datetime(2025, 11, 15, 9, 0, tzinfo=UTC)
FROZEN = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)

SESSION_FUNCTIONS = """
CREATE FUNCTION pg_temp.normal() RETURNS float8 LANGUAGE sql VOLATILE
    AS $$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;
CREATE FUNCTION pg_temp.score(z float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    AS $$ SELECT round(least(100, greatest(0, 65 + 12 * z))::numeric, 1)::float8 $$;
CREATE FUNCTION pg_temp.weighted(weights float8[], scores float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(weights[1] * scores[1], 0) + coalesce(weights[2] * scores[2], 0)
                 + coalesce(weights[3] * scores[3], 0) + coalesce(weights[4] * scores[4], 0) $$;
CREATE TEMP TABLE bench_kpi (kpi_id int PRIMARY KEY, key text, direction text, target float8,
    employee_noise float8, period_noise float8);
CREATE TEMP TABLE bench_effect (dimension_key text, kpi_id int, effect float8);
"""
"""``normal()``: a standard normal draw (Box–Muller over the session's seeded ``random()``); ``score(z)``: a
dimension score (0–100, one decimal) from a standardised value; ``weighted(weights, scores)``: a report's total
from a version's dimension weights (by position, at most four) and its scores."""


async def write_reference(connection: asyncpg.Connection) -> dict[str, int]:
    """Models, versions, dimensions, KPIs and links; returns the ids the set-based steps need:
    ``version:<model key>:<n>`` and ``kpi:<key>``."""
    ids: dict[str, int] = {}
    for key, name_zh, name_en in MODELS:
        ids[f"model:{key}"] = await connection.fetchval(
            "INSERT INTO competency_model (key, name_zh, name_en, description, created_at)"
            " VALUES ($1, $2, $3, 'analytics benchmark', $4) RETURNING id",
            key, name_zh, name_en, CREATED,
        )  # fmt: skip
    for kpi in KPIS:
        kpi_id = await connection.fetchval(
            "INSERT INTO kpi_definition (key, name_zh, name_en, unit, direction, period_kind, created_at)"
            " VALUES ($1, $2, $3, $4, $5, 'quarter', $6) RETURNING id",
            kpi.key, kpi.name_zh, kpi.name_en, kpi.unit, kpi.direction, CREATED,
        )  # fmt: skip
        ids[f"kpi:{kpi.key}"] = kpi_id
        await connection.execute(
            "INSERT INTO bench_kpi VALUES ($1, $2, $3, $4, $5, $6)",
            kpi_id, kpi.key, kpi.direction, kpi.target, kpi.employee_noise, kpi.period_noise,
        )  # fmt: skip
    for (dimension_key, kpi_key), effect in EFFECTS.items():
        await connection.execute("INSERT INTO bench_effect VALUES ($1, $2, $3)", dimension_key,
                                 ids[f"kpi:{kpi_key}"], effect)  # fmt: skip
    for spec in VERSIONS:
        version_id = await connection.fetchval(
            "INSERT INTO competency_model_version (model_id, version, notes, frozen_at, created_at)"
            " VALUES ($1, $2, 'analytics benchmark', $3, $4) RETURNING id",
            ids[f"model:{spec.model_key}"], spec.version, FROZEN, CREATED,
        )  # fmt: skip
        ids[f"version:{spec.model_key}:{spec.version}"] = version_id
        dimension_ids = {}
        for position, dimension in enumerate(spec.dimensions):
            dimension_ids[dimension.key] = await connection.fetchval(
                "INSERT INTO dimension (model_version_id, key, name_zh, name_en, description_zh, description_en,"
                " weight, position) VALUES ($1, $2, $3, $4, '', '', $5, $6) RETURNING id",
                version_id, dimension.key, dimension.name_zh, dimension.name_en, dimension.weight, position,
            )  # fmt: skip
        for dimension_key, kpi_key in spec.links:
            await connection.execute(
                "INSERT INTO dimension_kpi_link (dimension_id, kpi_id, created_at) VALUES ($1, $2, $3)",
                dimension_ids[dimension_key], ids[f"kpi:{kpi_key}"], CREATED,
            )  # fmt: skip
    await connection.execute(
        "CREATE TEMP TABLE bench_weights AS SELECT model_version_id AS version_id,"
        " array_agg(weight ORDER BY position) AS weights FROM dimension GROUP BY model_version_id"
    )
    # A radar axis as JSON text up to its value ('{"key": …, "label_en": …, "value" : '), per dimension position.
    await connection.execute(
        "CREATE TEMP TABLE bench_radar AS SELECT model_version_id AS version_id,"
        " array_agg(left(json_build_object('key', key, 'label_zh', name_zh, 'label_en', name_en)::text, -1)"
        " || ', \"value\" : ' ORDER BY position) AS heads FROM dimension GROUP BY model_version_id"
    )
    ids["main_version"] = ids[f"version:{MAIN_VERSION.model_key}:{MAIN_VERSION.version}"]
    return ids


def version_slots(ids: dict[str, int]) -> tuple[list[int], list[str]]:
    """For requisition ``g`` (other than the large one): slot ``g % 20`` → version id and job title."""
    titles = {key: name_en for key, _, name_en in MODELS}
    versions, names = [], []
    for spec in VERSIONS:
        versions += [ids[f"version:{spec.model_key}:{spec.version}"]] * spec.requisition_share
        names += [titles[spec.model_key]] * spec.requisition_share
    if len(versions) != 20:
        raise ValueError("the requisition shares of shape.VERSIONS must add up to 20")
    return versions, names
