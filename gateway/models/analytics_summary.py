"""Per requisition and month, the sums a cohort's statistics combine from, so a million applications read in a second.

``gateway.models.counting`` keeps on the rows *which* report counts; this module keeps, for each requisition
and calendar month of application (UTC), *what they add up to*: applications by furthest stage, the counted
reports' totals (count, mean, sum of squared deviations, minimum, maximum, and counts per one-point slot of
the 0–100 scale) and each dimension's counted scores (count, mean, sum of squared deviations). A cohort
(model version, department, hiring manager, business line, year / quarter / month) is a set of such cells:
its figures combine a few thousand small rows instead of scanning every report and score.

Freshness is a version per requisition (``RequisitionSummaryState``): every write that can change a
requisition's figures bumps ``version`` in the writer's own transaction (the counting hooks, bulk loaders
through ``recount_all``); a reader that finds ``computed_version`` behind recomputes that requisition's cells
(``resolvers.analytics.summaries``) after taking the state row, so the cells it writes are never older than
the version they claim. No statement here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, col, select

from gateway.models.base import created_at_field, json_field, utcnow
from gateway.models.candidate import Application
from gateway.models.competency import Dimension
from gateway.models.interview import DimensionScore, InterviewReport

TOTAL_SLOTS = 101
"""One-point slots of the total: ``[k, k + 1)`` for k = 0…99 and the total 100; histograms and quartiles use them."""


@dataclass
class Moments:
    """Count, mean and sum of squared deviations; ``add`` merges two groups exactly (Chan et al.)."""

    n: int = 0
    mean: float = 0.0
    squares: float = 0.0

    @classmethod
    def from_sums(cls, n: int, total: float, total_of_squares: float) -> Moments:
        if n == 0:
            return cls()
        mean = total / n
        return cls(n, mean, max(total_of_squares - total * mean, 0.0))

    def add(self, other: Moments) -> None:
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.squares = other.n, other.mean, other.squares
            return
        n = self.n + other.n
        delta = other.mean - self.mean
        self.mean += delta * other.n / n
        self.squares += other.squares + delta * delta * self.n * other.n / n
        self.n = n

    def standard_deviation(self) -> float | None:
        return math.sqrt(self.squares / (self.n - 1)) if self.n >= 2 else None


class RequisitionSummaryState(SQLModel, table=True):
    """How fresh a requisition's summary cells are: stale while ``computed_version`` is behind ``version``."""

    __tablename__ = "requisition_summary_state"

    requisition_id: int = Field(foreign_key="requisition.id", primary_key=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    computed_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = created_at_field()


class RequisitionMonthSummary(SQLModel, table=True):
    """One requisition's figures over the applications made in one calendar month (UTC, ``YYYY-MM``)."""

    __tablename__ = "requisition_month_summary"

    requisition_id: int = Field(foreign_key="requisition.id", primary_key=True)
    month: str = Field(max_length=7, primary_key=True)
    applications: int = 0
    stages: dict[str, int] = json_field(default_factory=dict)
    """Applications by the furthest stage they reached (``application.furthest_stage``)."""
    reports: int = 0
    """Counted reports, with or without a total."""
    highest_report_id: int = 0
    scored: int = 0
    """Counted reports with a total."""
    total_mean: float | None = None
    total_squares: float = 0.0
    """Sum of squared deviations of the totals from ``total_mean``."""
    total_min: float | None = None
    total_max: float | None = None
    total_slots: list[int] = json_field(default_factory=list)
    """``TOTAL_SLOTS`` counts of totals per one-point slot."""
    dimensions: dict[str, list[float]] = json_field(default_factory=dict)
    """Per dimension key: ``[count, mean, sum of squared deviations]`` of the counted scores."""
    updated_at: datetime = created_at_field()


def application_month(created_at: sa.ColumnElement, dialect_name: str) -> sa.ColumnElement:
    """``YYYY-MM`` of a UTC timestamp column (SQLite keeps it as UTC text)."""
    if dialect_name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", created_at), "YYYY-MM")
    return sa.func.strftime("%Y-%m", created_at)


def mark_stale(requisition_ids: sa.Select, dialect_name: str) -> sa.Insert:
    """Bump the version of the requisitions ``requisition_ids`` selects, creating their state rows."""
    state = RequisitionSummaryState.__table__
    insert = (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(state)
    selected = requisition_ids.subquery("stale")
    # SQLite parses ``INSERT … SELECT … ON CONFLICT`` only when the SELECT has a WHERE clause.
    rows = sa.select(selected.c[0]).where(selected.c[0].is_not(None)).distinct()
    statement = insert.from_select(["requisition_id"], rows)
    return statement.on_conflict_do_update(
        index_elements=[state.c.requisition_id],
        set_={"version": state.c.version + 1, "updated_at": utcnow()},
    )


def _slot(total: sa.ColumnElement, postgresql: bool) -> sa.ColumnElement:
    """The one-point slot of a total in 0–100 (100 has its own)."""
    whole = sa.cast(sa.func.floor(total), sa.Integer) if postgresql else sa.cast(total, sa.Integer)
    return sa.case((total.is_(None), sa.null()), (total >= TOTAL_SLOTS - 1, TOTAL_SLOTS - 1), else_=whole)


def cell_queries(ids: list[int], dialect_name: str) -> tuple[sa.Select, sa.Select, sa.Select]:
    """Per (requisition, month): applications by furthest stage; counted totals by slot; counted scores by key."""
    postgresql = dialect_name == "postgresql"
    month = application_month(col(Application.created_at), dialect_name).label("month")
    applications = (
        select(col(Application.requisition_id), month, col(Application.furthest_stage), sa.func.count())
        .where(col(Application.requisition_id).in_(ids))
        .group_by(col(Application.requisition_id), month, col(Application.furthest_stage))
    )
    total = col(InterviewReport.total)
    slot = _slot(total, postgresql).label("slot")
    reports = (
        select(
            col(InterviewReport.requisition_id),
            month,
            slot,
            sa.func.count(),
            sa.func.max(InterviewReport.id),
            sa.func.count(total),
            sa.func.sum(total),
            sa.func.sum(total * total),
            sa.func.min(total),
            sa.func.max(total),
        )
        .join(Application, col(Application.id) == InterviewReport.application_id)
        .where(col(InterviewReport.counted), col(InterviewReport.requisition_id).in_(ids))
        .group_by(col(InterviewReport.requisition_id), month, slot)
    )
    score = col(DimensionScore.score)
    scores = (
        select(
            col(DimensionScore.requisition_id),
            month,
            col(Dimension.key),
            sa.func.count(score),
            sa.func.sum(score),
            sa.func.sum(score * score),
        )
        .join(Dimension, col(Dimension.id) == DimensionScore.dimension_id)
        .join(Application, col(Application.id) == DimensionScore.application_id)
        .where(col(DimensionScore.counted), col(DimensionScore.requisition_id).in_(ids))
        .group_by(col(DimensionScore.requisition_id), month, col(Dimension.key))
    )
    return applications, reports, scores


def _empty_cell(requisition_id: int, month: str) -> dict[str, Any]:
    return {
        "requisition_id": requisition_id,
        "month": month,
        "applications": 0,
        "stages": {},
        "reports": 0,
        "highest_report_id": 0,
        "scored": 0,
        "total_mean": None,
        "total_squares": 0.0,
        "total_min": None,
        "total_max": None,
        "total_slots": [0] * TOTAL_SLOTS,
        "dimensions": {},
        "updated_at": utcnow(),
    }


def build_cells(application_rows: Any, report_rows: Any, score_rows: Any) -> list[dict[str, Any]]:
    """The summary rows of ``cell_queries``' results (pure)."""
    cells: dict[tuple[int, str], dict[str, Any]] = {}

    def cell(requisition_id: int, month: str) -> dict[str, Any]:
        key = (int(requisition_id), str(month))
        if key not in cells:
            cells[key] = _empty_cell(*key)
        return cells[key]

    for requisition_id, month, stage, count in application_rows:
        target = cell(requisition_id, month)
        target["applications"] += int(count)
        stage_name = getattr(stage, "value", stage)
        target["stages"][stage_name] = target["stages"].get(stage_name, 0) + int(count)
    totals: dict[tuple[int, str], Moments] = {}
    for requisition_id, month, slot, count, highest, scored, total, squares, minimum, maximum in report_rows:
        target = cell(requisition_id, month)
        target["reports"] += int(count)
        target["highest_report_id"] = max(target["highest_report_id"], int(highest))
        if slot is None or not scored:
            continue
        target["total_slots"][int(slot)] += int(scored)
        totals.setdefault((target["requisition_id"], target["month"]), Moments()).add(
            Moments.from_sums(int(scored), float(total), float(squares))
        )
        low, high = float(minimum), float(maximum)
        target["total_min"] = low if target["total_min"] is None else min(target["total_min"], low)
        target["total_max"] = high if target["total_max"] is None else max(target["total_max"], high)
    for key, moments in totals.items():
        cells[key].update(scored=moments.n, total_mean=moments.mean, total_squares=moments.squares)
    for requisition_id, month, dimension_key, count, total, squares in score_rows:
        if not count:
            continue
        moments = Moments.from_sums(int(count), float(total), float(squares))
        cell(requisition_id, month)["dimensions"][dimension_key] = [moments.n, moments.mean, moments.squares]
    return list(cells.values())
