"""Mutations along the hiring path: requisitions, candidates, applications, interview invitations."""

from __future__ import annotations

import strawberry

from resolvers.services import candidates as candidate_service
from resolvers.services import invitations as invitation_service
from resolvers.services import notifications as notification_service
from resolvers.services import requisitions as requisition_service
from schema.context import Info
from schema.enums import ApplicationStage, BusinessLine, ConsentKind, RequisitionStatus
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.mutations.inputs import input_data
from schema.permissions import Action, can_write
from schema.types.candidate import Application, Candidate
from schema.types.interview import Interview
from schema.types.requisition import Requisition


@strawberry.input
class RequisitionCreateInput:
    title: str
    department: str
    business_line: BusinessLine
    headcount: int
    competency_model_version_id: strawberry.ID
    hiring_manager_subject: str | None = strawberry.field(
        default=None, description="The identity-provider subject (sub) of the hiring manager who may see it."
    )


@strawberry.input(description="Only the fields given change. Closing has its own mutation.")
class RequisitionUpdateInput:
    id: strawberry.ID
    title: str | None = None
    department: str | None = None
    business_line: BusinessLine | None = None
    headcount: int | None = None
    status: RequisitionStatus | None = None
    hiring_manager_subject: str | None = None


@strawberry.input
class RequisitionCloseInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.type
class RequisitionPayload:
    requisition: Requisition | None = None
    errors: list[UserError]


@strawberry.input
class ConsentInput:
    kind: ConsentKind
    notice_version: str
    granted: bool


@strawberry.input
class CandidateCreateInput:
    full_name: str
    email: str
    phone: str | None = None
    resume_text: str = ""
    consents: list[ConsentInput] = strawberry.field(default_factory=list)


@strawberry.type
class CandidateCreatePayload:
    candidate: Candidate | None = None
    errors: list[UserError]


@strawberry.input
class ApplicationCreateInput:
    candidate_id: strawberry.ID
    requisition_id: strawberry.ID


@strawberry.input
class ApplicationMoveStageInput:
    application_id: strawberry.ID
    stage: ApplicationStage
    reason: str = ""


@strawberry.type
class ApplicationPayload:
    application: Application | None = None
    errors: list[UserError]


@strawberry.input
class InterviewInviteInput:
    application_id: strawberry.ID
    expires_in_hours: int | None = strawberry.field(default=None, description="Defaults to the deployment setting.")
    question_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="A subset of the model's questions; all of them when omitted."
    )


@strawberry.type
class InterviewInvitePayload:
    interview: Interview | None = None
    invitation_token: str | None = strawberry.field(
        default=None, description="Shown once: only its hash is stored. Send it to the candidate."
    )
    invitation_url: str | None = strawberry.field(default=None, description="The candidate's link, shown once.")
    errors: list[UserError]


@strawberry.type
class RecruitingMutations:
    @strawberry.mutation(
        description="Open a requisition; it pins (and freezes) a competency model version.",
        permission_classes=can_write(Action.REQUISITION),
    )
    async def requisition_create(self, info: Info, input: RequisitionCreateInput) -> RequisitionPayload:
        async def operation(uow):
            version_id = decode_id(
                input.competency_model_version_id, "CompetencyModelVersion", "competencyModelVersionId"
            )
            data = {key: value for key, value in input_data(input).items() if key != "competency_model_version_id"}
            return await requisition_service.create_requisition(
                data, version_id, session=uow.session, actor=info.context.actor
            )

        requisition, errors = await run_mutation(operation)
        return RequisitionPayload(requisition=Requisition.from_optional_row(requisition), errors=errors)

    @strawberry.mutation(permission_classes=can_write(Action.REQUISITION))
    async def requisition_update(self, info: Info, input: RequisitionUpdateInput) -> RequisitionPayload:
        async def operation(uow):
            requisition_id = decode_id(input.id, "Requisition", "id")
            data = {key: value for key, value in input_data(input).items() if key != "id"}
            return await requisition_service.update_requisition(
                data, requisition_id, session=uow.session, actor=info.context.actor
            )

        requisition, errors = await run_mutation(operation)
        return RequisitionPayload(requisition=Requisition.from_optional_row(requisition), errors=errors)

    @strawberry.mutation(permission_classes=can_write(Action.REQUISITION))
    async def requisition_close(self, info: Info, input: RequisitionCloseInput) -> RequisitionPayload:
        async def operation(uow):
            requisition_id = decode_id(input.id, "Requisition", "id")
            return await requisition_service.close_requisition(
                requisition_id, input.reason, session=uow.session, actor=info.context.actor
            )

        requisition, errors = await run_mutation(operation)
        return RequisitionPayload(requisition=Requisition.from_optional_row(requisition), errors=errors)

    @strawberry.mutation(permission_classes=can_write(Action.RECRUITING))
    async def candidate_create(self, info: Info, input: CandidateCreateInput) -> CandidateCreatePayload:
        async def operation(uow):
            return await candidate_service.create_candidate(
                input_data(input), session=uow.session, actor=info.context.actor
            )

        candidate, errors = await run_mutation(operation)
        return CandidateCreatePayload(candidate=Candidate.from_optional_row(candidate), errors=errors)

    @strawberry.mutation(
        description="A candidate applies to an open requisition (once).",
        permission_classes=can_write(Action.RECRUITING),
    )
    async def application_create(self, info: Info, input: ApplicationCreateInput) -> ApplicationPayload:
        async def operation(uow):
            candidate_id = decode_id(input.candidate_id, "Candidate", "candidateId")
            requisition_id = decode_id(input.requisition_id, "Requisition", "requisitionId")
            return await candidate_service.apply(
                candidate_id, requisition_id, session=uow.session, actor=info.context.actor
            )

        application, errors = await run_mutation(operation)
        return ApplicationPayload(application=Application.from_optional_row(application), errors=errors)

    @strawberry.mutation(
        description="Move an application to another stage; illegal moves are refused.",
        permission_classes=can_write(Action.RECRUITING),
    )
    async def application_move_stage(self, info: Info, input: ApplicationMoveStageInput) -> ApplicationPayload:
        async def operation(uow):
            application_id = decode_id(input.application_id, "Application", "applicationId")
            return await candidate_service.move_stage(
                application_id, input.stage, input.reason, session=uow.session, actor=info.context.actor
            )

        application, errors = await run_mutation(operation)
        return ApplicationPayload(application=Application.from_optional_row(application), errors=errors)

    @strawberry.mutation(
        description=(
            "Invite an application to an AI interview; returns the invitation link once and e-mails it to the"
            " candidate (after commit), with one reminder before it expires."
        ),
        permission_classes=can_write(Action.RECRUITING),
    )
    async def interview_invite(self, info: Info, input: InterviewInviteInput) -> InterviewInvitePayload:
        settings = info.context.settings

        async def operation(uow):
            application_id = decode_id(input.application_id, "Application", "applicationId")
            question_ids = (
                [decode_id(value, "Question", f"questionIds.{index}") for index, value in enumerate(input.question_ids)]
                if input.question_ids
                else None
            )
            interview, token = await invitation_service.invite_to_interview(
                application_id,
                session=uow.session,
                actor=info.context.actor,
                ttl_hours=input.expires_in_hours or settings.invitation_ttl_hours,
                question_ids=question_ids,
            )
            await notification_service.queue_candidate_mail(interview, token, uow=uow, settings=settings)
            return interview, token

        result, errors = await run_mutation(operation)
        if result is None:
            return InterviewInvitePayload(errors=errors)
        interview, token = result
        return InterviewInvitePayload(
            interview=Interview.from_row(interview),
            invitation_token=token,
            invitation_url=invitation_service.invitation_url(settings.public_base_url, token),
            errors=[],
        )
