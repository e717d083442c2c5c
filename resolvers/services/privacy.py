"""The candidate's privacy rights over an AI interview, and the deployment's retention policy.

- Explanation in plain words (PIPL art. 24; Illinois AI Video Interview Act): built from the stored
  report and each dimension's evidence, in Chinese and English, with what was *not* used. The
  candidate's own numbers (total, dimension scores, radar) are shown only where the requisition's
  ``candidate_report_visible`` policy allows; otherwise the explanation names the factors without numbers.
- Human review on request (PIPL art. 24): the candidate opens one, HR lists and resolves it.
- Erasure on request (PIPL art. 47) and by the retention policy (``HRGATE_RETENTION_DAYS``).

Candidate-side operations take the invitation token. The token keeps working for these requests
after the answering window closed and after the application moved on (the rights outlast the
interview), until the candidate's data is erased; an unknown, forged or erased token is refused
alike (``INVITATION_INVALID``), so a caller learns nothing about whether a candidate existed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import UnitOfWork, read_session, unit_of_work
from gateway.models import (
    Answer,
    Application,
    Candidate,
    Dimension,
    DimensionScore,
    Employee,
    Interview,
    InterviewReport,
    Requisition,
    ReviewRequest,
)
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, InterviewStatus, ReviewRequestKind, ReviewRequestStatus
from gateway.models.personal_data import BY_MODEL as PERSONAL_DATA_BY_MODEL
from gateway.models.personal_data import CANDIDATE_TABLES, MEDIA_FOLDERS, Kind, Table
from gateway.settings import get_settings
from gateway.storage import MediaStore, get_media_store
from resolvers.errors import DomainError, ErrorCode
from resolvers.filters import ApplicationFilter
from resolvers.services.audit import Actor, record_audit
from resolvers.services.candidate_interview import TOKEN_FIELD, candidate_actor, consent_state
from resolvers.services.candidates import change_stage
from resolvers.services.interview_status import move_interview
from resolvers.services.invitations import hash_token

logger = logging.getLogger(__name__)

MESSAGE_MAX_CHARS = 5_000
LOWERING_VALUE_BELOW = 0.5
"""A feature whose 0–1 value is below this is named as having lowered the score."""
TOP_FACTORS = 2
MIN_NAMED_POINTS = 1.0
"""A feature that added less than one point is not named as where the score came from."""
RETENTION_ACTOR = Actor("system:retention", "system")
ERASED_NAME = "erased"
OPEN_STAGES = (
    ApplicationStage.SCREENING,
    ApplicationStage.AI_INTERVIEW,
    ApplicationStage.SECOND_INTERVIEW,
    ApplicationStage.OFFER,
)
IN_FLIGHT = (InterviewStatus.QUEUED, InterviewStatus.SCORING)


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str


@dataclass(frozen=True)
class FeaturePhrase:
    raised: Bilingual
    """What the feature is, as a reason the score went up ("relevance to the question")."""
    lowered: Bilingual
    """What pulled the score down, as the subject of "… lowered it" ("pauses")."""


FEATURE_PHRASES: dict[str, FeaturePhrase] = {
    "relevance": FeaturePhrase(
        Bilingual("回答与问题的相关性", "relevance to the question"),
        Bilingual("偏离问题", "straying from the question"),
    ),
    "sample_answer_similarity": FeaturePhrase(
        Bilingual("与优秀示例回答的接近程度", "closeness to strong sample answers"),
        Bilingual("与优秀示例回答差距较大", "distance from the strong sample answers"),
    ),
    "keyword_coverage": FeaturePhrase(
        Bilingual("评分要点关键词的使用", "use of the key terms of the rubric"),
        Bilingual("缺少评分要点关键词", "missing key terms"),
    ),
    "concept_coverage": FeaturePhrase(
        Bilingual("评分要点概念的覆盖", "coverage of the rubric concepts"),
        Bilingual("未覆盖的评分要点", "rubric concepts left out"),
    ),
    "structure": FeaturePhrase(
        Bilingual("回答的条理结构", "a clear structure"), Bilingual("条理不够清晰", "a loose structure")
    ),
    "speaking_rate": FeaturePhrase(
        Bilingual("适中的语速", "a comfortable speaking pace"), Bilingual("语速过快或过慢", "the speaking pace")
    ),
    "pause_control": FeaturePhrase(Bilingual("停顿较少", "few long pauses"), Bilingual("停顿", "pauses")),
    "filler_control": FeaturePhrase(
        Bilingual("口头禅较少", "few filler words"), Bilingual("口头禅（嗯、呃）", "filler words (um, uh)")
    ),
    "eye_contact": FeaturePhrase(
        Bilingual("注视镜头", "looking toward the camera"), Bilingual("视线偏离镜头", "looking away from the camera")
    ),
    "head_pose_stability": FeaturePhrase(
        Bilingual("头部姿态稳定", "a steady head position"), Bilingual("头部晃动", "head movement")
    ),
    "posture_stability": FeaturePhrase(
        Bilingual("坐姿稳定", "a steady posture"), Bilingual("姿势变化", "changes of posture")
    ),
    "smile": FeaturePhrase(Bilingual("微笑", "smiling"), Bilingual("较少微笑", "little smiling")),
    "gesture_activity": FeaturePhrase(Bilingual("手势", "hand gestures"), Bilingual("手势较少", "few hand gestures")),
}
EXPRESSION_FEATURES = frozenset({"smile", "gesture_activity"})
"""Reported as evidence with no weight by default (workers.pipeline.config); named only if a model weights them."""
VISION_FEATURES = frozenset({"eye_contact", "head_pose_stability", "posture_stability", *EXPRESSION_FEATURES})


@dataclass(frozen=True)
class DimensionExplanation:
    key: str
    name: Bilingual
    text: Bilingual


@dataclass(frozen=True)
class OwnDimensionScore:
    key: str
    name: Bilingual
    score: float | None


@dataclass(frozen=True)
class OwnReport:
    """The candidate's own numbers, only where the requisition allows it."""

    total: float | None
    dimensions: list[OwnDimensionScore]
    radar: list[dict[str, Any]]


@dataclass(frozen=True)
class Explanation:
    interview_id: int
    review_request_id: int
    summary: Bilingual
    dimensions: list[DimensionExplanation]
    not_used: list[Bilingual]
    own_report: OwnReport | None


@dataclass(frozen=True)
class ErasureResult:
    candidate_id: int
    erased_at: datetime
    already_erased: bool
    employee_record_kept: bool
    media_files_deleted: int = 0
    answers_cleared: int = 0
    reports_cleared: int = 0


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    erased_candidate_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewRequestFilter:
    """HR's list of review requests, by status and kind (hashable, like ``resolvers.filters``)."""

    status: ReviewRequestStatus | None = None
    kind: ReviewRequestKind | None = None
    hiring_manager_subject: str | None = None
    """Only requests about interviews under this hiring manager's requisitions."""

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses = []
        if self.hiring_manager_subject is not None:
            clauses.append(
                col(ReviewRequest.interview_id).in_(
                    select(col(Interview.id))
                    .join(Application, col(Application.id) == col(Interview.application_id))
                    .join(Requisition, col(Requisition.id) == col(Application.requisition_id))
                    .where(col(Requisition.hiring_manager_subject) == self.hiring_manager_subject)
                )
            )
        if self.status is not None:
            clauses.append(col(ReviewRequest.status) == self.status)
        if self.kind is not None:
            clauses.append(col(ReviewRequest.kind) == self.kind)
        return clauses


# ---- plain-words explanation (pure) -------------------------------------------------------------


def _points(value: float) -> str:
    return f"{value:.0f}"


def _join(parts: Sequence[str], *, language: str) -> str:
    if language == "zh":
        return "、".join(parts[:-1]) + "和" + parts[-1] if len(parts) > 1 else parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _phrase(feature: str) -> FeaturePhrase:
    known = FEATURE_PHRASES.get(feature)
    if known is not None:
        return known
    words = feature.replace("_", " ")
    return FeaturePhrase(Bilingual(words, words), Bilingual(words, words))


def _weightless_expression(item: dict[str, Any]) -> bool:
    return item.get("feature") in EXPRESSION_FEATURES and not item.get("contribution")


def explain_dimension(
    name: Bilingual, score: float | None, evidence: Sequence[dict[str, Any]], *, with_numbers: bool
) -> Bilingual:
    """One dimension in a sentence per language, from its evidence ``{feature, value, contribution}``.

    The largest contributions are named as what the score came from; features whose value was low
    as what lowered it. Without ``with_numbers`` (the requisition hides reports from candidates) the
    same factors are named without the score or points. Features that added nothing because they carry
    no weight (facial expressions, gestures by default) are never named.
    """
    if score is None:
        return Bilingual(
            zh=f"您对“{name.zh}”相关问题的回答证据不足，未能评分。",
            en=f"Your answers to the {name.en} questions could not be scored: there was not enough evidence.",
        )
    weighted = [item for item in evidence if not _weightless_expression(item)]
    raised = sorted(
        (item for item in weighted if (item.get("contribution") or 0) >= MIN_NAMED_POINTS),
        key=lambda item: -item["contribution"],
    )[:TOP_FACTORS]
    lowered = sorted(
        (item for item in weighted if item.get("value") is not None and item["value"] < LOWERING_VALUE_BELOW),
        key=lambda item: item["value"],
    )[:TOP_FACTORS]
    raised_zh = [
        _phrase(item["feature"]).raised.zh + (f"（+{_points(item['contribution'])}）" if with_numbers else "")
        for item in raised
    ]
    raised_en = [
        _phrase(item["feature"]).raised.en + (f" (+{_points(item['contribution'])})" if with_numbers else "")
        for item in raised
    ]
    if with_numbers:
        zh = f"您对“{name.zh}”相关问题的回答得分为 {_points(score)}/100"
        en = f"Your answers to the {name.en} questions were scored {_points(score)}/100"
        if raised:
            zh += f"，主要来自{_join(raised_zh, language='zh')}"
            en += f", mostly from {_join(raised_en, language='en')}"
    else:
        zh = f"您对“{name.zh}”相关问题的回答" + (
            f"主要依据{_join(raised_zh, language='zh')}进行评估" if raised else "已完成评估"
        )
        en = f"Your answers to the {name.en} questions were " + (
            f"assessed mostly on {_join(raised_en, language='en')}" if raised else "assessed"
        )
    if lowered:
        lowered_zh = _join([_phrase(item["feature"]).lowered.zh for item in lowered], language="zh")
        lowered_en = _join([_phrase(item["feature"]).lowered.en for item in lowered], language="en")
        zh += f"；{lowered_zh}拉低了" + ("得分" if with_numbers else "结果")
        en += f"; {lowered_en} lowered " + ("it" if with_numbers else "the result")
    return Bilingual(zh=zh + "。", en=en + ".")


def explain_summary(total: float | None, dimension_count: int, *, with_numbers: bool) -> Bilingual:
    if total is None:
        return Bilingual(
            zh="证据不足，未能给出总体结果（见以下各项说明）。",
            en="There was not enough evidence to give an overall result (see each competency below).",
        )
    if with_numbers:
        return Bilingual(
            zh=f"您的面试总分为 {_points(total)}/100，是以下 {dimension_count} 项能力得分的加权平均。",
            en=f"Your interview was scored {_points(total)}/100 overall, the weighted mean of the "
            f"{dimension_count} competencies below.",
        )
    return Bilingual(
        zh=f"您的面试依据回答的内容和表达，从 {dimension_count} 项能力进行了评估；以下说明哪些因素影响最大。",
        en=f"Your interview was assessed on {dimension_count} competencies from what you said and how you said it; "
        "below is what mattered most.",
    )


def explain_not_used(*, vision_used: bool, biometric_consent: bool, expressions_weighted: bool) -> list[Bilingual]:
    """What the AI did not use, and that a person decides (Illinois AI Video Interview Act, PIPL art. 24)."""
    notes = []
    if vision_used:
        notes.append(
            Bilingual(
                zh="在您单独同意生物识别分析后，视频画面仅用于视线、头部和坐姿的稳定性，且权重很小。",
                en="With your separate consent to biometric analysis, the video was used only for eye contact and "
                "the steadiness of head and posture, with a small weight.",
            )
        )
    elif not biometric_consent:
        notes.append(
            Bilingual(
                zh="未分析您的视频画面：您未单独同意生物识别分析，因此未使用任何面部、视线或姿态数据。",
                en="Your video image was not analysed: you did not give separate consent to biometric analysis, "
                "so no face, gaze or posture measures were used.",
            )
        )
    else:
        notes.append(
            Bilingual(
                zh="本次未进行视频画面分析（本系统未启用或录像中没有可用画面）。",
                en="Your video image was not analysed (turned off for this service, or no usable picture).",
            )
        )
    if not expressions_weighted:
        notes.append(
            Bilingual(
                zh="面部表情（如微笑）和手势不计入得分。",
                en="Facial expressions (such as smiling) and hand gestures carry no weight in the score.",
            )
        )
    notes.append(
        Bilingual(
            zh="您的姓名、简历和其他个人信息不是 AI 评分的输入。",
            en="Your name, résumé and other personal details are not inputs to the AI score.",
        )
    )
    notes.append(
        Bilingual(
            zh="AI 结果仅供参考，录用决定由招聘人员作出；您可以申请人工复核。",
            en="The AI result supports, but does not make, the hiring decision: a recruiter decides, "
            "and you may ask for a human review.",
        )
    )
    return notes


# ---- the candidate's requests (invitation token) ------------------------------------------------


async def _open_for_privacy(token: str, *, session: AsyncSession) -> tuple[Interview, Application, Candidate]:
    interview = (await session.exec(select(Interview).where(Interview.token_hash == hash_token(token or "")))).first()
    application = await session.get(Application, interview.application_id) if interview else None
    candidate = await session.get(Candidate, application.candidate_id) if application else None
    if interview is None or application is None or candidate is None or candidate.erased_at is not None:
        raise DomainError.single(TOKEN_FIELD, "this invitation link is not valid", ErrorCode.INVITATION_INVALID)
    return interview, application, candidate


async def _scored_report(interview: Interview, *, session: AsyncSession) -> InterviewReport:
    report = (await session.exec(select(InterviewReport).where(InterviewReport.interview_id == interview.id))).first()
    if report is None or report.scored_at is None:
        raise DomainError.single(
            TOKEN_FIELD, "the interview has not been scored yet; try again later", ErrorCode.REPORT_NOT_READY
        )
    return report


async def _dimension_rows(report: InterviewReport, *, session: AsyncSession) -> list[tuple[DimensionScore, Dimension]]:
    rows = await session.exec(
        select(DimensionScore, Dimension)
        .join(Dimension, col(Dimension.id) == col(DimensionScore.dimension_id))
        .where(DimensionScore.report_id == report.id, DimensionScore.pipeline_version == report.pipeline_version)
        .order_by(col(Dimension.position), col(Dimension.id))
    )
    return list(rows.all())


async def request_explanation(token: str, *, uow: UnitOfWork) -> Explanation:
    """The explanation of the candidate's AI result, recorded as an (answered) explanation request."""
    session = uow.session
    interview, application, candidate = await _open_for_privacy(token, session=session)
    report = await _scored_report(interview, session=session)
    requisition = await session.get(Requisition, application.requisition_id)
    assert requisition is not None
    visible = requisition.candidate_report_visible
    rows = await _dimension_rows(report, session=session)
    consent = await consent_state(candidate.id, session=session)
    vision_used = bool(report.models.get("vision")) or any(
        item.get("feature") in VISION_FEATURES for score, _ in rows for item in score.evidence
    )
    expressions_weighted = any(
        item.get("feature") in EXPRESSION_FEATURES and item.get("contribution")
        for score, _ in rows
        for item in score.evidence
    )
    dimensions = [
        DimensionExplanation(
            key=dimension.key,
            name=Bilingual(dimension.name_zh, dimension.name_en),
            text=explain_dimension(
                Bilingual(dimension.name_zh, dimension.name_en), score.score, score.evidence, with_numbers=visible
            ),
        )
        for score, dimension in rows
    ]
    now = utcnow()
    request = ReviewRequest(
        interview_id=interview.id,
        kind=ReviewRequestKind.EXPLANATION,
        status=ReviewRequestStatus.RESOLVED,
        resolution="explained automatically from the stored report",
        resolved_by="system",
        resolved_at=now,
    )
    session.add(request)
    await session.flush()
    record_audit(
        session=session,
        actor=candidate_actor(interview),
        action="review_request.explanation",
        entity_type="ReviewRequest",
        entity_id=request.id,
        details={"interview_id": interview.id, "report_id": report.id, "report_visible": visible},
    )
    own_report = None
    if visible:
        own_report = OwnReport(
            total=report.total,
            dimensions=[
                OwnDimensionScore(dimension.key, Bilingual(dimension.name_zh, dimension.name_en), score.score)
                for score, dimension in rows
            ],
            radar=list(report.radar),
        )
    return Explanation(
        interview_id=interview.id,
        review_request_id=request.id,
        summary=explain_summary(report.total, len(rows), with_numbers=visible),
        dimensions=dimensions,
        not_used=explain_not_used(
            vision_used=vision_used, biometric_consent=consent.biometric, expressions_weighted=expressions_weighted
        ),
        own_report=own_report,
    )


def _message(text: str | None, field_name: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DomainError.single(field_name, "write a few words", ErrorCode.REQUIRED)
    if len(text) > MESSAGE_MAX_CHARS:
        raise DomainError.single(field_name, f"at most {MESSAGE_MAX_CHARS} characters", ErrorCode.INVALID)
    return text


async def request_human_review(token: str, message: str | None, *, uow: UnitOfWork) -> ReviewRequest:
    """The candidate asks a person to review the AI result (one open request per interview)."""
    text = _message(message, "message", required=False)
    session = uow.session
    interview, _, _ = await _open_for_privacy(token, session=session)
    await _scored_report(interview, session=session)
    already_open = (
        await session.exec(
            select(ReviewRequest.id).where(
                ReviewRequest.interview_id == interview.id,
                ReviewRequest.kind == ReviewRequestKind.HUMAN_REVIEW,
                ReviewRequest.status == ReviewRequestStatus.OPEN,
            )
        )
    ).first()
    if already_open is not None:
        raise DomainError.single(
            TOKEN_FIELD, "a human review of this interview is already open", ErrorCode.ALREADY_EXISTS
        )
    request = ReviewRequest(interview_id=interview.id, kind=ReviewRequestKind.HUMAN_REVIEW, candidate_message=text)
    session.add(request)
    await session.flush()
    record_audit(
        session=session,
        actor=candidate_actor(interview),
        action="review_request.create",
        entity_type="ReviewRequest",
        entity_id=request.id,
        details={"interview_id": interview.id, "kind": ReviewRequestKind.HUMAN_REVIEW.value},
    )
    return request


# ---- HR: review requests ------------------------------------------------------------------------


async def resolve_review_request(
    review_request_id: int, resolution: str | None, *, uow: UnitOfWork, actor: Actor
) -> ReviewRequest:
    """HR answers an open request with a note; a resolved request stays resolved."""
    text = _message(resolution, "resolution", required=True)
    session = uow.session
    request = await session.get(ReviewRequest, review_request_id, with_for_update=True)
    if request is None:
        raise DomainError.single("reviewRequestId", "review request not found", ErrorCode.NOT_FOUND)
    if request.status is not ReviewRequestStatus.OPEN:
        raise DomainError.single("reviewRequestId", "this request is already resolved", ErrorCode.ALREADY_RESOLVED)
    request.status = ReviewRequestStatus.RESOLVED
    request.resolution = text
    request.resolved_by = actor.name
    request.resolved_at = utcnow()
    session.add(request)
    record_audit(
        session=session,
        actor=actor,
        action="review_request.resolve",
        entity_type="ReviewRequest",
        entity_id=request.id,
        details={"interview_id": request.interview_id, "kind": request.kind.value},
    )
    return request


async def record_report_filter_use(
    actor: Actor, row_filter: ApplicationFilter, application_ids: Sequence[int], *, requisition_id: int | None = None
) -> None:
    """A list was filtered on interview report totals: one ``report.filter`` audit event per use.

    A score filter compares every report in scope with the bounds, so each use tells the caller something
    about all of them, not only about the rows returned. One event per use records who asked, the bounds,
    the scope (requisition, stage, hiring manager) and the reports that matched on the returned page: an
    auditor sees who narrowed in on whose total (a binary search shows as a run of events with narrowing
    bounds around the same report) without one row per compared report. Written in its own unit of work,
    like every audited read.
    """
    report_ids: list[int] = []
    if application_ids:
        async with read_session() as session:
            bounds = [col(Interview.application_id).in_(list(application_ids)), col(InterviewReport.total).is_not(None)]
            if row_filter.min_score is not None:
                bounds.append(col(InterviewReport.total) >= row_filter.min_score)
            if row_filter.max_score is not None:
                bounds.append(col(InterviewReport.total) <= row_filter.max_score)
            rows = await session.exec(
                select(InterviewReport.id)
                .join(Interview, col(Interview.id) == col(InterviewReport.interview_id))
                .where(*bounds)
                .order_by(col(InterviewReport.id))
            )
            report_ids = list(rows.all())
    async with unit_of_work() as uow:
        record_audit(
            session=uow.session,
            actor=actor,
            action="report.filter",
            entity_type="InterviewReport",
            entity_id=None,
            details={
                "kind": actor.kind,
                "subject": actor.subject,
                "min_score": row_filter.min_score,
                "max_score": row_filter.max_score,
                "requisition_id": requisition_id if requisition_id is not None else row_filter.requisition_id,
                "stage": row_filter.stage.value if row_filter.stage else None,
                "hiring_manager_subject": row_filter.hiring_manager_subject,
                "application_ids": list(application_ids),
                "report_ids": report_ids,
            },
        )


def record_review_requests_read(
    request_ids: Sequence[int], row_filter: ReviewRequestFilter, *, session: AsyncSession, actor: Actor
) -> None:
    """A person read candidates' requests (their messages are personal data): audit which."""
    record_audit(
        session=session,
        actor=actor,
        action="review_request.list",
        entity_type="ReviewRequest",
        entity_id=None,
        details={
            "ids": list(request_ids),
            "status": row_filter.status.value if row_filter.status else None,
            "kind": row_filter.kind.value if row_filter.kind else None,
        },
    )


# ---- erasure ------------------------------------------------------------------------------------


def _owned_ids(table: Table, candidate_id: int) -> Any:
    """SELECT of the ids of ``table``'s rows that belong to the candidate, through the registry's owner links."""
    if table.owner is None:
        return select(col(table.model.id)).where(col(table.model.id) == candidate_id)
    column, parent = table.owner
    return select(col(table.model.id)).where(
        col(getattr(table.model, column)).in_(_owned_ids(PERSONAL_DATA_BY_MODEL[parent], candidate_id))
    )


async def _owned_rows(table: Table, candidate_id: int, *, session: AsyncSession) -> list[Any]:
    statement = select(table.model).where(col(table.model.id).in_(_owned_ids(table, candidate_id)))
    return list((await session.exec(statement.order_by(col(table.model.id)))).all())


async def erase_candidate(
    candidate_id: int, reason: str | None, *, uow: UnitOfWork, actor: Actor, store: MediaStore | None = None
) -> ErasureResult:
    """Erase a candidate's personal data on request (PIPL art. 47), keeping what statistics and law need.

    What is erased and what is kept is declared once, column by column, in
    ``gateway.models.personal_data``; this walks it. In short — removed: every answer recording
    (each interview's whole media folder is deleted after commit, so a file no row points at goes
    too), transcripts, extracted features and upload fingerprints; the report's narrative
    (strengths, weaknesses, tags, HR's override note) and the dimension scores' evidence; the
    candidate's messages in review requests; the self-reported groups (rows deleted); the
    candidate's name (→ "erased"), email (→ ``erased-<id>@invalid``), phone and résumé. Open
    applications are withdrawn, which also revokes their invitation links, and interviews still
    waiting for scoring are failed so no worker writes transcripts back.

    Kept: the rows themselves, report totals, percentiles, radar and dimension scores (so
    requisition statistics stay valid), consent records (proof of the legal basis), stage history
    and the whole audit trail, to which the erasure itself is added (with the rows erased per table).

    An employee (a hired candidate) is not refused: their HR file falls under employment law, so
    the ``Employee`` row and the onboarding archive (résumé and background check as at hire, the
    link to the report) are kept untouched, while the candidate-side interview data and contact
    record are erased as above (``employee_record_kept`` says so).

    Idempotent: erasing an erased candidate writes nothing and returns ``already_erased``.
    """
    reason_text = (reason or "").strip()
    if not reason_text:
        raise DomainError.single("reason", "give the reason for the erasure", ErrorCode.REQUIRED)
    if len(reason_text) > MESSAGE_MAX_CHARS:
        raise DomainError.single("reason", f"at most {MESSAGE_MAX_CHARS} characters", ErrorCode.INVALID)
    session = uow.session
    candidate = await session.get(Candidate, candidate_id, with_for_update=True)
    if candidate is None:
        raise DomainError.single("candidateId", "candidate not found", ErrorCode.NOT_FOUND)
    employee_kept = (
        await session.exec(select(Employee.id).where(Employee.candidate_id == candidate_id))
    ).first() is not None
    if candidate.erased_at is not None:
        return ErasureResult(candidate.id, candidate.erased_at, already_erased=True, employee_record_kept=employee_kept)

    rows = {table.model: await _owned_rows(table, candidate_id, session=session) for table in CANDIDATE_TABLES}
    applications, interviews = rows[Application], rows[Interview]
    answers, reports = rows[Answer], rows[InterviewReport]
    media_uris = [
        uri
        for table in CANDIDATE_TABLES
        for name, column in table.columns_of(Kind.ERASE).items()
        if column.media
        for uri in (getattr(row, name) for row in rows[table.model])
        if uri
    ]
    now = utcnow()
    erased_rows: dict[str, int] = {}
    for table in CANDIDATE_TABLES:
        erasable = table.columns_of(Kind.ERASE)
        if not erasable or not rows[table.model]:
            continue
        erased_rows[table.name] = len(rows[table.model])
        for row in rows[table.model]:
            if table.delete_rows:
                await session.delete(row)
                continue
            for name, column in erasable.items():
                setattr(row, name, column.erased_value(candidate_id))
            if "updated_at" in table.columns:
                row.updated_at = now
            session.add(row)
    for interview in interviews:
        if interview.status in IN_FLIGHT:
            move_interview(interview, InterviewStatus.FAILED, uow=uow, reason="personal data erased on request")
    for application in applications:
        if application.stage in OPEN_STAGES:
            change_stage(
                application, ApplicationStage.WITHDRAWN, "personal data erased on request", session=session, actor=actor
            )

    candidate.erased_at = now
    session.add(candidate)
    folders = [folder.prefix(row.id) for folder in MEDIA_FOLDERS for row in rows[folder.model]]
    record_audit(
        session=session,
        actor=actor,
        action="candidate.erase",
        entity_type="Candidate",
        entity_id=candidate.id,
        details={
            "reason": reason_text,
            "media_files": len(media_uris),
            "media_folders": folders,
            "answers": len(answers),
            "reports": len(reports),
            "rows_erased": erased_rows,
            "employee_record_kept": employee_kept,
        },
    )
    media_store = store or get_media_store()

    async def delete_media() -> None:
        """Linked recordings first, then each interview's whole folder (files no row points at included)."""
        for uri in media_uris:
            try:
                await media_store.delete(uri)
            except Exception:  # one stuck file must not stop the others; the log names it for a person
                logger.exception("erasure of candidate %s: could not delete %s", candidate_id, uri)
        for prefix in folders:
            try:
                await media_store.delete_folder(prefix)
            except Exception:
                logger.exception("erasure of candidate %s: could not delete the folder %s", candidate_id, prefix)

    uow.after_commit(delete_media)
    return ErasureResult(
        candidate.id,
        now,
        already_erased=False,
        employee_record_kept=employee_kept,
        media_files_deleted=len(media_uris),
        answers_cleared=len(answers),
        reports_cleared=len(reports),
    )


# ---- retention ----------------------------------------------------------------------------------


def retention_cutoff(now: datetime | None = None, retention_days: int | None = None) -> datetime:
    days = retention_days if retention_days is not None else get_settings().retention_days
    return (now or utcnow()) - timedelta(days=days)


async def candidates_due_for_erasure(
    cutoff: datetime,
    *,
    session: AsyncSession,
    candidate_id: int | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> list[int]:
    """Candidates not erased, never hired, whose last application activity is older than ``cutoff``.

    Activity is the candidate's creation, an application's creation or stage move, an interview's
    invitation or submission, an upload, or a review request.
    """
    own_application = col(Application.candidate_id) == col(Candidate.id)
    own_interview = select(Interview.id).join(Application, col(Application.id) == col(Interview.application_id))
    recent_application = exists(
        select(Application.id).where(
            own_application,
            or_(
                col(Application.updated_at) >= cutoff,
                col(Application.created_at) >= cutoff,
                col(Application.stage) == ApplicationStage.HIRED,
            ),
        )
    )
    recent_interview = exists(
        own_interview.where(
            own_application, or_(col(Interview.created_at) >= cutoff, col(Interview.submitted_at) >= cutoff)
        )
    )
    recent_upload = exists(
        own_interview.join(Answer, col(Answer.interview_id) == col(Interview.id)).where(
            own_application, col(Answer.uploaded_at) >= cutoff
        )
    )
    recent_request = exists(
        own_interview.join(ReviewRequest, col(ReviewRequest.interview_id) == col(Interview.id)).where(
            own_application,
            or_(col(ReviewRequest.requested_at) >= cutoff, col(ReviewRequest.status) == ReviewRequestStatus.OPEN),
        )
    )
    employee = exists(select(Employee.id).where(col(Employee.candidate_id) == col(Candidate.id)))
    statement = (
        select(Candidate.id)
        .where(
            col(Candidate.id) > after_id,
            col(Candidate.erased_at).is_(None),
            col(Candidate.created_at) < cutoff,
            ~recent_application,
            ~recent_interview,
            ~recent_upload,
            ~recent_request,
            ~employee,
        )
        .order_by(col(Candidate.id))
    )
    if candidate_id is not None:
        statement = statement.where(col(Candidate.id) == candidate_id)
    if limit is not None:
        statement = statement.limit(limit)
    return list((await session.exec(statement)).all())


async def run_retention(
    *,
    now: datetime | None = None,
    retention_days: int | None = None,
    store: MediaStore | None = None,
    batch_size: int = 100,
) -> RetentionResult:
    """Erase every candidate past the retention period, one short unit of work each (safe to re-run).

    Each candidate is checked again inside its own transaction, so one who applied again meanwhile
    is kept. An open human review request also keeps the candidate until HR resolves it.
    """
    days = retention_days if retention_days is not None else get_settings().retention_days
    cutoff = retention_cutoff(now, days)
    result = RetentionResult(cutoff=cutoff)
    after_id = 0
    while True:
        async with unit_of_work() as uow:
            due = await candidates_due_for_erasure(cutoff, session=uow.session, after_id=after_id, limit=batch_size)
        if not due:
            break
        for candidate_id in due:
            after_id = candidate_id
            async with unit_of_work() as uow:
                if not await candidates_due_for_erasure(cutoff, session=uow.session, candidate_id=candidate_id):
                    continue
                await erase_candidate(
                    candidate_id,
                    f"retention period of {days} days passed without application activity",
                    uow=uow,
                    actor=RETENTION_ACTOR,
                    store=store,
                )
            result.erased_candidate_ids.append(candidate_id)
    logger.info("retention: erased %d candidate(s) inactive since %s", len(result.erased_candidate_ids), cutoff)
    return result
