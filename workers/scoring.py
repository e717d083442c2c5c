"""Scoring one interview: claim it, run the pipeline answer by answer, store and publish.

The actor only calls ``score_interview_job``; everything the models compute comes
from ``workers.pipeline`` (pure functions), everything stored goes through
``resolvers.services.scoring_records`` (short, idempotent units of work).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from gateway.metrics import scoring_stage
from gateway.settings import get_settings
from gateway.storage import MediaMissing, MediaStore, get_media_store
from resolvers.services import scoring_records as records
from workers.pipeline import (
    AnswerEvidence,
    DimensionSpec,
    FusionResult,
    MediaDecodeError,
    PipelineConfig,
    QuestionSpec,
    fuse_interview,
    score_answer,
)
from workers.pipeline.quality import quality_reason

logger = logging.getLogger(__name__)
_HAN = re.compile(r"[\u4e00-\u9fff]")


class PermanentScoringError(Exception):
    """Retrying cannot help (an unreadable or missing recording): the interview is marked failed."""


@lru_cache
def pipeline_config() -> PipelineConfig:
    """One configuration per worker process, from the deployment's settings."""
    settings = get_settings()
    return PipelineConfig(vision_enabled=settings.vision_enabled)


def question_specs(answer: records.AnswerToScore) -> dict[str, QuestionSpec]:
    """The question in each language a candidate may answer in; sample answers go with their language."""
    chinese_samples = tuple(sample for sample in answer.excellent_answers if _HAN.search(sample))
    english_samples = tuple(sample for sample in answer.excellent_answers if not _HAN.search(sample))
    return {
        "zh": QuestionSpec(
            str(answer.question_id),
            answer.prompt_zh,
            "zh",
            chinese_samples or answer.excellent_answers,
            answer.rubric_keywords,
        ),
        "en": QuestionSpec(
            str(answer.question_id),
            answer.prompt_en,
            "en",
            english_samples or answer.excellent_answers,
            answer.rubric_keywords,
        ),
    }


def dimension_specs(job: records.ScoringJob) -> list[DimensionSpec]:
    return [
        DimensionSpec(
            key=dimension.key,
            name_zh=dimension.name_zh,
            name_en=dimension.name_en,
            weight=dimension.weight,
            question_ids=tuple(str(question_id) for question_id in dimension.question_ids),
        )
        for dimension in job.dimensions
    ]


def answer_features(evidence: AnswerEvidence) -> dict[str, Any]:
    """What is stored on the answer: every measured feature (the transcript's words are kept apart)."""
    features = dataclasses.asdict(evidence)
    if features.get("speech"):
        features["speech"].pop("transcript", None)
    return features


def answer_quality(evidence: AnswerEvidence, question_number: int) -> dict[str, Any] | None:
    """The audio-quality gate's verdict as stored on the answer, its reason naming the question
    by its number in the interview; ``None`` when nothing was transcribed (silence is judged by
    the amount of speech, in fusion)."""
    quality = evidence.speech.quality if evidence.speech else None
    if quality is None:
        return None
    reasons = quality_reason(quality.verdict, question_number)
    return {
        "question": question_number,
        "verdict": quality.verdict,
        "intelligible": quality.intelligible,
        "reason_zh": reasons[0] if reasons else None,
        "reason_en": reasons[1] if reasons else None,
    }


def question_numbers(job: records.ScoringJob) -> dict[str, int]:
    """Each question's number as the candidate saw it: reasons name questions by it, never by database id."""
    return {str(answer.question_id): number for number, answer in enumerate(job.answers, start=1)}


def report_result(
    job: records.ScoringJob,
    fusion: FusionResult,
    quality_notes: Sequence[dict[str, Any]] = (),
    *,
    config: PipelineConfig,
) -> records.ReportResult:
    """``quality_notes``: the answers the audio-quality gate refused (``answer_quality``). A model is named
    only when its output was used: the vision models only when some scored answer carried a vision
    feature; ``scoring_configuration`` records the configuration that computed every number."""
    dimension_ids = {dimension.key: dimension.dimension_id for dimension in job.dimensions}
    return records.ReportResult(
        total=fusion.total,
        insufficient_evidence=fusion.total is None,
        strengths=list(fusion.strengths),
        weaknesses=list(fusion.weaknesses),
        tags=[{"zh": tag.zh, "en": tag.en, "reason": tag.reason} for tag in fusion.tags],
        radar=[dataclasses.asdict(axis) for axis in fusion.radar],
        models={
            "speech": config.speech_model,
            "text": list(fusion.embedder_models),
            "vision": "mediapipe face mesh + pose" if fusion.vision_used else None,
            "total_confidence": fusion.total_confidence,
            "total_insufficient_evidence": fusion.total_insufficient_evidence,
            "quality_notes": [
                {"question": note["question"], "zh": note["reason_zh"], "en": note["reason_en"]}
                for note in quality_notes
            ],
            "scoring_configuration": config.record(),
        },
        dimensions=[
            records.DimensionResult(
                dimension_id=dimension_ids[score.key],
                score=score.score,
                confidence=score.confidence,
                insufficient_evidence_reason=score.insufficient_evidence,
                evidence=[dataclasses.asdict(item) for item in score.evidence],
            )
            for score in fusion.dimensions
        ],
        quality_reasons=[note["reason_en"] for note in quality_notes],
    )


async def _score_recording(
    store: MediaStore, answer: records.AnswerToScore, number: int, config: PipelineConfig, biometric_consent: bool
) -> AnswerEvidence:
    """Score one answer from a local copy of its recording (S3: streamed to a temporary file, removed after).

    A missing recording is permanent; an unreachable store is not (``StorageUnavailable``: the actor retries).
    """
    missing = f"the recording for question {number} is missing; please upload it again"
    if not answer.media_uri:
        raise PermanentScoringError(missing)
    try:
        async with store.open_read(answer.media_uri) as media_path:
            return await asyncio.to_thread(score_answer, media_path, question_specs(answer), config, biometric_consent)
    except MediaMissing as error:
        raise PermanentScoringError(missing) from error


async def _score(interview_id: int) -> None:
    job = await records.claim(interview_id)
    if job is None:
        logger.info("interview %s is not queued for scoring: nothing to do", interview_id)
        return
    config = pipeline_config()
    store = get_media_store()
    evidences = []
    quality_notes: list[dict[str, Any]] = []
    for number, answer in enumerate(job.answers, start=1):
        try:
            evidence = await _score_recording(store, answer, number, config, job.biometric_consent)
        except MediaDecodeError as error:
            reason = f"the recording for question {number} could not be read ({error.reason}); please record it again"
            await records.mark_answer_failed(job, answer.answer_id, reason)
            raise PermanentScoringError(reason) from error
        speech = evidence.speech
        features = answer_features(evidence)
        quality = answer_quality(evidence, number)
        if quality is not None:
            features["quality"] = quality
            if not quality["intelligible"]:
                quality_notes.append(quality)
        with scoring_stage("store"):
            await records.save_answer_evidence(
                job,
                answer.answer_id,
                transcript=speech.transcript if speech else None,
                language=speech.language if speech else None,
                duration_seconds=speech.duration_seconds if speech else None,
                features=features,
                answers_scored=number,
                quality_reason=None
                if quality is None or quality["intelligible"]
                else f"insufficient evidence — {quality['reason_en']}",
            )
        evidences.append(evidence)
    with scoring_stage("fusion"):
        fusion = fuse_interview(evidences, dimension_specs(job), config, question_numbers(job))
    with scoring_stage("store"):
        await records.save_report(
            job, report_result(job, fusion, quality_notes, config=config), pipeline_version=config.pipeline_version
        )


async def score_interview_job(interview_id: int) -> None:
    """Score a queued interview (or finish one a dead worker left in SCORING). Idempotent."""
    try:
        await _score(interview_id)
    except records.ClaimLost as lost:
        logger.info("stopped scoring: %s", lost)
