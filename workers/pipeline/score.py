"""The two entry points a worker calls: one answer, or a whole interview.

Both are synchronous and CPU-bound; models load on first use in the calling
process and stay loaded. Nothing here touches a broker, a database or storage:
the actor reads the files, calls these, and stores what they return. Each stage
is timed (``hrgate_scoring_stage_duration_seconds``, in-process instruments only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gateway.metrics import scoring_stage
from workers.pipeline.config import PipelineConfig
from workers.pipeline.fusion import fuse_interview
from workers.pipeline.media import MediaDecodeError, decode_speech_audio, probe_media
from workers.pipeline.speech import transcribe_answer
from workers.pipeline.text import analyse_answer_text
from workers.pipeline.types import AnswerEvidence, DimensionSpec, FusionResult, QuestionSpec
from workers.pipeline.vision import analyse_video


def score_answer(
    media_path: Path,
    question: QuestionSpec | Mapping[str, QuestionSpec],
    config: PipelineConfig,
    biometric_consent: bool,
) -> AnswerEvidence:
    """Speech, text and (with consent and vision enabled) vision features of
    one recorded answer. Raises ``MediaDecodeError`` for unreadable files.

    ``question`` may be one ``QuestionSpec`` or the same question in several
    languages keyed by language code (``{"zh": ..., "en": ...}``): the answer
    is then compared with the version in the language it was spoken in, so an
    English answer meets an English prompt and the stronger English embedder.
    """
    with scoring_stage("media"):
        media = probe_media(media_path)
    run_vision = media.has_video and biometric_consent and config.vision_enabled
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision") as pool:
        # Vision runs beside speech: both spend their time in C++ (MediaPipe, CTranslate2) without the GIL.
        vision_future = pool.submit(_timed_vision, media_path, config, biometric_consent) if run_vision else None
        speech = None
        if media.has_audio:
            with scoring_stage("speech"):
                speech = transcribe_answer(decode_speech_audio(media_path), config)
        language = speech.language if speech is not None else None
        question_spec = question_in_language(question, language)
        text = None
        if speech is not None and speech.transcript.strip():
            with scoring_stage("text"):
                text = analyse_answer_text(speech.transcript, language, question_spec, config)
        vision = vision_future.result() if vision_future is not None else None
    return AnswerEvidence(question_id=question_spec.question_id, speech=speech, vision=vision, text=text)


def _timed_vision(media_path: Path, config: PipelineConfig, biometric_consent: bool):  # noqa: ANN202
    with scoring_stage("vision"):
        return analyse_video(media_path, config, biometric_consent=biometric_consent)


def question_in_language(question: QuestionSpec | Mapping[str, QuestionSpec], language: str | None) -> QuestionSpec:
    """The version of the question in ``language``, else the first one given."""
    if isinstance(question, QuestionSpec):
        return question
    if not question:
        raise ValueError("no question versions given")
    return question.get(language) if language in question else next(iter(question.values()))


def score_interview(
    media_by_question: Mapping[str, Path],
    questions: Sequence[QuestionSpec | Mapping[str, QuestionSpec]],
    dimensions: Sequence[DimensionSpec],
    config: PipelineConfig,
    biometric_consent: bool,
) -> FusionResult:
    """Score every answered question and fuse them into the interview report.

    An answer whose file cannot be decoded becomes insufficient evidence for
    its dimensions, with the decoder's reason, instead of failing the whole
    interview; questions without a file count as not answered.
    """
    answers = []
    question_numbers = {
        question_in_language(question, None).question_id: number for number, question in enumerate(questions, start=1)
    }
    for question in questions:
        question_id = question_in_language(question, None).question_id
        media_path = media_by_question.get(question_id)
        if media_path is None:
            continue
        try:
            answers.append(score_answer(media_path, question, config, biometric_consent))
        except MediaDecodeError as error:
            answers.append(
                AnswerEvidence(question_id, None, None, None, unusable_reason=f"unreadable recording: {error.reason}")
            )
    return fuse_interview(answers, dimensions, config, question_numbers)
