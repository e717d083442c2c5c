"""AI interviews, recorded answers, and the interview report with its explained dimension scores."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway import models
from resolvers.filters import DimensionScoreFilter
from resolvers.services import decisions
from schema.context import Info
from schema.enums import HumanDecision, InterviewStatus
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.permissions import Resource, can_read
from schema.read_specs import ChildList, FromColumns, RowReference, compiled
from schema.types.base import RowNode
from schema.types.competency import Dimension, Question

if TYPE_CHECKING:
    from schema.types.candidate import Application
    from schema.types.notification import InterviewNotification


@strawberry.type(description="An AI video interview of one application.")
class Interview(RowNode):
    table = models.Interview
    resource = Resource.INTERVIEW
    id: relay.NodeID[int]
    status: InterviewStatus
    status_reason: str | None
    expires_at: datetime
    created_at: datetime
    submitted_at: datetime | None
    application_id: strawberry.Private[int]

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="application_id")),
        permission_classes=can_read(Resource.APPLICATION),
    )
    async def application(self, info: Info) -> Annotated[Application, strawberry.lazy("schema.types.candidate")]:
        from schema.types.candidate import Application

        return Application.from_row(await info.context.loaders.by_id(models.Application).load(self.application_id))

    @strawberry.field(
        metadata=compiled(ChildList(models.InterviewQuestion, "interview_id")),
        description="The questions asked, in order.",
        permission_classes=can_read(Resource.INTERVIEW),
    )
    async def questions(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[InterviewQuestion]:
        return await child_connection(
            info,
            models.InterviewQuestion,
            models.InterviewQuestion.interview_id,
            self.id,
            InterviewQuestion.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        metadata=compiled(ChildList(models.Answer, "interview_id")),
        description="The recorded answers with transcripts and features.",
        permission_classes=can_read(Resource.INTERVIEW),
    )
    async def answers(self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> Connection[Answer]:
        return await child_connection(
            info, models.Answer, models.Answer.interview_id, self.id, Answer.from_row, first=first, after=after
        )

    @strawberry.field(
        metadata=compiled(ChildList(models.InterviewNotification, "interview_id")),
        description="The e-mails to the candidate (invitation, reminder) and their delivery status.",
        permission_classes=can_read(Resource.CANDIDATE),
    )
    async def notifications(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Annotated[InterviewNotification, strawberry.lazy("schema.types.notification")]]:
        from schema.types.notification import InterviewNotification

        return await child_connection(
            info,
            models.InterviewNotification,
            models.InterviewNotification.interview_id,
            self.id,
            InterviewNotification.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        metadata=compiled(RowReference(child_column="interview_id", audited_as="InterviewReport")),
        description="The scored report, once scoring finished (each read is audited).",
        permission_classes=can_read(Resource.REPORT),
    )
    async def report(self, info: Info) -> InterviewReport | None:
        row = await info.context.loaders.one_by(models.InterviewReport, models.InterviewReport.interview_id).load(
            self.id
        )
        if row is not None:
            await InterviewReport.audit_reads(info, [row.id])
        return InterviewReport.from_optional_row(row)


@strawberry.type(description="A question as placed in an interview.")
class InterviewQuestion(RowNode):
    table = models.InterviewQuestion
    resource = Resource.INTERVIEW
    id: relay.NodeID[int]
    position: int
    question_id: strawberry.Private[int]

    @strawberry.field(metadata=compiled(RowReference(parent_column="question_id")))
    async def question(self, info: Info) -> Question:
        return Question.from_row(await info.context.loaders.by_id(models.Question).load(self.question_id))


@strawberry.type(description="A recorded answer: media facts, transcript and extracted features.")
class Answer(RowNode):
    table = models.Answer
    resource = Resource.INTERVIEW
    id: relay.NodeID[int]
    media_content_type: str | None
    media_bytes: int | None
    duration_seconds: float | None
    transcript: str | None
    language: str | None
    features: JSON
    error: str | None
    created_at: datetime
    question_id: strawberry.Private[int]

    @strawberry.field(metadata=compiled(RowReference(parent_column="question_id")))
    async def question(self, info: Info) -> Question:
        return Question.from_row(await info.context.loaders.by_id(models.Question).load(self.question_id))


@strawberry.type(description="A label in Chinese and English, e.g. 逻辑清晰 / clear logic.")
class Tag:
    zh: str
    en: str


@strawberry.type(description="A competency named in Chinese and English (a report's strengths and weaknesses).")
class DimensionLabel:
    key: str
    zh: str
    en: str


@strawberry.type(
    description="The versioned scoring configuration that computed a report: every fusion weight, threshold, "
    "feature parameter and model, validated, named and hashed (workers.pipeline.config.PipelineConfig)."
)
class ScoringConfiguration:
    version: str = strawberry.field(description="The configuration's name, e.g. 2026.11.4.")
    hash: str = strawberry.field(description="SHA-256 of the canonical JSON of parameters.")
    pipeline_version: str = strawberry.field(description="version + '+' + the hash's first 9 hex digits.")
    parameters: JSON = strawberry.field(description="Every setting that decides a score, as it was applied.")


def scoring_configuration(models_used: dict[str, Any]) -> ScoringConfiguration | None:
    """The configuration a report recorded (``models.scoring_configuration``); null for reports scored before
    configurations were recorded."""
    recorded = (models_used or {}).get("scoring_configuration")
    if not recorded:
        return None
    return ScoringConfiguration(
        version=recorded["version"],
        hash=recorded["hash"],
        pipeline_version=recorded["pipeline_version"],
        parameters=recorded["parameters"],
    )


def dimension_labels(keys: list[str], radar: list[dict]) -> list[DimensionLabel]:
    """Dimension keys named in zh and en from the report's own radar axes (one per dimension)."""
    names = {axis["key"]: axis for axis in radar}
    return [
        DimensionLabel(key=key, zh=names.get(key, {}).get("label_zh", key), en=names.get(key, {}).get("label_en", key))
        for key in keys
    ]


@strawberry.type(description="One axis of a radar chart.")
class RadarAxis:
    key: str
    label_zh: str
    label_en: str
    value: float | None


@strawberry.type(description="One piece of evidence behind a score: the feature, its value and its contribution.")
class Evidence:
    feature: str
    value: float | None
    contribution: float | None
    detail: str | None


def _recommendation(total: float | None, percentile: float | None, insufficient_evidence: bool) -> Any:
    """``decisions.ai_recommendation`` over the report's raw columns (the read compiler's path)."""
    return decisions.ai_recommendation(
        SimpleNamespace(total=total, percentile=percentile, insufficient_evidence=bool(insufficient_evidence))
    )


_REPORT_DIMENSION_SCORES = ChildList(
    models.DimensionScore, "report_id", correlate=(("pipeline_version", "pipeline_version"),)
)
"""A report's dimension scores of its own pipeline version (``models`` is a field name inside the class)."""


@strawberry.type(description="The fused interview result, and the human decision taken on it.")
class InterviewReport(RowNode):
    table = models.InterviewReport
    resource = Resource.REPORT
    audited_as = "InterviewReport"
    id: relay.NodeID[int]
    total: float | None = strawberry.field(description="Weighted total, 0–100; null with insufficient evidence.")
    percentile: float | None = strawberry.field(description="Percentile among scored interviews of the requisition.")
    insufficient_evidence: bool
    strengths: list[str] = strawberry.field(
        description="Keys of the best-scored dimensions (strengthLabels names them); never a dimension whose "
        "answers recited rubric keywords as a list."
    )
    weaknesses: list[str] = strawberry.field(
        description="Keys of the lowest-scored dimensions (weaknessLabels names them), never also strengths."
    )
    pipeline_version: str = strawberry.field(
        description="The scoring configuration's version + hash prefix (scoringConfiguration.pipelineVersion)."
    )
    scored_at: datetime | None
    human_decision: HumanDecision | None
    override_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    interview_id: strawberry.Private[int]
    models: JSON = strawberry.field(
        description="Which models produced the evidence (speech, text embedders, vision: null unless a video "
        "was analysed), the answers the audio-quality gate did not judge (quality_notes) and the scoring "
        "configuration (scoring_configuration, also scoringConfiguration)."
    )
    raw_tags: strawberry.Private[list[dict[str, str]]]
    raw_radar: strawberry.Private[list[dict]]
    row_attributes = {"raw_tags": "tags", "raw_radar": "radar"}

    @strawberry.field(description="Labels in Chinese and English, e.g. 逻辑清晰 / clear logic.")
    def tags(self) -> list[Tag]:
        return [Tag(zh=tag.get("zh", ""), en=tag.get("en", "")) for tag in self.raw_tags]

    @strawberry.field(description="The strengths named in Chinese and English.")
    def strength_labels(self) -> list[DimensionLabel]:
        return dimension_labels(self.strengths, self.raw_radar)

    @strawberry.field(description="The weaknesses named in Chinese and English.")
    def weakness_labels(self) -> list[DimensionLabel]:
        return dimension_labels(self.weaknesses, self.raw_radar)

    @strawberry.field(
        description="The versioned configuration (weights, thresholds, feature parameters, models) that computed "
        "this report; null for reports scored before configurations were recorded."
    )
    def scoring_configuration(self) -> ScoringConfiguration | None:
        return scoring_configuration(self.models)

    @strawberry.field(description="Radar-chart data: one axis per dimension, 0–100 (null without enough evidence).")
    def radar(self) -> list[RadarAxis]:
        return [
            RadarAxis(key=axis["key"], label_zh=axis["label_zh"], label_en=axis["label_en"], value=axis.get("value"))
            for axis in self.raw_radar
        ]

    @strawberry.field(
        metadata=compiled(RowReference(parent_column="interview_id")), permission_classes=can_read(Resource.INTERVIEW)
    )
    async def interview(self, info: Info) -> Interview:
        return Interview.from_row(await info.context.loaders.by_id(models.Interview).load(self.interview_id))

    @strawberry.field(
        metadata=compiled(_REPORT_DIMENSION_SCORES),
        description="Per-dimension scores of the report's pipeline version.",
        permission_classes=can_read(Resource.REPORT),
    )
    async def dimension_scores(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[DimensionScore]:
        return await child_connection(
            info,
            models.DimensionScore,
            models.DimensionScore.report_id,
            self.id,
            DimensionScore.from_row,
            first=first,
            after=after,
            row_filter=DimensionScoreFilter(pipeline_version=self.pipeline_version),
        )

    @strawberry.field(
        description="What the scores suggest; a person decides (humanDecision). REJECT when total < 40, else "
        "ADVANCE when total ≥ 70 or percentile ≥ 60, else HOLD; null with insufficient evidence.",
        metadata=compiled(FromColumns(("total", "percentile", "insufficient_evidence"), _recommendation)),
    )
    def ai_recommendation(self) -> HumanDecision | None:
        return decisions.ai_recommendation(self)


@strawberry.type(description="One dimension's score with the evidence it rests on and a confidence.")
class DimensionScore(RowNode):
    table = models.DimensionScore
    resource = Resource.REPORT
    audited_as = "InterviewReport"
    audited_id_attribute = "report_id"
    id: relay.NodeID[int]
    score: float | None
    confidence: float
    pipeline_version: str
    insufficient_evidence_reason: str | None
    dimension_id: strawberry.Private[int]
    raw_evidence: strawberry.Private[list[dict]]
    row_attributes = {"raw_evidence": "evidence"}

    @strawberry.field
    def evidence(self) -> list[Evidence]:
        return [
            Evidence(
                feature=item["feature"],
                value=item.get("value"),
                contribution=item.get("contribution"),
                detail=item.get("detail"),
            )
            for item in self.raw_evidence
        ]

    @strawberry.field(metadata=compiled(RowReference(parent_column="dimension_id")))
    async def dimension(self, info: Info) -> Dimension:
        return Dimension.from_row(await info.context.loaders.by_id(models.Dimension).load(self.dimension_id))
