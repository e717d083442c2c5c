"""Privacy: the candidate's explanation and review requests, HR's review queue, erasure results."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gateway import models
from gateway.models import enums
from resolvers.services.erasure import ErasureResult
from resolvers.services.explanation import Bilingual, Explanation
from schema.context import Info
from schema.permissions import Resource, can_read
from schema.types.base import RowNode
from schema.types.interview import Interview, RadarAxis

ReviewRequestKind = strawberry.enum(enums.ReviewRequestKind, name="ReviewRequestKind")
ReviewRequestStatus = strawberry.enum(enums.ReviewRequestStatus, name="ReviewRequestStatus")


@strawberry.type(description="A candidate's request about an AI result, as HR sees it (PIPL art. 24).")
class ReviewRequest(RowNode):
    table = models.ReviewRequest
    resource = Resource.CANDIDATE
    id: relay.NodeID[int]
    kind: ReviewRequestKind
    status: ReviewRequestStatus
    candidate_message: str = strawberry.field(description="What the candidate wrote (empty after erasure).")
    resolution: str | None
    resolved_by: str | None
    requested_at: datetime
    updated_at: datetime = strawberry.field(description="When the row last changed (incremental sync).")
    resolved_at: datetime | None
    interview_id: strawberry.Private[int]

    @strawberry.field(permission_classes=can_read(Resource.INTERVIEW))
    async def interview(self, info: Info) -> Interview:
        return Interview.from_row(await info.context.loaders.by_id(models.Interview).load(self.interview_id))


@strawberry.type(description="The candidate's own view of their request: no HR data behind it.")
class CandidateReviewRequest:
    review_request_id: relay.GlobalID
    kind: ReviewRequestKind
    status: ReviewRequestStatus
    message: str
    requested_at: datetime

    @classmethod
    def from_row(cls, row: models.ReviewRequest) -> CandidateReviewRequest:
        return cls(
            review_request_id=relay.GlobalID("ReviewRequest", str(row.id)),
            kind=row.kind,
            status=row.status,
            message=row.candidate_message,
            requested_at=row.requested_at,
        )


@strawberry.type(description="A text in Chinese and English.")
class BilingualText:
    zh: str
    en: str

    @classmethod
    def from_text(cls, text: Bilingual) -> BilingualText:
        return cls(zh=text.zh, en=text.en)


@strawberry.type(description="One competency explained in plain words.")
class DimensionExplanation:
    key: str
    name_zh: str
    name_en: str
    text: BilingualText


@strawberry.type(description="The candidate's own score on one competency.")
class CandidateDimensionScore:
    key: str
    name_zh: str
    name_en: str
    score: float | None


@strawberry.type(description="The candidate's own numbers, where the requisition lets candidates see them.")
class CandidateOwnReport:
    total: float | None
    dimension_scores: list[CandidateDimensionScore]
    radar: list[RadarAxis]


@strawberry.type(description="The AI result explained to the candidate, with what was not used.")
class InterviewExplanation:
    interview_id: relay.GlobalID
    review_request_id: relay.GlobalID
    summary: BilingualText
    dimensions: list[DimensionExplanation]
    not_used: list[BilingualText] = strawberry.field(
        description="What the AI did not use (no vision without biometric consent; expressions carry no weight)."
    )
    own_report: CandidateOwnReport | None = strawberry.field(
        description="Total, dimension scores and radar data; null where the requisition does not show reports."
    )

    @classmethod
    def from_explanation(cls, explanation: Explanation) -> InterviewExplanation:
        own = explanation.own_report
        return cls(
            interview_id=relay.GlobalID("Interview", str(explanation.interview_id)),
            review_request_id=relay.GlobalID("ReviewRequest", str(explanation.review_request_id)),
            summary=BilingualText.from_text(explanation.summary),
            dimensions=[
                DimensionExplanation(
                    key=dimension.key,
                    name_zh=dimension.name.zh,
                    name_en=dimension.name.en,
                    text=BilingualText.from_text(dimension.text),
                )
                for dimension in explanation.dimensions
            ],
            not_used=[BilingualText.from_text(text) for text in explanation.not_used],
            own_report=None
            if own is None
            else CandidateOwnReport(
                total=own.total,
                dimension_scores=[
                    CandidateDimensionScore(key=item.key, name_zh=item.name.zh, name_en=item.name.en, score=item.score)
                    for item in own.dimensions
                ],
                radar=[
                    RadarAxis(
                        key=axis["key"], label_zh=axis["label_zh"], label_en=axis["label_en"], value=axis.get("value")
                    )
                    for axis in own.radar
                ],
            ),
        )


@strawberry.type(description="What an erasure did (or that the candidate was already erased).")
class CandidateErasure:
    candidate_id: relay.GlobalID
    erased_at: datetime
    already_erased: bool
    employee_record_kept: bool = strawberry.field(
        description="The candidate is an employee: their HR file (employee, onboarding archive) was kept."
    )
    media_files_deleted: int
    answers_cleared: int
    reports_cleared: int

    @classmethod
    def from_result(cls, result: ErasureResult) -> CandidateErasure:
        return cls(
            candidate_id=relay.GlobalID("Candidate", str(result.candidate_id)),
            erased_at=result.erased_at,
            already_erased=result.already_erased,
            employee_record_kept=result.employee_record_kept,
            media_files_deleted=result.media_files_deleted,
            answers_cleared=result.answers_cleared,
            reports_cleared=result.reports_cleared,
        )
