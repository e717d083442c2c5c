"""What the chart routes draw: a report's radar axes, a requisition's interview totals (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.db import read_session
from gateway.models import InterviewReport, Requisition
from resolvers.analytics.cohorts import Scope
from resolvers.analytics.reports import CountedReports, counted_totals
from resolvers.analytics.statistics import Distribution


@dataclass(frozen=True)
class RadarData:
    report_id: int
    requisition_id: int
    axes: list[tuple[str, str, float | None]]
    """(label_zh, label_en, value 0–100 or None), in the report's axis order."""


@dataclass(frozen=True)
class RequisitionTotals:
    requisition_id: int
    title: str
    totals: Distribution
    """The distribution ``requisitionAnalytics`` gives: latest report per application (``analytics.cohorts``)."""
    reports: CountedReports
    """The reports behind ``totals`` (the chart's audit event names them)."""


def _axis(item: dict[str, Any]) -> tuple[str, str, float | None]:
    key = str(item.get("key") or "")
    value = item.get("value")
    return (
        str(item.get("label_zh") or key),
        str(item.get("label_en") or key),
        None if value is None else float(value),
    )


async def report_radar(report_id: int) -> RadarData | None:
    async with read_session() as session:
        report = await session.get(InterviewReport, report_id)
    if report is None or report.id is None:
        return None
    return RadarData(report.id, report.requisition_id, [_axis(item) for item in report.radar or []])


async def requisition_totals(requisition_id: int, *, min_group_size: int = 1) -> RequisitionTotals | None:
    """The histogram's figures, counted by the same rule and SQL as ``requisitionAnalytics``."""
    async with read_session() as session:
        requisition = await session.get(Requisition, requisition_id)
        if requisition is None or requisition.id is None:
            return None
    totals, counted = await counted_totals(Scope(requisition_id=requisition_id), min_group_size=min_group_size)
    return RequisitionTotals(requisition.id, requisition.title, totals, counted)
