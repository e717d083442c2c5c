"""What a scoring worker reads and writes: claim, per-answer evidence, the report, failure.

Each function is its own short unit of work, so progress survives a worker that
dies mid-interview, and each is idempotent: a redelivered job repeats no side
effect (the claim is a compare-and-set, results are upserted by
report × dimension × pipeline version, and there is one report per interview).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import col, select

from gateway.db import read_session, unit_of_work
from gateway.metrics import record_interview_transition, record_scoring_outcome
from gateway.models import (
    Answer,
    Application,
    Dimension,
    DimensionScore,
    Interview,
    InterviewReport,
    Question,
    Requisition,
)
from gateway.models.base import utcnow
from gateway.models.enums import InterviewStatus
from gateway.models.events import DomainEventType
from resolvers.services.audit import SYSTEM, record_audit
from resolvers.services.candidate_interview import consent_state, interview_answers, interview_questions
from resolvers.services.interview_status import (
    interview_event_payload,
    move_interview,
    publish_after_commit,
    status_event,
)
from resolvers.services.outbox import global_id, record_event

CLAIMABLE = (InterviewStatus.QUEUED, InterviewStatus.SCORING)


class ClaimLost(Exception):
    """The interview left SCORING while a worker was on it (erased, or failed by another path): stop, write nothing."""


"""SCORING is claimable too: it means a worker died mid-job and the broker redelivered the message."""


@dataclass(frozen=True)
class AnswerToScore:
    answer_id: int
    question_id: int
    media_uri: str
    prompt_zh: str
    prompt_en: str
    rubric_keywords: tuple[str, ...]
    excellent_answers: tuple[str, ...]


@dataclass(frozen=True)
class DimensionToScore:
    dimension_id: int
    key: str
    name_zh: str
    name_en: str
    weight: float
    question_ids: tuple[int, ...]


@dataclass(frozen=True)
class ScoringJob:
    interview_id: int
    requisition_id: int
    biometric_consent: bool
    answers: tuple[AnswerToScore, ...]
    dimensions: tuple[DimensionToScore, ...]
    claimed_at: float = field(default_factory=time.monotonic, compare=False)
    """``time.monotonic()`` when this worker claimed the interview: the scoring-duration metric starts here."""


@dataclass(frozen=True)
class DimensionResult:
    dimension_id: int
    score: float | None
    confidence: float
    insufficient_evidence_reason: str | None
    evidence: list[dict[str, Any]]


@dataclass(frozen=True)
class ReportResult:
    total: float | None
    insufficient_evidence: bool
    strengths: list[str]
    weaknesses: list[str]
    tags: list[dict[str, str]]
    radar: list[dict[str, Any]]
    models: dict[str, Any]
    dimensions: list[DimensionResult]
    quality_reasons: list[str] = field(default_factory=list)
    """Why answers were not judged (audio-quality gate, candidate-facing, English): the final status reason."""


async def claim(interview_id: int) -> ScoringJob | None:
    """Take the interview for scoring; None when there is nothing to do (already scored, or not queued)."""
    async with unit_of_work() as uow:
        claimed = await uow.session.exec(
            update(Interview)
            .where(col(Interview.id) == interview_id, col(Interview.status).in_(CLAIMABLE))
            .values(
                status=InterviewStatus.SCORING,
                status_reason=None,
                scoring_attempts=Interview.scoring_attempts + 1,
                status_changed_at=utcnow(),
            )
        )
        if claimed.rowcount != 1:
            return None
        uow.after_commit(lambda: record_interview_transition(InterviewStatus.SCORING.value))  # not via move_interview
        interview = await uow.session.get(Interview, interview_id, populate_existing=True)
        assert interview is not None
        application = await uow.session.get(Application, interview.application_id)
        requisition = await uow.session.get(Requisition, application.requisition_id)
        questions = await interview_questions(interview_id, session=uow.session)
        answers = await interview_answers(interview_id, session=uow.session)
        consent = await consent_state(application.candidate_id, session=uow.session)
        dimensions = (
            await uow.session.exec(
                select(Dimension)
                .where(Dimension.model_version_id == requisition.competency_model_version_id)
                .order_by(col(Dimension.position))
            )
        ).all()
        publish_after_commit(uow, status_event(interview, answers_scored=0, answers_total=len(questions)))
    asked = {question.id for question in questions}
    return ScoringJob(
        interview_id=interview_id,
        requisition_id=requisition.id,
        biometric_consent=consent.biometric,
        answers=tuple(_answer_to_score(answers[question.id], question) for question in questions),
        dimensions=tuple(
            DimensionToScore(
                dimension_id=dimension.id,
                key=dimension.key,
                name_zh=dimension.name_zh,
                name_en=dimension.name_en,
                weight=dimension.weight,
                question_ids=tuple(q.id for q in questions if q.dimension_id == dimension.id and q.id in asked),
            )
            for dimension in dimensions
        ),
    )


def _answer_to_score(answer: Answer, question: Question) -> AnswerToScore:
    return AnswerToScore(
        answer_id=answer.id,
        question_id=question.id,
        media_uri=answer.media_uri or "",
        prompt_zh=question.prompt_zh,
        prompt_en=question.prompt_en,
        rubric_keywords=tuple(question.rubric_keywords),
        excellent_answers=tuple(question.excellent_answers),
    )


async def save_answer_evidence(
    job: ScoringJob,
    answer_id: int,
    *,
    transcript: str | None,
    language: str | None,
    duration_seconds: float | None,
    features: dict[str, Any],
    answers_scored: int,
    quality_reason: str | None = None,
) -> None:
    """Store one answer's transcript and features, and publish progress.

    ``quality_reason`` (an answer the audio-quality gate refused) becomes the interview's status
    reason while scoring goes on, so the live status tells the candidate at once what to re-record."""
    async with unit_of_work() as uow:
        answer = await uow.session.get(Answer, answer_id)
        interview = await uow.session.get(Interview, job.interview_id, with_for_update=True)
        if interview.status is not InterviewStatus.SCORING:
            raise ClaimLost(f"interview {job.interview_id} is {interview.status.value}")
        answer.transcript = transcript
        answer.language = language
        answer.duration_seconds = duration_seconds
        answer.features = features
        answer.error = None
        uow.session.add(answer)
        if quality_reason is not None:
            interview.status_reason = quality_reason
            uow.session.add(interview)
        publish_after_commit(
            uow, status_event(interview, answers_scored=answers_scored, answers_total=len(job.answers))
        )


def final_status_reason(result: ReportResult) -> str | None:
    """The scored interview's status reason: what was not judged and why, else the bare outcome."""
    refused = "; ".join(result.quality_reasons)
    if result.insufficient_evidence:
        return f"insufficient evidence — {refused}" if refused else "insufficient evidence: see the report"
    return f"scored without some answers: insufficient evidence — {refused}" if refused else None


async def save_report(job: ScoringJob, result: ReportResult, *, pipeline_version: str) -> InterviewReport:
    """Upsert the one report of the interview and its dimension scores; refresh the requisition's percentiles."""
    async with unit_of_work() as uow:
        session = uow.session
        interview = await session.get(Interview, job.interview_id, with_for_update=True)
        if interview.status is not InterviewStatus.SCORING:
            raise ClaimLost(f"interview {job.interview_id} is {interview.status.value}")
        report = (
            await session.exec(select(InterviewReport).where(InterviewReport.interview_id == job.interview_id))
        ).first() or InterviewReport(
            interview_id=job.interview_id, requisition_id=job.requisition_id, pipeline_version=pipeline_version
        )
        report.total = None if result.total is None else round(result.total, 2)
        report.insufficient_evidence = result.insufficient_evidence
        report.strengths, report.weaknesses, report.tags = result.strengths, result.weaknesses, result.tags
        report.radar, report.models = result.radar, result.models
        report.pipeline_version = pipeline_version
        report.scored_at = report.updated_at = utcnow()
        session.add(report)
        await session.flush()
        existing = {
            score.dimension_id: score
            for score in (
                await session.exec(
                    select(DimensionScore).where(
                        DimensionScore.report_id == report.id, DimensionScore.pipeline_version == pipeline_version
                    )
                )
            ).all()
        }
        for dimension in result.dimensions:
            score = existing.get(dimension.dimension_id) or DimensionScore(
                report_id=report.id, dimension_id=dimension.dimension_id, pipeline_version=pipeline_version
            )
            score.score = None if dimension.score is None else round(dimension.score, 2)
            score.confidence = round(dimension.confidence, 3)
            score.insufficient_evidence_reason = dimension.insufficient_evidence_reason
            score.evidence = dimension.evidence
            session.add(score)
        await session.flush()
        await _refresh_percentiles(job.requisition_id, session=session)
        reason = final_status_reason(result)
        move_interview(
            interview,
            InterviewStatus.SCORED,
            uow=uow,
            reason=reason,
            answers_scored=len(job.answers),
            answers_total=len(job.answers),
        )
        record_event(
            session,
            DomainEventType.INTERVIEW_SCORED,
            interview.id,
            interview_event_payload(
                interview,
                reportId=global_id("InterviewReport", report.id),
                total=report.total,
                insufficientEvidence=report.insufficient_evidence,
            ),
            actor=SYSTEM.name,
            requisition_id=job.requisition_id,
        )
        outcome = "insufficient_evidence" if result.insufficient_evidence else "scored"
        submitted_at = interview.submitted_at
        uow.after_commit(
            lambda: record_scoring_outcome(
                outcome, submitted_at=submitted_at, scoring_seconds=time.monotonic() - job.claimed_at
            )
        )
        record_audit(
            session=session,
            actor=SYSTEM,
            action="interview.scored",
            entity_type="InterviewReport",
            entity_id=report.id,
            details={"pipeline_version": pipeline_version, "total": report.total},
        )
    return report


async def _refresh_percentiles(requisition_id: int, *, session: Any) -> None:
    """Each scored report's standing among the requisition's scored interviews (0–100, ties share the middle).

    ``(count below + count at or below) / 2n``, scipy's ``percentileofscore(kind="mean")``, as one UPDATE with
    window functions: a requisition of 100,000 reports is ranked by the database, not loaded into the worker.
    Only reports whose standing moved are written.
    """
    report = InterviewReport.__table__
    total = report.c.total
    ranked = (
        sa.select(
            report.c.id,
            (
                100.0
                * ((sa.func.rank().over(order_by=total) - 1) + sa.func.count().over(order_by=total))
                / (2.0 * sa.func.count().over())
            ).label("standing"),
        )
        .where(report.c.requisition_id == requisition_id, total.is_not(None))
        .subquery("ranked")
    )
    standing = sa.func.round(sa.cast(ranked.c.standing, sa.Numeric), 1)
    connection = await session.connection()
    await connection.execute(
        sa.update(report)
        .values(percentile=standing)
        .where(report.c.id == ranked.c.id, report.c.percentile.is_distinct_from(standing))
    )


async def mark_answer_failed(job: ScoringJob, answer_id: int, reason: str) -> None:
    async with unit_of_work() as uow:
        answer = await uow.session.get(Answer, answer_id)
        answer.error = reason
        uow.session.add(answer)


async def mark_failed(interview_id: int, reason: str) -> None:
    """A permanent failure: the interview says why, in words a recruiter and the candidate can act on."""
    async with unit_of_work() as uow:
        interview = await uow.session.get(Interview, interview_id, with_for_update=True)
        if interview is None or interview.status not in CLAIMABLE:
            return
        move_interview(interview, InterviewStatus.FAILED, uow=uow, reason=reason)
        application = await uow.session.get(Application, interview.application_id)
        record_event(
            uow.session,
            DomainEventType.INTERVIEW_FAILED,
            interview.id,
            interview_event_payload(interview),
            actor=SYSTEM.name,
            requisition_id=application.requisition_id if application else None,
        )
        submitted_at = interview.submitted_at
        uow.after_commit(lambda: record_scoring_outcome("failed", submitted_at=submitted_at))
        record_audit(
            session=uow.session,
            actor=SYSTEM,
            action="interview.failed",
            entity_type="Interview",
            entity_id=interview_id,
            details={"reason": reason},
        )


async def load_interview(interview_id: int) -> Interview | None:
    """A fresh read (subscriptions must not trust a per-connection cache)."""
    async with read_session() as session:
        return await session.get(Interview, interview_id)
