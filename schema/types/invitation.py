"""What a candidate sees through the invitation link: prompts and their own progress, nothing of HR's."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gateway.models import Answer, Question
from resolvers.services.candidate_interview import CandidateInterview, ConsentState
from schema.enums import InterviewStatus


@strawberry.type(description="The candidate's consents as they stand (the latest record of each kind).")
class InvitationConsent:
    ai_processing: bool
    biometric: bool

    @classmethod
    def from_state(cls, state: ConsentState) -> InvitationConsent:
        return cls(ai_processing=state.ai_processing, biometric=state.biometric)


@strawberry.type(description="A question as the candidate sees it: prompt and time limit, no rubric or model answers.")
class InvitationQuestion:
    question_id: relay.GlobalID
    position: int
    prompt_zh: str
    prompt_en: str
    time_limit_seconds: int
    answered: bool
    answer_content_type: str | None
    answer_bytes: int | None
    answer_uploaded_at: datetime | None

    @classmethod
    def from_rows(cls, position: int, question: Question, answer: Answer | None) -> InvitationQuestion:
        return cls(
            question_id=relay.GlobalID("Question", str(question.id)),
            position=position,
            prompt_zh=question.prompt_zh,
            prompt_en=question.prompt_en,
            time_limit_seconds=question.time_limit_seconds,
            answered=answer is not None and answer.media_uri is not None,
            answer_content_type=answer.media_content_type if answer else None,
            answer_bytes=answer.media_bytes if answer else None,
            answer_uploaded_at=answer.uploaded_at if answer else None,
        )


@strawberry.type(description="The candidate's interview, reached with the invitation token.")
class InvitationView:
    interview_id: relay.GlobalID
    requisition_title: str
    status: InterviewStatus
    status_reason: str | None
    expires_at: datetime
    submitted_at: datetime | None
    consent: InvitationConsent
    questions: list[InvitationQuestion] = strawberry.field(description="In the order they are asked (≤ 20).")

    @classmethod
    def from_view(cls, view: CandidateInterview) -> InvitationView:
        return cls(
            interview_id=relay.GlobalID("Interview", str(view.interview.id)),
            requisition_title=view.requisition.title,
            status=view.interview.status,
            status_reason=view.interview.status_reason,
            expires_at=view.interview.expires_at,
            submitted_at=view.interview.submitted_at,
            consent=InvitationConsent.from_state(view.consent),
            questions=[
                InvitationQuestion.from_rows(position, question, view.answers.get(question.id))
                for position, question in enumerate(view.questions)
            ],
        )


@strawberry.type(description="A live interview status change.")
class InterviewStatusEvent:
    interview_id: relay.GlobalID
    status: InterviewStatus
    reason: str | None
    answers_scored: int | None = strawberry.field(description="Answers scored so far, while scoring.")
    answers_total: int | None

    @classmethod
    def from_event(cls, event: dict) -> InterviewStatusEvent:
        return cls(
            interview_id=relay.GlobalID("Interview", str(event["interview_id"])),
            status=InterviewStatus(event["status"]),
            reason=event.get("reason"),
            answers_scored=event.get("answers_scored"),
            answers_total=event.get("answers_total"),
        )
