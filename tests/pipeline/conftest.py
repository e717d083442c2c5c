"""Shared fixtures: test media and model results are built once per session,
because each transcription or video pass costs seconds on a 2-core box."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workers.pipeline.config import PipelineConfig
from workers.pipeline.score import score_answer
from workers.pipeline.types import AnswerEvidence, QuestionSpec

from .media_factory import (
    TELLER_QUESTION_EN,
    TELLER_QUESTION_ZH,
    TELLER_RUBRIC_EN,
    TELLER_RUBRIC_ZH,
    TELLER_SAMPLE_ANSWER_EN,
    TELLER_SAMPLE_ANSWER_ZH,
)


@pytest.fixture(scope="session")
def pipeline_config(tmp_path_factory: pytest.TempPathFactory) -> PipelineConfig:
    return PipelineConfig(whisper_cache_dir=tmp_path_factory.mktemp("whisper-base"))


@pytest.fixture(scope="session")
def teller_question_en() -> QuestionSpec:
    return QuestionSpec(
        question_id="teller-cash-count-en",
        prompt=TELLER_QUESTION_EN,
        language="en",
        sample_answers=(TELLER_SAMPLE_ANSWER_EN,),
        rubric_keywords=TELLER_RUBRIC_EN,
    )


@pytest.fixture(scope="session")
def teller_question_zh() -> QuestionSpec:
    return QuestionSpec(
        question_id="teller-cash-count-zh",
        prompt=TELLER_QUESTION_ZH,
        language="zh",
        sample_answers=(TELLER_SAMPLE_ANSWER_ZH,),
        rubric_keywords=TELLER_RUBRIC_ZH,
    )


@pytest.fixture(scope="session")
def scored_answer(pipeline_config: PipelineConfig) -> Callable[[Path, QuestionSpec, bool], AnswerEvidence]:
    """``score_answer`` with the real models, memoised for the session."""
    results: dict[tuple[Path, str, bool], AnswerEvidence] = {}

    def score(media_path: Path, question: QuestionSpec, biometric_consent: bool = True) -> AnswerEvidence:
        key = (media_path, question.question_id, biometric_consent)
        if key not in results:
            results[key] = score_answer(media_path, question, pipeline_config, biometric_consent)
        return results[key]

    return score
