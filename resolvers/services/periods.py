"""KPI reporting periods: ``2026`` (year), ``2026-Q3`` (quarter), ``2026-09`` (month)."""

from __future__ import annotations

import re
from datetime import date

from gateway.models.enums import PeriodKind

_PATTERNS = {
    PeriodKind.YEAR: re.compile(r"^(?P<year>\d{4})$"),
    PeriodKind.QUARTER: re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$"),
    PeriodKind.MONTH: re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$"),
}
EXAMPLES = {PeriodKind.YEAR: "2026", PeriodKind.QUARTER: "2026-Q3", PeriodKind.MONTH: "2026-09"}


def period_start(period: str, kind: PeriodKind) -> date | None:
    """First day of the period, or None when the text does not match the KPI's period kind."""
    match = _PATTERNS[kind].match(period)
    if match is None:
        return None
    year = int(match["year"])
    if kind is PeriodKind.QUARTER:
        return date(year, 3 * (int(match["quarter"]) - 1) + 1, 1)
    if kind is PeriodKind.MONTH:
        return date(year, int(match["month"]), 1)
    return date(year, 1, 1)


def period_range(period: str) -> tuple[date, date] | None:
    """[first day, first day of the next period) of a year, quarter or month, or None if not a period."""
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR):
        start = period_start(period, kind)
        if start is None:
            continue
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]
        month_index = start.month - 1 + months
        return start, date(start.year + month_index // 12, month_index % 12 + 1, 1)
    return None
