"""The audio-quality gate: a recording drowned in noise is insufficient evidence with a reason the
candidate can act on, never a low score; mild noise is still scored."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from resolvers.services.explanation import explain_summary
from workers.pipeline.fusion import fuse_interview
from workers.pipeline.media import decode_speech_audio
from workers.pipeline.quality import (
    INTELLIGIBLE,
    TOO_NOISY,
    UNINTELLIGIBLE,
    assess_audio_quality,
    estimate_snr_db,
    quality_reason,
)
from workers.pipeline.types import DimensionSpec
from workers.scoring import answer_quality


def one_dimension(question_id: str) -> DimensionSpec:
    return DimensionSpec("service", "服务意识", "Service awareness", 1.0, (question_id,))


@pytest.fixture(scope="module")
def teller_answers(test_media, teller_question_en, scored_answer):
    return {
        "clean": scored_answer(test_media.english_relevant_wav, teller_question_en),
        "10 dB": scored_answer(test_media.english_relevant_noise_10db_wav, teller_question_en),
        "0 dB": scored_answer(test_media.english_relevant_noise_0db_wav, teller_question_en),
    }


def test_snr_estimate_matches_the_mixed_noise(test_media):
    assert estimate_snr_db(decode_speech_audio(test_media.english_relevant_noise_10db_wav)) == pytest.approx(10, abs=2)
    assert estimate_snr_db(decode_speech_audio(test_media.english_relevant_noise_0db_wav)) == pytest.approx(0, abs=2)
    assert estimate_snr_db(decode_speech_audio(test_media.english_relevant_wav)) > 40
    assert estimate_snr_db(np.zeros(16_000, dtype=np.float32)) == 0.0


def test_noise_at_0_db_is_insufficient_evidence_not_a_low_score(teller_answers, pipeline_config):
    noisy = teller_answers["0 dB"]
    quality = noisy.speech.quality
    assert quality.verdict == TOO_NOISY and not quality.intelligible
    assert quality.snr_db < pipeline_config.quality_min_snr_db
    assert quality.reason_en.startswith("the recording is too noisy to understand; please record it again")
    assert "噪声太大" in quality.reason_zh
    result = fuse_interview([noisy], [one_dimension(noisy.question_id)], pipeline_config)
    dimension = result.dimensions[0]
    assert dimension.score is None and result.total is None
    assert "too noisy to understand" in dimension.insufficient_evidence
    assert result.tags == ()


def test_clean_and_10_db_answers_still_score_normally(teller_answers, pipeline_config):
    scores = {}
    for name in ("clean", "10 dB"):
        answer = teller_answers[name]
        assert answer.speech.quality.verdict == INTELLIGIBLE, (name, answer.speech.quality)
        assert answer.speech.quality.reason_en is None
        scores[name] = fuse_interview([answer], [one_dimension(answer.question_id)], pipeline_config).total
    assert scores["clean"] >= 60
    assert scores["10 dB"] >= 50, scores
    # Whisper mishears some words at 10 dB ("take home" for "stay calm"): content falls somewhat, but the
    # answer is scored, well above the off-topic answer, not refused.
    assert scores["clean"] - scores["10 dB"] < 20, scores


def test_a_noisy_answer_does_not_pull_down_the_other_answers(teller_answers, pipeline_config):
    clean = teller_answers["clean"]
    noisy = dataclasses.replace(teller_answers["0 dB"], question_id="q2")
    alone = fuse_interview([clean], [one_dimension(clean.question_id)], pipeline_config)
    both = fuse_interview(
        [clean, noisy],
        [DimensionSpec("service", "服务意识", "Service awareness", 1.0, (clean.question_id, "q2"))],
        pipeline_config,
    )
    assert both.total == alone.total
    assert both.dimensions[0].scored_question_ids == (clean.question_id,)
    assert any(note.startswith("the recording of question 2 is too noisy") for note in both.dimensions[0].notes)


def test_the_stored_verdict_names_the_question_by_its_number(teller_answers):
    stored = answer_quality(teller_answers["0 dB"], 2)
    assert stored["verdict"] == TOO_NOISY and stored["intelligible"] is False
    assert stored["reason_en"].startswith("the recording of question 2 is too noisy to understand")
    assert stored["reason_zh"].startswith("第 2 题的录音噪声太大")
    assert answer_quality(teller_answers["10 dB"], 1) == {
        "question": 1,
        "verdict": INTELLIGIBLE,
        "intelligible": True,
        "reason_zh": None,
        "reason_en": None,
    }


def test_each_measure_can_refuse_an_answer(test_media, pipeline_config):
    clean = decode_speech_audio(test_media.english_relevant_wav)
    noisy = decode_speech_audio(test_media.english_relevant_noise_0db_wav)

    def verdict(audio, avg_logprob=-0.4, no_speech_prob=0.1, unit_count=30):
        segments = [SimpleNamespace(start=0.0, end=10.0, avg_logprob=avg_logprob, no_speech_prob=no_speech_prob)]
        return assess_audio_quality(
            audio,
            segments,
            speech_seconds=10.0,
            unit_count=unit_count,
            rate_unit="words_per_minute",
            config=pipeline_config,
        ).verdict

    assert verdict(clean) == INTELLIGIBLE
    assert verdict(clean, avg_logprob=-1.3) == UNINTELLIGIBLE
    assert verdict(clean, no_speech_prob=0.9, avg_logprob=-0.8) == UNINTELLIGIBLE
    assert verdict(clean, no_speech_prob=0.9) == INTELLIGIBLE, "a confident decode is speech"
    assert verdict(clean, unit_count=2) == UNINTELLIGIBLE
    assert verdict(clean, unit_count=90) == UNINTELLIGIBLE
    assert verdict(noisy, avg_logprob=-0.9) == TOO_NOISY
    assert verdict(noisy, avg_logprob=-0.4) == INTELLIGIBLE, "noise alone, confidently transcribed, is scored"


def test_the_explanation_tells_the_candidate_what_to_record_again():
    zh, en = quality_reason(TOO_NOISY, 2)
    summary = explain_summary(None, 1, with_numbers=True, quality_notes=[{"question": 2, "zh": zh, "en": en}])
    assert "the recording of question 2 is too noisy to understand; please record it again" in summary.en
    assert "not scored low" in summary.en
    assert "第 2 题的录音噪声太大" in summary.zh
    assert explain_summary(70, 2, with_numbers=True).en.endswith(
        "the weighted mean of the 2 scored competencies below."
    )
