"""Requisitions (job openings)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gateway import models
from resolvers.filters import ApplicationFilter
from schema.context import Info
from schema.enums import ApplicationStage, BusinessLine, RequisitionStatus
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.permissions import Resource, can_read
from schema.read_specs import ChildList, RowReference, compiled, without_score_range
from schema.report_filters import audit_score_filter, require_score_filter_permission
from schema.types.base import RowNode
from schema.types.competency import CompetencyModelVersion

if TYPE_CHECKING:
    from schema.types.candidate import Application


def requisition_applications_filter(
    context: Any, stage: Any = None, min_score: float | None = None, max_score: float | None = None
) -> ApplicationFilter:
    """A requisition's applications (a hiring manager reaches only their own requisitions, already scoped)."""
    return ApplicationFilter(stage=stage, min_score=min_score, max_score=max_score)


@strawberry.type(description="A job opening, pinned to one competency model version.")
class Requisition(RowNode):
    table = models.Requisition
    resource = Resource.REQUISITION
    id: relay.NodeID[int]
    title: str
    department: str
    business_line: BusinessLine
    headcount: int
    status: RequisitionStatus
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    hiring_manager_subject: str | None = strawberry.field(
        description="The identity-provider subject of the hiring manager who sees this opening's candidates."
    )
    competency_model_version_id: strawberry.Private[int]

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="competency_model_version_id")),
        description="The competency model version interviews for this opening are scored against.",
    )
    async def competency_model_version(self, info: Info) -> CompetencyModelVersion:
        row = await info.context.loaders.by_id(models.CompetencyModelVersion).load(self.competency_model_version_id)
        return CompetencyModelVersion.from_row(row)

    @strawberry.field(
        metadata=compiled(
            ChildList(
                models.Application, "requisition_id", requisition_applications_filter, compile_when=without_score_range
            )
        ),
        permission_classes=can_read(Resource.APPLICATION),
    )
    async def applications(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        stage: ApplicationStage | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
    ) -> Connection[Annotated[Application, strawberry.lazy("schema.types.candidate")]]:
        from schema.types.candidate import Application

        score_filtered = require_score_filter_permission(info, min_score, max_score)
        row_filter = ApplicationFilter(stage=stage, min_score=min_score, max_score=max_score)
        connection = await child_connection(
            info,
            models.Application,
            models.Application.requisition_id,
            self.id,
            Application.from_row,
            first=first,
            after=after,
            row_filter=row_filter,
        )
        if score_filtered:
            await audit_score_filter(info, row_filter, connection, requisition_id=self.id)
        return connection
