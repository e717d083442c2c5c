"""Root query: node lookup and the top-level lists HR portals and ERP connectors page through."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry import relay

from gateway import models
from resolvers.errors import DomainError
from resolvers.filters import (
    ApplicationFilter,
    AuditEventFilter,
    CandidateFilter,
    EmployeeFilter,
    RequisitionFilter,
)
from resolvers.services.candidate_interview import view_interview
from schema.context import Context, Info
from schema.enums import ApplicationStage, BusinessLine, RequisitionStatus
from schema.ids import decode_id
from schema.node_lookup import resolve_node, resolve_nodes
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, UpdatedSince, root_connection
from schema.permissions import Resource, can_read, hiring_manager_scope
from schema.read_specs import RootList, compiled, without_score_range
from schema.report_filters import audit_score_filter, require_score_filter_permission
from schema.types.audit import AuditEvent
from schema.types.candidate import Application, Candidate
from schema.types.competency import CompetencyModel
from schema.types.employee import Employee
from schema.types.invitation import InvitationView
from schema.types.kpi import KpiDefinition
from schema.types.requisition import Requisition
from schema.types.training import TrainingProgramme


def _id_argument(value: strawberry.ID | None, type_name: str, argument: str) -> int | None:
    if value is None:
        return None
    try:
        return decode_id(value, type_name, argument)
    except DomainError as error:
        raise GraphQLError(error.errors[0].message, extensions={"code": "BAD_USER_INPUT", "field": argument}) from None


def requisition_filter(
    context: Context,
    status: RequisitionStatus | None = None,
    department: str | None = None,
    business_line: BusinessLine | None = None,
) -> RequisitionFilter:
    return RequisitionFilter(
        status=status,
        department=department,
        business_line=business_line,
        hiring_manager_subject=hiring_manager_scope(context.actor, Resource.REQUISITION),
    )


def application_filter(
    context: Context,
    stage: ApplicationStage | None = None,
    requisition_id: strawberry.ID | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
) -> ApplicationFilter:
    return ApplicationFilter(
        stage=stage,
        requisition_id=_id_argument(requisition_id, "Requisition", "requisitionId"),
        min_score=min_score,
        max_score=max_score,
        hiring_manager_subject=hiring_manager_scope(context.actor, Resource.APPLICATION),
    )


def candidate_filter(context: Context, search: str | None = None) -> CandidateFilter:
    return CandidateFilter(
        search=search, hiring_manager_subject=hiring_manager_scope(context.actor, Resource.CANDIDATE)
    )


def employee_filter(context: Context, department: str | None = None) -> EmployeeFilter:
    return EmployeeFilter(department=department)


def audit_event_filter(context: Context, action: str | None = None, entity_type: str | None = None) -> AuditEventFilter:
    return AuditEventFilter(action=action, entity_type=entity_type)


@strawberry.type
class Query:
    @strawberry.field(description="Candidate: the interview behind an invitation token (prompts and progress only).")
    async def invitation(self, token: str) -> InvitationView:
        try:
            return InvitationView.from_view(await view_interview(token))
        except DomainError as error:
            first = error.errors[0]
            raise GraphQLError(
                first.message, extensions={"code": "BAD_USER_INPUT", "reason": first.code.name}
            ) from None

    @strawberry.field(description="Any object by its global ID; null when there is none (or it is not yours to see).")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Several objects by their global IDs (≤ 100), null where unknown.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        return await resolve_nodes(info, ids)

    @strawberry.field(
        description="Job openings, filtered by status, department and business line.",
        permission_classes=can_read(Resource.REQUISITION),
        metadata=compiled(RootList(models.Requisition, requisition_filter)),
    )
    async def requisitions(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        status: RequisitionStatus | None = None,
        department: str | None = None,
        business_line: BusinessLine | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Requisition]:
        return await root_connection(
            info,
            models.Requisition,
            Requisition.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
            row_filter=requisition_filter(
                info.context, status=status, department=department, business_line=business_line
            ),
        )

    @strawberry.field(
        description="Applications, filtered by stage, requisition and interview score range (the score range needs "
        "report read rights and is audited).",
        permission_classes=can_read(Resource.APPLICATION),
        metadata=compiled(RootList(models.Application, application_filter, compile_when=without_score_range)),
    )
    async def applications(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        stage: ApplicationStage | None = None,
        requisition_id: strawberry.ID | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Application]:
        score_filtered = require_score_filter_permission(info, min_score, max_score)
        row_filter = application_filter(
            info.context, stage=stage, requisition_id=requisition_id, min_score=min_score, max_score=max_score
        )
        connection = await root_connection(
            info,
            models.Application,
            Application.from_row,
            first=first,
            after=after,
            row_filter=row_filter,
            updated_since=updated_since,
        )
        if score_filtered:
            await audit_score_filter(info, row_filter, connection)
        return connection

    @strawberry.field(
        description="Candidates, optionally matching a name or email fragment.",
        permission_classes=can_read(Resource.CANDIDATE),
        metadata=compiled(RootList(models.Candidate, candidate_filter)),
    )
    async def candidates(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        search: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Candidate]:
        return await root_connection(
            info,
            models.Candidate,
            Candidate.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
            row_filter=candidate_filter(info.context, search=search),
        )

    @strawberry.field(
        permission_classes=can_read(Resource.REFERENCE), metadata=compiled(RootList(models.CompetencyModel))
    )
    async def competency_models(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, updated_since: UpdatedSince = None
    ) -> Connection[CompetencyModel]:
        return await root_connection(
            info,
            models.CompetencyModel,
            CompetencyModel.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
        )

    @strawberry.field(
        permission_classes=can_read(Resource.REFERENCE), metadata=compiled(RootList(models.KpiDefinition))
    )
    async def kpi_definitions(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, updated_since: UpdatedSince = None
    ) -> Connection[KpiDefinition]:
        return await root_connection(
            info, models.KpiDefinition, KpiDefinition.from_row, first=first, after=after, updated_since=updated_since
        )

    @strawberry.field(
        description="The training catalogue, oldest first.", permission_classes=can_read(Resource.REFERENCE)
    )
    async def training_programmes(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, updated_since: UpdatedSince = None
    ) -> Connection[TrainingProgramme]:
        return await root_connection(
            info,
            models.TrainingProgramme,
            TrainingProgramme.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
        )

    @strawberry.field(
        permission_classes=can_read(Resource.EMPLOYEE), metadata=compiled(RootList(models.Employee, employee_filter))
    )
    async def employees(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        department: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Employee]:
        return await root_connection(
            info,
            models.Employee,
            Employee.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
            row_filter=employee_filter(info.context, department=department),
        )

    @strawberry.field(
        description="The audit trail, oldest first.",
        permission_classes=can_read(Resource.AUDIT),
        metadata=compiled(RootList(models.AuditEvent, audit_event_filter)),
    )
    async def audit_events(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        action: str | None = None,
        entity_type: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[AuditEvent]:
        return await root_connection(
            info,
            models.AuditEvent,
            AuditEvent.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
            row_filter=audit_event_filter(info.context, action=action, entity_type=entity_type),
        )
