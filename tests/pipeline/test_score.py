"""The composed pipeline on real media with the real models: what the actor calls."""

from __future__ import annotations

import dataclasses

from workers.pipeline.fusion import fuse_interview
from workers.pipeline.score import question_in_language, score_answer, score_interview
from workers.pipeline.types import DimensionSpec


def single_question_dimension(question_id: str) -> DimensionSpec:
    return DimensionSpec("service", "服务意识", "Service awareness", 1.0, (question_id,))


def fused_score(answer, config):
    return fuse_interview([answer], [single_question_dimension(answer.question_id)], config).dimensions[0]


def test_relevant_english_answer_outscores_off_topic(test_media, teller_question_en, scored_answer, pipeline_config):
    relevant = scored_answer(test_media.english_relevant_wav, teller_question_en)
    off_topic = scored_answer(test_media.english_off_topic_wav, teller_question_en)
    relevant_score = fused_score(relevant, pipeline_config)
    off_topic_score = fused_score(off_topic, pipeline_config)
    assert relevant.text.embedder_model == "all-MiniLM-L6-v2"
    assert relevant.text.relevance_to_question > off_topic.text.relevance_to_question
    assert relevant.text.keyword_coverage > off_topic.text.keyword_coverage
    assert relevant_score.score > off_topic_score.score + 25
    assert relevant.vision is None


def test_relevant_mandarin_answer_outscores_off_topic(test_media, teller_question_zh, scored_answer, pipeline_config):
    relevant = scored_answer(test_media.mandarin_relevant_wav, teller_question_zh)
    off_topic = scored_answer(test_media.mandarin_off_topic_wav, teller_question_zh)
    relevant_score = fused_score(relevant, pipeline_config)
    off_topic_score = fused_score(off_topic, pipeline_config)
    assert relevant.speech.language == off_topic.speech.language == "zh"
    assert relevant.text.embedder_model == "universal-sentence-encoder-multilingual-v3"
    assert relevant.text.relevance_to_question > off_topic.text.relevance_to_question
    assert relevant.text.keyword_coverage > off_topic.text.keyword_coverage
    assert relevant_score.score > off_topic_score.score + 15


def test_recited_rubric_keywords_score_below_one_genuine_sentence(
    test_media, teller_question_en, scored_answer, pipeline_config
):
    """Gaming through the real pipeline: espeak-ng reads the rubric aloud, Whisper transcribes it."""
    keyword_list = scored_answer(test_media.english_keyword_list_wav, teller_question_en)
    one_sentence = scored_answer(test_media.english_one_sentence_wav, teller_question_en)
    list_result = fuse_interview([keyword_list], [single_question_dimension(keyword_list.question_id)], pipeline_config)
    list_score = list_result.dimensions[0]
    sentence_score = fused_score(one_sentence, pipeline_config)
    transcript = keyword_list.speech.transcript
    assert "supervisor" in transcript.lower()
    assert keyword_list.text.keyword_list and keyword_list.text.sentence_share < 0.5, transcript
    assert keyword_list.text.keyword_coverage == 0.0 and keyword_list.text.concept_coverage == 0.0, transcript
    assert {"supervisor|manager", "procedure|policy|rule"} <= set(keyword_list.text.keywords_without_credit)
    assert not one_sentence.text.keyword_list and one_sentence.text.keyword_coverage > 0
    assert list_score.score < 40 and list_score.score < sentence_score.score - 20
    evidence = {item.feature: item for item in list_score.evidence}
    assert evidence["keyword_list"].value >= 0.5 and evidence["keyword_list"].contribution == 0.0
    assert any("list of rubric keywords" in note for note in list_score.notes)
    assert {tag.en for tag in list_result.tags}.isdisjoint({"solid domain knowledge", "fluent delivery"})


def test_off_topic_answers_score_at_most_15(
    test_media, teller_question_en, teller_question_zh, scored_answer, pipeline_config
):
    """Fluent delivery of something else earns nothing: content first."""
    english = scored_answer(test_media.english_off_topic_wav, teller_question_en)
    mandarin = scored_answer(test_media.mandarin_off_topic_wav, teller_question_zh)
    assert fused_score(english, pipeline_config).score <= 15
    assert fused_score(mandarin, pipeline_config).score <= 15


def test_silence_is_insufficient_evidence(test_media, teller_question_en, scored_answer, pipeline_config):
    silence = scored_answer(test_media.silent_wav, teller_question_en)
    result = fuse_interview([silence], [single_question_dimension(silence.question_id)], pipeline_config)
    assert silence.text is None
    assert result.dimensions[0].score is None
    assert "s of speech" in result.dimensions[0].insufficient_evidence
    assert result.total is None


def test_face_video_is_analysed_only_with_consent(test_media, teller_question_en, scored_answer):
    with_consent = scored_answer(test_media.face_video_mp4, teller_question_en, True)
    without_consent = scored_answer(test_media.face_video_mp4, teller_question_en, False)
    assert with_consent.vision is not None and with_consent.vision.face_presence_share >= 0.9
    assert without_consent.vision is None
    assert "supervisor" in with_consent.speech.transcript.lower()


def test_faceless_video_scores_without_crashing(test_media, teller_question_en, scored_answer, pipeline_config):
    answer = scored_answer(test_media.faceless_video_webm, teller_question_en)
    assert answer.vision.face_presence_share <= 0.1
    lenient = fused_score(answer, pipeline_config)
    strict = fused_score(answer, dataclasses.replace(pipeline_config, face_required=True))
    assert lenient.score is not None
    assert "eye_contact" not in {item.feature for item in lenient.evidence}
    assert strict.score is None and "face visible" in strict.insufficient_evidence


def test_interview_with_one_corrupt_recording(test_media, teller_question_en, teller_question_zh, pipeline_config):
    dimensions = [
        DimensionSpec(
            "service",
            "服务意识",
            "Service awareness",
            0.7,
            (teller_question_en.question_id,),
            strength_tag_zh="高服务意识",
            strength_tag_en="high service awareness",
        ),
        DimensionSpec("compliance", "合规意识", "Compliance", 0.3, (teller_question_zh.question_id,)),
    ]
    result = score_interview(
        {
            teller_question_en.question_id: test_media.english_relevant_wav,
            teller_question_zh.question_id: test_media.garbage_webm,
        },
        [teller_question_en, teller_question_zh],
        dimensions,
        pipeline_config,
        biometric_consent=False,
    )
    service, compliance = result.dimensions
    assert service.score is not None and service.score >= 60
    assert compliance.score is None
    assert "unreadable recording" in compliance.insufficient_evidence
    assert result.total == service.score
    assert [axis.key for axis in result.radar] == ["service", "compliance"]
    assert result.strengths == ("service",)


def test_bilingual_question_uses_the_version_in_the_spoken_language(
    test_media, teller_question_en, teller_question_zh, pipeline_config
):
    bilingual = {
        "zh": dataclasses.replace(teller_question_zh, question_id="teller-cash-count"),
        "en": dataclasses.replace(teller_question_en, question_id="teller-cash-count"),
    }
    answer = score_answer(test_media.english_off_topic_wav, bilingual, pipeline_config, biometric_consent=False)
    assert answer.question_id == "teller-cash-count"
    assert answer.speech.language == "en"
    assert answer.text.embedder_model == "all-MiniLM-L6-v2"
    assert question_in_language(bilingual, "fr") is bilingual["zh"]
    assert question_in_language(teller_question_en, "zh") is teller_question_en
