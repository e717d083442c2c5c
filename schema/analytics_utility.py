"""The one read path of selection utility for GraphQL: ``selectionUtility`` and ``dimensionKpiCorrelations``.

Both fields answer through ``read_selection_utilities`` so that each read is computed the same way and audited
once, with the hires' reports whose totals entered the validity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.db import read_session
from resolvers.analytics import reports
from resolvers.analytics.utility_queries import UtilityAnswer, UtilityScope, selection_utilities
from resolvers.errors import DomainError
from schema.mutations.common import UserError

if TYPE_CHECKING:
    from schema.context import Info


async def read_selection_utilities(info: Info, scope: UtilityScope) -> tuple[UtilityAnswer | None, list[UserError]]:
    """Compute in one short read session; ``DomainError`` becomes errors; a result is audited as a statistics read."""
    try:
        async with read_session() as session:
            answer = await selection_utilities(
                scope, session=session, min_group_size=info.context.settings.analytics_min_group_size
            )
    except DomainError as error:
        return None, [UserError.from_field_error(field_error) for field_error in error.errors]
    await reports.record_statistics_read(
        info.context.actor,
        "selection_utility.read",
        entity_type="CompetencyModelVersion",
        entity_id=scope.model_version_id,
        report_ids=answer.reports,
        details={
            "report_rule": "latest report per application of the version's hires with a result on the KPI",
            "kpi_ids": [item.kpi.kpi_id for item in answer.utilities],
            "selection_ratio": scope.selection_ratio,
            "period": scope.period,
            "department": scope.department,
            "business_line": scope.business_line.value if scope.business_line else None,
            "n": max((item.n for item in answer.utilities), default=0),
        },
    )
    return answer, []
