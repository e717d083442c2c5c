"""Candidates, consent records, applications and their stage history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gateway import models
from resolvers.filters import ApplicationFilter
from schema.context import Info
from schema.enums import ApplicationStage, ConsentKind
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.permissions import Resource, can_read, hiring_manager_scope
from schema.read_specs import ChildList, RowReference, compiled
from schema.types.base import RowNode
from schema.types.requisition import Requisition

if TYPE_CHECKING:
    from schema.types.interview import Interview


def candidate_applications_filter(context: Any) -> ApplicationFilter | None:
    """A hiring manager sees a candidate's applications to their own requisitions only."""
    subject = hiring_manager_scope(context.actor, Resource.APPLICATION)
    return ApplicationFilter(hiring_manager_subject=subject) if subject is not None else None


@strawberry.type(description="A person applying for openings.")
class Candidate(RowNode):
    table = models.Candidate
    resource = Resource.CANDIDATE
    id: relay.NodeID[int]
    full_name: str
    email: str
    phone: str | None
    resume_text: str
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When the row last changed (incremental sync).")

    @strawberry.field(
        metadata=compiled(ChildList(models.Application, "candidate_id", candidate_applications_filter)),
        description="The candidate's applications (a hiring manager sees those to their own requisitions).",
        permission_classes=can_read(Resource.APPLICATION),
    )
    async def applications(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Application]:
        return await child_connection(
            info,
            models.Application,
            models.Application.candidate_id,
            self.id,
            Application.from_row,
            first=first,
            after=after,
            row_filter=candidate_applications_filter(info.context),
        )

    @strawberry.field(
        metadata=compiled(ChildList(models.ConsentRecord, "candidate_id")),
        description="Consents given or refused, oldest first (append-only).",
        permission_classes=can_read(Resource.CANDIDATE),
    )
    async def consents(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[ConsentRecord]:
        return await child_connection(
            info,
            models.ConsentRecord,
            models.ConsentRecord.candidate_id,
            self.id,
            ConsentRecord.from_row,
            first=first,
            after=after,
        )


@strawberry.type(description="What a candidate agreed to, under which notice version, and when.")
class ConsentRecord(RowNode):
    table = models.ConsentRecord
    resource = Resource.CANDIDATE
    id: relay.NodeID[int]
    kind: ConsentKind
    notice_version: str
    granted: bool
    recorded_at: datetime


@strawberry.type(description="A candidate's application to a requisition, moving through the hiring stages.")
class Application(RowNode):
    table = models.Application
    resource = Resource.APPLICATION
    id: relay.NodeID[int]
    stage: ApplicationStage
    created_at: datetime
    updated_at: datetime
    candidate_id: strawberry.Private[int]
    requisition_id: strawberry.Private[int]

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="candidate_id")), permission_classes=can_read(Resource.CANDIDATE)
    )
    async def candidate(self, info: Info) -> Candidate:
        return Candidate.from_row(await info.context.loaders.by_id(models.Candidate).load(self.candidate_id))

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="requisition_id")),
        permission_classes=can_read(Resource.REQUISITION),
    )
    async def requisition(self, info: Info) -> Requisition:
        return Requisition.from_row(await info.context.loaders.by_id(models.Requisition).load(self.requisition_id))

    @strawberry.field(
        metadata=compiled(ChildList(models.ApplicationStageChange, "application_id")),
        description="Every stage move, oldest first.",
        permission_classes=can_read(Resource.APPLICATION),
    )
    async def stage_history(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[ApplicationStageChange]:
        return await child_connection(
            info,
            models.ApplicationStageChange,
            models.ApplicationStageChange.application_id,
            self.id,
            ApplicationStageChange.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        metadata=compiled(ChildList(models.Interview, "application_id")),
        permission_classes=can_read(Resource.INTERVIEW),
    )
    async def interviews(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Annotated[Interview, strawberry.lazy("schema.types.interview")]]:
        from schema.types.interview import Interview

        return await child_connection(
            info,
            models.Interview,
            models.Interview.application_id,
            self.id,
            Interview.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        metadata=compiled(RowReference(child_column="application_id", newest=True)),
        description="The most recent AI interview, if any.",
        permission_classes=can_read(Resource.INTERVIEW),
    )
    async def latest_interview(
        self, info: Info
    ) -> Annotated[Interview, strawberry.lazy("schema.types.interview")] | None:
        from schema.types.interview import Interview

        row = await info.context.loaders.latest_by(models.Interview, models.Interview.application_id).load(self.id)
        return Interview.from_optional_row(row)


@strawberry.type(description="One move of an application between stages.")
class ApplicationStageChange(RowNode):
    table = models.ApplicationStageChange
    resource = Resource.APPLICATION
    id: relay.NodeID[int]
    from_stage: ApplicationStage | None
    to_stage: ApplicationStage
    reason: str
    actor: str
    changed_at: datetime
