"""Privacy: explanation and human review for the candidate (token), HR's review queue, erasure.

``PrivacyMutations`` joins the root ``Mutation`` and ``PrivacyQuery`` the root ``Query``.
"""

from __future__ import annotations

import strawberry

from gateway import models
from gateway.db import unit_of_work
from resolvers.services.erasure import erase_candidate
from resolvers.services.explanation import request_explanation
from resolvers.services.review_requests import (
    ReviewRequestFilter,
    record_review_requests_read,
    request_human_review,
    resolve_review_request,
)
from schema.context import Info
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, UpdatedSince, root_connection
from schema.permissions import Action, Resource, can_read, can_write, hiring_manager_scope
from schema.types.candidate import Candidate
from schema.types.privacy import (
    CandidateErasure,
    CandidateReviewRequest,
    InterviewExplanation,
    ReviewRequest,
    ReviewRequestKind,
    ReviewRequestStatus,
)


@strawberry.input
class InterviewExplanationRequestInput:
    invitation_token: str


@strawberry.type
class InterviewExplanationRequestPayload:
    explanation: InterviewExplanation | None = None
    errors: list[UserError]


@strawberry.input
class InterviewHumanReviewRequestInput:
    invitation_token: str
    message: str = strawberry.field(default="", description="What the candidate wants reviewed (≤ 5,000 characters).")


@strawberry.type
class InterviewHumanReviewRequestPayload:
    review_request: CandidateReviewRequest | None = None
    errors: list[UserError]


@strawberry.input
class ReviewRequestResolveInput:
    review_request_id: strawberry.ID
    resolution: str = strawberry.field(description="The reviewer's note to the candidate (required).")


@strawberry.type
class ReviewRequestResolvePayload:
    review_request: ReviewRequest | None = None
    errors: list[UserError]


@strawberry.input
class CandidateEraseInput:
    candidate_id: strawberry.ID
    reason: str = strawberry.field(description="Why (e.g. the candidate's request of a given date); audited.")


@strawberry.type
class CandidateErasePayload:
    erasure: CandidateErasure | None = None
    candidate: Candidate | None = None
    errors: list[UserError]


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="HR: candidates' explanation and human-review requests, oldest first (reads are audited).",
        permission_classes=can_read(Resource.CANDIDATE),
    )
    async def review_requests(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        status: ReviewRequestStatus | None = None,
        kind: ReviewRequestKind | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[ReviewRequest]:
        row_filter = ReviewRequestFilter(
            status=status,
            kind=kind,
            hiring_manager_subject=hiring_manager_scope(info.context.actor, Resource.CANDIDATE),
        )
        connection = await root_connection(
            info,
            models.ReviewRequest,
            ReviewRequest.from_row,
            first=first,
            after=after,
            row_filter=row_filter,
            updated_since=updated_since,
        )
        async with unit_of_work() as uow:
            record_review_requests_read(
                [edge.node.id for edge in connection.edges], row_filter, session=uow.session, actor=info.context.actor
            )
        return connection


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Candidate: the AI result explained in plain words (zh/en), and the own report where allowed."
    )
    async def interview_explanation_request(
        self, info: Info, input: InterviewExplanationRequestInput
    ) -> InterviewExplanationRequestPayload:
        async def operation(uow):
            return await request_explanation(input.invitation_token, uow=uow)

        explanation, errors = await run_mutation(operation)
        return InterviewExplanationRequestPayload(
            explanation=InterviewExplanation.from_explanation(explanation) if explanation else None, errors=errors
        )

    @strawberry.mutation(description="Candidate: ask for a person to review the AI result.")
    async def interview_human_review_request(
        self, info: Info, input: InterviewHumanReviewRequestInput
    ) -> InterviewHumanReviewRequestPayload:
        async def operation(uow):
            return await request_human_review(input.invitation_token, input.message, uow=uow)

        request, errors = await run_mutation(operation)
        return InterviewHumanReviewRequestPayload(
            review_request=CandidateReviewRequest.from_row(request) if request else None, errors=errors
        )

    @strawberry.mutation(
        description="HR: resolve an open review request with a note.", permission_classes=can_write(Action.RECRUITING)
    )
    async def review_request_resolve(self, info: Info, input: ReviewRequestResolveInput) -> ReviewRequestResolvePayload:
        async def operation(uow):
            request_id = decode_id(input.review_request_id, "ReviewRequest", "reviewRequestId")
            return await resolve_review_request(request_id, input.resolution, uow=uow, actor=info.context.actor)

        request, errors = await run_mutation(operation)
        return ReviewRequestResolvePayload(review_request=ReviewRequest.from_optional_row(request), errors=errors)

    @strawberry.mutation(
        description="HR admin: erase a candidate's personal data (recordings, transcripts, contact, self-reported "
        "groups); idempotent. People only: no connector scope allows it.",
        permission_classes=can_write(Action.ERASURE),
    )
    async def candidate_erase(self, info: Info, input: CandidateEraseInput) -> CandidateErasePayload:
        async def operation(uow):
            candidate_id = decode_id(input.candidate_id, "Candidate", "candidateId")
            return await erase_candidate(candidate_id, input.reason, uow=uow, actor=info.context.actor)

        result, errors = await run_mutation(operation)
        if result is None:
            return CandidateErasePayload(errors=errors)
        row = await info.context.loaders.by_id(models.Candidate).load(result.candidate_id)
        return CandidateErasePayload(
            erasure=CandidateErasure.from_result(result), candidate=Candidate.from_optional_row(row), errors=[]
        )
