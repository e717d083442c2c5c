"""The AI interview: candidate mutations (by invitation token) and HR re-scoring."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry
from strawberry.file_uploads import Upload

from gateway.storage import get_media_store
from resolvers.services import candidate_interview as interview_service
from resolvers.services import notifications as notification_service
from schema.context import Info
from schema.enums import DeliveryStatus
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.permissions import Action, can_write
from schema.types.interview import Interview
from schema.types.invitation import InvitationConsent, InvitationView

UPLOAD_CHUNK_BYTES = 1024 * 1024


@strawberry.input
class InterviewConsentRecordInput:
    invitation_token: str
    ai_processing: bool = strawberry.field(description="Consent to AI analysis of the answers (required to take part).")
    biometric: bool = strawberry.field(
        description="Separate consent to face and voice analysis; without it, no vision."
    )
    notice_version: str = strawberry.field(description="Version of the privacy notice the candidate was shown.")


@strawberry.type
class InterviewConsentRecordPayload:
    consent: InvitationConsent | None = None
    errors: list[UserError]


@strawberry.input
class InterviewAnswerUploadInput:
    invitation_token: str
    question_id: strawberry.ID
    file: Upload = strawberry.field(description="WebM, MP4, M4A or WAV; checked by content; size-capped.")


@strawberry.type
class InterviewAnswerUploadPayload:
    invitation: InvitationView | None = None
    errors: list[UserError]


@strawberry.input
class InterviewSubmitInput:
    invitation_token: str


@strawberry.type
class InterviewSubmitPayload:
    invitation: InvitationView | None = None
    errors: list[UserError]


@strawberry.input
class InterviewRemindersOptOutInput:
    invitation_token: str


@strawberry.type
class InterviewRemindersOptOutPayload:
    invitation: InvitationView | None = None
    reminder_status: DeliveryStatus | None = strawberry.field(
        default=None,
        description="OPTED_OUT; or SENT / SKIPPED when the reminder was already sent or is not coming anyway.",
    )
    errors: list[UserError]


@strawberry.input
class InterviewRescoreInput:
    interview_id: strawberry.ID


@strawberry.type
class InterviewRescorePayload:
    interview: Interview | None = None
    errors: list[UserError]


async def _file_chunks(upload) -> AsyncIterator[bytes]:  # noqa: ANN001 - starlette UploadFile
    while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
        yield chunk


async def _invitation_view(token: str) -> InvitationView:
    return InvitationView.from_view(await interview_service.view_interview(token))


@strawberry.type
class InterviewMutations:
    @strawberry.mutation(
        description="Candidate: record consent to AI processing and, separately, to biometric analysis."
    )
    async def interview_consent_record(
        self, info: Info, input: InterviewConsentRecordInput
    ) -> InterviewConsentRecordPayload:
        async def operation(uow):
            return await interview_service.record_consent(
                input.invitation_token,
                ai_processing=input.ai_processing,
                biometric=input.biometric,
                notice_version=input.notice_version,
                uow=uow,
            )

        consent, errors = await run_mutation(operation)
        return InterviewConsentRecordPayload(
            consent=InvitationConsent.from_state(consent) if consent else None, errors=errors
        )

    @strawberry.mutation(description="Candidate: upload the recording of one answer (GraphQL multipart request).")
    async def interview_answer_upload(
        self, info: Info, input: InterviewAnswerUploadInput
    ) -> InterviewAnswerUploadPayload:
        async def operation(_uow):
            question_id = decode_id(input.question_id, "Question", "questionId")
            return await interview_service.upload_answer(
                input.invitation_token,
                question_id,
                _file_chunks(input.file),
                store=get_media_store(),
                max_bytes=info.context.settings.max_upload_bytes,
            )

        _answer, errors = await run_mutation(operation)
        if errors:
            return InterviewAnswerUploadPayload(errors=errors)
        return InterviewAnswerUploadPayload(invitation=await _invitation_view(input.invitation_token), errors=[])

    @strawberry.mutation(description="Candidate: submit all answers for scoring (the interview becomes QUEUED).")
    async def interview_submit(self, info: Info, input: InterviewSubmitInput) -> InterviewSubmitPayload:
        async def operation(uow):
            return await interview_service.submit(input.invitation_token, uow=uow)

        _interview, errors = await run_mutation(operation)
        if errors:
            return InterviewSubmitPayload(errors=errors)
        return InterviewSubmitPayload(invitation=await _invitation_view(input.invitation_token), errors=[])

    @strawberry.mutation(description="Candidate: no reminder e-mail for this interview (the invitation stays open).")
    async def interview_reminders_opt_out(
        self, info: Info, input: InterviewRemindersOptOutInput
    ) -> InterviewRemindersOptOutPayload:
        async def operation(uow):
            return await notification_service.opt_out_of_reminders(input.invitation_token, uow=uow)

        result, errors = await run_mutation(operation)
        if result is None:
            return InterviewRemindersOptOutPayload(errors=errors)
        return InterviewRemindersOptOutPayload(
            invitation=await _invitation_view(input.invitation_token), reminder_status=result[1], errors=[]
        )

    @strawberry.mutation(
        description="HR: score a scored or failed interview again with the current pipeline version.",
        permission_classes=can_write(Action.RESCORE),
    )
    async def interview_rescore(self, info: Info, input: InterviewRescoreInput) -> InterviewRescorePayload:
        async def operation(uow):
            interview_id = decode_id(input.interview_id, "Interview", "interviewId")
            return await interview_service.rescore(interview_id, uow=uow, actor=info.context.actor)

        interview, errors = await run_mutation(operation)
        return InterviewRescorePayload(interview=Interview.from_optional_row(interview), errors=errors)
