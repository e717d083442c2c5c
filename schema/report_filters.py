"""Filters on report data (interview totals) need what reading reports needs, and each use is audited.

Without this, a principal allowed to list applications but not to read reports recovers any total by
binary search on ``applications(minScore:)`` (14 requests for two decimals). Orderings on report data,
if one is ever added, go through the same two calls.
"""

from __future__ import annotations

from typing import Any

from resolvers.filters import ApplicationFilter
from resolvers.services.report_filter_audit import record_report_filter_use
from schema.permissions import Resource, check_read


def require_score_filter_permission(info: Any, min_score: float | None, max_score: float | None) -> bool:
    """FORBIDDEN unless the caller may read reports; True when the list is filtered on report totals."""
    if min_score is None and max_score is None:
        return False
    check_read(info.context, Resource.REPORT)
    return True


async def audit_score_filter(
    info: Any, row_filter: ApplicationFilter, connection: Any, *, requisition_id: int | None = None
) -> None:
    """One ``report.filter`` audit event for this use (bounds, scope, matching reports on the page)."""
    await record_report_filter_use(
        info.context.actor,
        row_filter,
        [edge.node.id for edge in connection.edges],
        requisition_id=requisition_id,
    )
