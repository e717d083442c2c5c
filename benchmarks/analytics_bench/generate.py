"""The synthetic bank, written with set-based SQL: each step is one ``INSERT … SELECT`` (or a temporary plan
table) over ``generate_series``, with ``random()`` seeded by ``setseed`` in one session without parallel workers,
so the same arguments give the same rows. No ORM objects, no per-row inserts beyond the few dozen reference rows.

The plan, in temporary tables: every application's candidate, requisition, dates, latent dimension scores (a
general factor and a specific one per dimension), whether it was re-interviewed, and how far it got (hires are
the best scores plus luck, among first applications; the rest advance by score plus luck and end rejected,
withdrawn or still open). The real tables are then written from the plan; hires' KPI results are planted from
their latest report's dimension scores (``shape.EFFECTS``) plus a lasting per-employee and a quarterly noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from .bulk import bulk_load
from .reference import SESSION_FUNCTIONS, version_slots, write_reference
from .shape import (
    CITIES,
    DEPARTMENTS,
    PIPELINE_VERSION,
    RESCORED_PIPELINE_VERSION,
    SCORE_MEAN,
    SCORE_SD,
    STAGES,
    Scale,
)

SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗".split()
GIVEN_NAMES = (
    "伟 芳 娜 敏 静 磊 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 "
    "晓东 文博 子涵 雨桐 浩然 思远 欣怡 嘉怡 一鸣 梓萱"
).split()

REQUISITIONS = """
INSERT INTO requisition (id, title, department, business_line, headcount, status, competency_model_version_id,
    created_at, updated_at, closed_at, close_reason, hiring_manager_subject, candidate_report_visible)
SELECT g, title || ', ' || ($4::text[])[1 + (g / 3) % 8] || CASE WHEN g = 1 THEN ' (campus hiring 2026)' ELSE '' END
        || ' #' || lpad(g::text, 4, '0'),
    ($5::text[])[1 + g % 8], ($6::text[])[1 + g % 8], 1, status, version, created, created,
    CASE WHEN status = 'closed' THEN timestamptz '2026-12-31 18:00+00' END,
    CASE WHEN status = 'closed' THEN 'positions filled' END, NULL, g % 4 = 0
FROM (SELECT g, timestamptz '2025-12-01 09:00+00' + (g % 30) * interval '1 day' AS created,
             CASE WHEN g = 1 THEN $2 ELSE ($3::int[])[1 + g % 20] END AS version,
             CASE WHEN g = 1 THEN ($7::text[])[1] ELSE ($7::text[])[1 + g % 20] END AS title,
             CASE WHEN g > 1 AND g % 10 = 7 THEN 'closed' WHEN g > 1 AND g % 25 = 3 THEN 'on_hold' ELSE 'open' END
                 AS status
      FROM generate_series(1, $1) AS g) AS s
"""

DRAW = """
CREATE TEMP TABLE bench_draw AS
SELECT g AS id, CASE WHEN g <= $2 THEN g ELSE g - $2 END AS candidate_id,
    CASE WHEN g % 10 = 0 THEN 1 ELSE 2 + floor(random() * ($3 - 1))::int END AS requisition_id,
    timestamptz '2026-01-01 00:00+00' + random() * interval '365 days' AS created_at,
    4 + floor(random() * 7)::int AS pace_days, random() < $4 AS reinterviewed,
    pg_temp.normal() AS general,
    ARRAY[pg_temp.normal(), pg_temp.normal(), pg_temp.normal(), pg_temp.normal()] AS specific,
    pg_temp.normal() AS hiring_luck, pg_temp.normal() AS stage_luck, random() AS ending_draw
FROM generate_series(1, $1) AS g
"""
"""Application g > C is candidate g − C's second application; the large requisition (id 1) takes every tenth."""

SECOND_APPLICATION_ELSEWHERE = """
UPDATE bench_draw AS second SET requisition_id = 2 + (second.requisition_id - 1) % ($2 - 1)
FROM bench_draw AS first
WHERE second.id > $1 AND first.id = second.candidate_id AND first.requisition_id = second.requisition_id
"""
"""(candidate, requisition) is unique: a second application drawn onto the first one's requisition moves on."""

SCORED = """
CREATE TEMP TABLE bench_scored AS
SELECT s.*, pg_temp.weighted(w.weights, s.scores) AS total
FROM (SELECT b.id, b.candidate_id, b.requisition_id, r.competency_model_version_id AS version_id, b.created_at,
             b.pace_days, b.reinterviewed, b.hiring_luck, b.stage_luck, b.ending_draw,
             ARRAY[pg_temp.score(0.5 * b.general + 0.866 * b.specific[1]),
                   pg_temp.score(0.5 * b.general + 0.866 * b.specific[2]),
                   pg_temp.score(0.5 * b.general + 0.866 * b.specific[3]),
                   pg_temp.score(0.5 * b.general + 0.866 * b.specific[4])] AS scores
      FROM bench_draw AS b JOIN requisition AS r ON r.id = b.requisition_id OFFSET 0) AS s
JOIN bench_weights AS w ON w.version_id = s.version_id
"""
"""Four latent scores per application (a version with three dimensions uses the first three). ``OFFSET 0`` keeps
the scores computed once per row, not once per use."""

PLAN = """
CREATE TEMP TABLE bench_app AS
SELECT p.*, p.created_at + interval '1 day' AS ai_at,
    CASE WHEN p.ending IN ('rejected', 'withdrawn')
         THEN p.created_at + interval '1 day' + ((p.furthest - 2) * p.pace_days + p.pace_days / 2.0) * interval '1 day'
         ELSE p.created_at + interval '1 day' + (p.furthest - 2) * p.pace_days * interval '1 day' END AS updated_at
FROM (SELECT f.*,
        CASE WHEN f.hired THEN 'hired'
             WHEN f.ending_draw < (ARRAY[0.8, 0.7, 0.2])[f.furthest - 1] THEN 'rejected'
             WHEN f.ending_draw < (ARRAY[0.9, 0.85, 0.8])[f.furthest - 1] THEN 'withdrawn'
             ELSE 'open' END AS ending
      FROM (SELECT r.*, CASE WHEN r.hired THEN 5
                             WHEN percent_rank() OVER (PARTITION BY r.hired ORDER BY r.total + 10 * r.stage_luck)
                                  > 0.88 THEN 4
                             WHEN percent_rank() OVER (PARTITION BY r.hired ORDER BY r.total + 10 * r.stage_luck)
                                  > 0.6 THEN 3
                             ELSE 2 END AS furthest
            FROM (SELECT s.*, s.id <= $1 AND row_number() OVER (PARTITION BY s.id <= $1
                                                                ORDER BY s.total + 8 * s.hiring_luck DESC, s.id) <= $2
                                   AS hired
                  FROM bench_scored AS s) AS r) AS f) AS p
"""
"""Stages by index: 2 AI interview, 3 second interview, 4 offer, 5 hired (ending rejected/withdrawn/open/hired).
Stage k (≥ 2) is reached at ai_at + (k − 2) × pace days; an ending half a pace after the furthest stage."""

CANDIDATES = """
INSERT INTO candidate (id, full_name, email, phone, resume_text, created_at, erased_at)
SELECT a.id, ($2::text[])[1 + a.id % 20] || ($3::text[])[1 + (a.id / 20) % 30],
    'candidate' || a.id || '@bench.example', '+86 13' || lpad((a.id % 1000000000)::text, 9, '0'),
    (ARRAY['Bachelor of Finance', 'Bachelor of Economics', 'Master of Accounting', 'Bachelor of Law'])[1 + a.id % 4]
        || '; ' || (a.id % 9) || ' years in retail banking; fluent Mandarin and English.',
    a.created_at - interval '1 hour', NULL
FROM bench_app AS a WHERE a.id <= $1
"""

APPLICATIONS = """
INSERT INTO application (id, candidate_id, requisition_id, stage, created_at, updated_at)
SELECT a.id, a.candidate_id, a.requisition_id,
    CASE WHEN a.ending = 'open' THEN ($1::text[])[a.furthest] ELSE a.ending END, a.created_at, a.updated_at
FROM bench_app AS a
"""

STAGE_CHANGES = """
INSERT INTO application_stage_change (application_id, from_stage, to_stage, reason, actor, changed_at)
SELECT a.id, CASE WHEN k > 1 THEN ($1::text[])[k - 1] END, ($1::text[])[k],
    (ARRAY['applied', 'invited to the AI interview', 'passed the AI interview', 'passed the second interview',
           'offer accepted'])[k],
    CASE WHEN k = 1 THEN 'candidate' ELSE 'recruiter@bank.example' END,
    CASE WHEN k = 1 THEN a.created_at ELSE a.ai_at + (k - 2) * a.pace_days * interval '1 day' END
FROM bench_app AS a CROSS JOIN LATERAL generate_series(1, a.furthest) AS k
UNION ALL
SELECT a.id, ($1::text[])[a.furthest], a.ending,
    CASE WHEN a.ending = 'rejected' THEN 'below the bar for this requisition' ELSE 'candidate withdrew' END,
    CASE WHEN a.ending = 'rejected' THEN 'recruiter@bank.example' ELSE 'candidate' END, a.updated_at
FROM bench_app AS a WHERE a.ending IN ('rejected', 'withdrawn')
"""

REPORT_PLAN = """
CREATE TEMP TABLE bench_report AS
SELECT r.*, pg_temp.weighted(w.weights, r.scores) AS total
FROM (SELECT a.id AS report_id, a.id AS application_id, a.requisition_id, a.version_id, NOT a.reinterviewed AS latest,
             a.ai_at AS invited_at, $2 AS pipeline_version,
             CASE WHEN a.reinterviewed
                  THEN ARRAY(SELECT pg_temp.score((score - $4) / $5 + 0.5 * pg_temp.normal())
                             FROM unnest(a.scores) WITH ORDINALITY AS u(score, k) ORDER BY k)
                  ELSE a.scores END AS scores
      FROM bench_app AS a
      UNION ALL
      SELECT $1 + row_number() OVER (ORDER BY a.id), a.id, a.requisition_id, a.version_id, true,
             a.ai_at + interval '2 days', $3, a.scores
      FROM bench_app AS a WHERE a.reinterviewed OFFSET 0) AS r
JOIN bench_weights AS w ON w.version_id = r.version_id
"""
"""One interview and report per application (ids = application ids); re-interviewed applications get a second
(ids above N), scored by a newer pipeline, which is the latest and carries the planned scores."""

INTERVIEWS = """
INSERT INTO interview (id, application_id, token_hash, expires_at, status, status_reason, created_at, submitted_at,
    scoring_attempts)
SELECT r.report_id, r.application_id, encode(sha256(('bench-interview-' || r.report_id)::bytea), 'hex'),
    r.invited_at + interval '72 hours', 'scored', NULL, r.invited_at, r.invited_at + interval '20 hours', 1
FROM bench_report AS r
"""

REPORTS = """
INSERT INTO interview_report (id, interview_id, requisition_id, total, percentile, insufficient_evidence, strengths,
    weaknesses, tags, radar, models, pipeline_version, human_decision, override_reason, scored_at, decided_by,
    decided_at, created_at, updated_at)
SELECT r.report_id, r.report_id, r.requisition_id, round(r.total::numeric, 1)::float8,
    round((100 * percent_rank() OVER (PARTITION BY r.requisition_id ORDER BY r.total))::numeric, 1)::float8, false,
    (ARRAY['["逻辑清晰", "举例具体"]', '["表达流畅"]', '["风险意识强", "熟悉业务流程"]'])[1 + r.report_id % 3]::json,
    (ARRAY['["语速偏快"]', '[]', '["回答偏短"]'])[1 + r.report_id % 3]::json,
    (ARRAY['[{"key": "fluent", "label": "表达流畅"}]', '[]'])[1 + r.report_id % 2]::json,
    ('[' || concat_ws(', ', radar.heads[1] || r.scores[1] || '}', radar.heads[2] || r.scores[2] || '}',
                      radar.heads[3] || r.scores[3] || '}', radar.heads[4] || r.scores[4] || '}') || ']')::json,
    '{"speech": "bench-asr-1", "text": {"zh": "bench-embed-zh-1"}, "vision": null}'::json,
    r.pipeline_version, decision.human_decision, NULL, r.invited_at + interval '21 hours',
    CASE WHEN decision.human_decision IS NOT NULL THEN 'hr.reviewer@bank.example' END, decision.decided_at,
    r.invited_at + interval '21 hours', coalesce(decision.decided_at, r.invited_at + interval '21 hours')
FROM bench_report AS r JOIN bench_app AS a ON a.id = r.application_id
JOIN bench_radar AS radar ON radar.version_id = r.version_id
CROSS JOIN LATERAL (SELECT CASE WHEN NOT r.latest THEN NULL WHEN a.furthest >= 3 THEN 'advance'
                                WHEN a.ending = 'rejected' THEN 'reject' END AS human_decision) AS verdict
CROSS JOIN LATERAL (SELECT verdict.human_decision,
                           CASE verdict.human_decision WHEN 'advance' THEN a.ai_at + a.pace_days * interval '1 day'
                                WHEN 'reject' THEN a.updated_at END AS decided_at) AS decision
"""

DIMENSION_SCORES = """
INSERT INTO dimension_score (report_id, dimension_id, pipeline_version, score, confidence,
    insufficient_evidence_reason, evidence)
SELECT s.report_id, s.dimension_id, s.pipeline_version, CASE WHEN s.missing THEN NULL ELSE s.score END,
    CASE WHEN s.missing THEN 0.1 ELSE round((0.55 + 0.4 * random())::numeric, 2)::float8 END,
    CASE WHEN s.missing THEN 'answer too short to judge' END,
    CASE WHEN s.missing THEN '[]'::json
         ELSE '[{"source": "transcript", "excerpt": "我会先核对客户身份，再按流程办理。", "weight": 0.6}]'::json END
FROM (SELECT r.report_id, d.id AS dimension_id, r.pipeline_version, r.scores[d.position + 1] AS score,
             random() < $1 AS missing
      FROM bench_report AS r JOIN dimension AS d ON d.model_version_id = r.version_id
      ORDER BY r.report_id, d.position) AS s
"""

HIRES = """
CREATE TEMP TABLE bench_hire AS
SELECT row_number() OVER (ORDER BY a.id)::int AS employee_id, a.id AS application_id, a.candidate_id,
    a.requisition_id, a.version_id, a.scores, a.updated_at AS hired_at,
    (a.updated_at + (14 + a.id % 29) * interval '1 day')::date AS start_date
FROM bench_app AS a WHERE a.hired
"""

EMPLOYEES = """
INSERT INTO employee (id, candidate_id, application_id, employee_number, full_name, department, position_title,
    start_date, hired_at)
SELECT h.employee_id, h.candidate_id, h.application_id, 'BK' || lpad(h.employee_id::text, 7, '0'), c.full_name,
    r.department, r.title, h.start_date, h.hired_at
FROM bench_hire AS h JOIN candidate AS c ON c.id = h.candidate_id JOIN requisition AS r ON r.id = h.requisition_id
"""

ONBOARDING = """
INSERT INTO onboarding_archive (employee_id, resume_text, interview_report_id, background_check_status,
    background_check_provider, background_check_notes, background_check_completed_at, documents, created_at)
SELECT h.employee_id, c.resume_text, r.report_id, 'clear', 'Bench Background Checks Ltd', '',
    h.hired_at - interval '2 days', '[]'::json, h.hired_at
FROM bench_hire AS h JOIN candidate AS c ON c.id = h.candidate_id
JOIN bench_report AS r ON r.application_id = h.application_id AND r.latest
"""

SIGNALS = """
CREATE TEMP TABLE bench_signal AS
SELECT h.employee_id, v.kpi_id, v.dimension_id, h.hired_at, h.start_date,
    coalesce((SELECT sum(e.effect * (h.scores[d.position + 1] - $1) / $2)
              FROM dimension AS d JOIN bench_effect AS e ON e.dimension_key = d.key AND e.kpi_id = v.kpi_id
              WHERE d.model_version_id = h.version_id), 0) AS signal,
    pg_temp.normal() AS lasting, 2 + floor(random() * 3)::int AS periods
FROM bench_hire AS h
JOIN (SELECT DISTINCT ON (d.model_version_id, l.kpi_id) d.model_version_id AS version_id, l.kpi_id,
             d.id AS dimension_id
      FROM dimension_kpi_link AS l JOIN dimension AS d ON d.id = l.dimension_id
      ORDER BY d.model_version_id, l.kpi_id, d.position, l.id) AS v ON v.version_id = h.version_id
"""
"""Per hire and KPI linked to the hire's version (one assignment each, from its first linked dimension, as
``resolvers.services.hiring`` assigns them): the planted signal from the latest report's scores, a lasting
deviation and 2–4 quarters of results."""

ASSIGNMENTS = """
INSERT INTO kpi_assignment (employee_id, kpi_id, dimension_id, target, assigned_at)
SELECT s.employee_id, s.kpi_id, s.dimension_id, k.target, s.hired_at
FROM bench_signal AS s JOIN bench_kpi AS k ON k.kpi_id = s.kpi_id ORDER BY s.employee_id, s.kpi_id
"""

RECORDS = """
INSERT INTO kpi_record (assignment_id, period, target, actual, recorded_at)
SELECT x.assignment_id, (q / 4) || '-Q' || (q % 4 + 1), x.target,
    CASE WHEN x.direction = 'lower_is_better'
         THEN round((x.target * exp(x.signal + x.employee_noise * x.lasting
                                    + x.period_noise * pg_temp.normal()))::numeric, 3)::float8
         ELSE round((x.target * greatest(0, 1 + x.signal + x.employee_noise * x.lasting
                                           + x.period_noise * pg_temp.normal()))::numeric, 2)::float8 END,
    make_date(q / 4, (q % 4) * 3 + 1, 1) + interval '3 months 10 days'
FROM (SELECT ka.id AS assignment_id, k.target, k.direction, k.employee_noise, k.period_noise, s.signal, s.lasting,
             s.periods, (extract(year FROM s.start_date) * 4 + (extract(month FROM s.start_date) - 1) / 3)::int AS q0
      FROM kpi_assignment AS ka JOIN bench_signal AS s ON s.employee_id = ka.employee_id AND s.kpi_id = ka.kpi_id
      JOIN bench_kpi AS k ON k.kpi_id = ka.kpi_id) AS x
CROSS JOIN LATERAL generate_series(x.q0, x.q0 + x.periods - 1) AS q
ORDER BY x.assignment_id, q
"""
"""Quarters from the one the employee started in (never a period that ended before the start date)."""

HEADCOUNT = """
UPDATE requisition AS r
SET headcount = greatest(1, coalesce(h.hired, 0) + CASE WHEN r.status = 'open' THEN 2 ELSE 0 END)
FROM requisition AS g LEFT JOIN (SELECT requisition_id, count(*) AS hired FROM bench_app WHERE hired
                                 GROUP BY requisition_id) AS h ON h.requisition_id = g.id
WHERE g.id = r.id
"""
"""Every hire fits the headcount (``hire`` refuses one more); open requisitions still have places."""


FILLED_TABLES = ("requisition", "candidate", "application", "application_stage_change", "interview",
                 "interview_report", "dimension_score", "employee", "onboarding_archive", "kpi_assignment",
                 "kpi_record")  # fmt: skip
EXPLICIT_ID_TABLES = ("requisition", "candidate", "application", "interview", "interview_report", "employee")


async def generate(connection: asyncpg.Connection, scale: Scale, say: Callable[[str], None]) -> dict[str, int]:
    """Fill an empty, migrated database; returns the reference ids (versions, KPIs) the benchmark needs."""
    await connection.execute(
        "SET synchronous_commit = off; SET max_parallel_workers_per_gather = 0; SET work_mem = '256MB';"
        " SET maintenance_work_mem = '512MB'; SET temp_buffers = '512MB'"
    )
    await connection.execute(SESSION_FUNCTIONS)
    await connection.execute("SELECT setseed($1)", scale.seed)
    ids = await write_reference(connection)
    slot_versions, slot_titles = version_slots(ids)
    first_time = scale.first_time_candidates
    steps: list[tuple[str, str, tuple]] = [
        ("requisitions", REQUISITIONS, (scale.requisitions, ids["main_version"], slot_versions, list(CITIES),
                                        [name for name, _ in DEPARTMENTS], [line for _, line in DEPARTMENTS],
                                        slot_titles)),
        ("plan: draws", DRAW, (scale.applications, first_time, scale.requisitions, scale.reinterview_share)),
        ("plan: second applications elsewhere", SECOND_APPLICATION_ELSEWHERE, (first_time, scale.requisitions)),
        ("plan: dimension scores and totals", SCORED, ()),
        ("plan: hires and stages", PLAN, (first_time, scale.hires)),
        ("candidates", CANDIDATES, (first_time, SURNAMES, GIVEN_NAMES)),
        ("applications", APPLICATIONS, (list(STAGES),)),
        ("stage changes", STAGE_CHANGES, (list(STAGES),)),
        ("plan: reports", REPORT_PLAN, (scale.applications, PIPELINE_VERSION, RESCORED_PIPELINE_VERSION,
                                        SCORE_MEAN, SCORE_SD)),
        ("interviews", INTERVIEWS, ()),
        ("interview reports", REPORTS, ()),
        ("dimension scores", DIMENSION_SCORES, (scale.missing_score_share,)),
        ("plan: hires", HIRES, ()),
        ("employees", EMPLOYEES, ()),
        ("onboarding archives", ONBOARDING, ()),
        ("plan: KPI signals", SIGNALS, (SCORE_MEAN, SCORE_SD)),
        ("KPI assignments", ASSIGNMENTS, ()),
        ("KPI records", RECORDS, ()),
        ("requisition headcounts", HEADCOUNT, ()),
    ]  # fmt: skip
    async with bulk_load(connection, FILLED_TABLES, say):
        for label, sql, arguments in steps:
            started = time.monotonic()
            status = await connection.execute(sql, *arguments)
            rows = status.rsplit(" ", 1)[-1]
            say(f"  {label}: {rows} rows in {time.monotonic() - started:.1f} s")
    for table in EXPLICIT_ID_TABLES:
        await connection.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    return ids
