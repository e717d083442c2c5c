"""Fusion with hand-built features: weights, evidence rules, tags, radar."""

from __future__ import annotations

import dataclasses

import pytest

from workers.pipeline.config import PIPELINE_VERSION, PipelineConfig
from workers.pipeline.fusion import band_score, fuse_interview
from workers.pipeline.types import AnswerEvidence, DimensionSpec, SpeechFeatures, TextFeatures, VisionFeatures


def make_speech(**overrides) -> SpeechFeatures:
    values = dict(
        transcript="First I would recount the cash with the customer and then report to my supervisor.",
        language="en",
        language_probability=0.97,
        words=(),
        duration_seconds=30.0,
        speech_seconds=28.0,
        speaking_span_seconds=29.0,
        speaking_rate=140.0,
        speaking_rate_unit="words_per_minute",
        transcript_unit_count=70,
        pause_count=1,
        pause_seconds_total=0.8,
        longest_pause_seconds=0.8,
        silence_share=0.07,
        filler_count=0,
        filler_rate_per_minute=0.0,
        transcription_confidence=0.8,
    )
    return SpeechFeatures(**{**values, **overrides})


def make_text(**overrides) -> TextFeatures:
    values = dict(
        embedder_model="all-MiniLM-L6-v2",
        relevance_to_question=0.65,
        best_sample_answer_similarity=0.65,
        keyword_coverage=1.0,
        keywords_found=("recount",),
        concept_coverage=1.0,
        concepts_covered=("recount",),
        structure_components=("situation", "task", "action", "result"),
        structure_score=1.0,
        word_count=70,
        character_count=0,
    )
    return TextFeatures(**{**values, **overrides})


def make_vision(**overrides) -> VisionFeatures:
    values = dict(
        frames_analysed=300,
        face_frames=300,
        face_presence_share=1.0,
        gaze_toward_camera_share=0.5,
        blink_rate_per_minute=15.0,
        frown_events=0,
        frown_rate_per_minute=0.0,
        smile_share=0.3,
        head_yaw_std_degrees=2.0,
        head_pitch_std_degrees=2.0,
        head_pose_stability=0.8,
        pose_frames=300,
        shoulder_sway=0.02,
        posture_stability=0.9,
        gesture_activity=0.1,
    )
    return VisionFeatures(**{**values, **overrides})


def make_answer(question_id: str, speech=None, text=None, vision=None) -> AnswerEvidence:
    return AnswerEvidence(question_id, speech or make_speech(), vision, text or make_text())


SILENT = make_speech(
    transcript="",
    language=None,
    speech_seconds=0.2,
    speaking_rate=None,
    speaking_rate_unit="none",
    transcript_unit_count=0,
    filler_rate_per_minute=None,
    transcription_confidence=0.0,
    speaking_span_seconds=0.0,
)

RELEVANCE_AND_EYE_CONTACT = PipelineConfig(feature_weights={"relevance": 0.5, "eye_contact": 0.5})


def dimension(key="service", weight=1.0, question_ids=("q1",), **overrides) -> DimensionSpec:
    return DimensionSpec(
        key,
        overrides.pop("name_zh", "服务意识"),
        overrides.pop("name_en", "Service awareness"),
        weight,
        question_ids,
        **overrides,
    )


def test_features_an_answer_lacks_are_renormalised_away():
    low, high = RELEVANCE_AND_EYE_CONTACT.similarity_ranges["all-MiniLM-L6-v2"]
    relevance_half = make_text(relevance_to_question=(low + high) / 2)
    without_video = fuse_interview([make_answer("q1", text=relevance_half)], [dimension()], RELEVANCE_AND_EYE_CONTACT)
    with_video = fuse_interview(
        [make_answer("q1", text=relevance_half, vision=make_vision(gaze_toward_camera_share=1.0))],
        [dimension()],
        RELEVANCE_AND_EYE_CONTACT,
    )
    assert without_video.dimensions[0].score == pytest.approx(50.0)
    assert with_video.dimensions[0].score == pytest.approx(75.0)


def test_evidence_contributions_add_up_to_the_score():
    result = fuse_interview([make_answer("q1", vision=make_vision())], [dimension()], PipelineConfig())
    score = result.dimensions[0]
    assert sum(item.contribution for item in score.evidence) == pytest.approx(score.score, abs=0.5)
    features = {item.feature: item for item in score.evidence}
    assert features["smile"].contribution == 0.0
    assert features["relevance"].value == 1.0
    assert features["eye_contact"].value == 0.5


def test_dimension_feature_weights_override_the_defaults():
    delivery_only = dimension(feature_weights={"speaking_rate": 1.0})
    slow_speech = make_answer("q1", speech=make_speech(speaking_rate=82.5))  # halfway between 55 and 110 wpm
    assert fuse_interview([slow_speech], [delivery_only], PipelineConfig()).dimensions[0].score == pytest.approx(50.0)


def test_total_is_renormalised_over_scored_dimensions():
    dimensions = [dimension("service", 0.6, ("q1",)), dimension("logic", 0.4, ("q2",))]
    answers = [make_answer("q1"), make_answer("q2", speech=SILENT)]
    result = fuse_interview(answers, dimensions, PipelineConfig())
    assert result.dimensions[1].score is None
    assert result.total == result.dimensions[0].score
    assert result.total_confidence == pytest.approx(0.6 * result.dimensions[0].confidence, abs=0.01)


def test_total_needs_enough_of_the_weight_scored():
    dimensions = [dimension("service", 0.3, ("q1",)), dimension("logic", 0.7, ("q2",))]
    result = fuse_interview([make_answer("q1"), make_answer("q2", speech=SILENT)], dimensions, PipelineConfig())
    assert result.total is None
    assert "30%" in result.total_insufficient_evidence


def test_silence_is_insufficient_evidence_not_a_number():
    result = fuse_interview([AnswerEvidence("q1", SILENT, None, None)], [dimension()], PipelineConfig())
    score = result.dimensions[0]
    assert score.score is None
    assert score.confidence == 0.0
    assert "0.2 s of speech" in score.insufficient_evidence
    assert result.total is None
    assert result.radar[0].value is None


def test_unanswered_and_unreadable_questions_are_named():
    answers = [AnswerEvidence("q2", None, None, None, unusable_reason="unreadable recording: the file is empty")]
    result = fuse_interview(answers, [dimension(question_ids=("q1", "q2"))], PipelineConfig())
    reason = result.dimensions[0].insufficient_evidence
    assert reason == "question 1: not answered; question 2: unreadable recording: the file is empty"


def test_missing_face_is_insufficient_only_when_a_face_is_required():
    faceless = make_answer(
        "q1", vision=make_vision(face_frames=0, face_presence_share=0.0, gaze_toward_camera_share=None)
    )
    lenient = fuse_interview([faceless], [dimension()], PipelineConfig()).dimensions[0]
    strict = fuse_interview([faceless], [dimension()], PipelineConfig(face_required=True)).dimensions[0]
    assert lenient.score is not None
    assert "eye_contact" not in {item.feature for item in lenient.evidence}
    assert strict.score is None
    assert "face visible in 0% of frames" in strict.insufficient_evidence


def test_low_transcription_confidence_lowers_confidence_not_score():
    clear = fuse_interview([make_answer("q1")], [dimension()], PipelineConfig()).dimensions[0]
    garbled = fuse_interview(
        [make_answer("q1", speech=make_speech(transcription_confidence=0.3))], [dimension()], PipelineConfig()
    ).dimensions[0]
    assert garbled.score == clear.score
    assert garbled.confidence < clear.confidence
    assert any("low transcription confidence" in note for note in garbled.notes)


def test_partial_coverage_of_a_dimension_lowers_its_confidence():
    full = fuse_interview(
        [make_answer("q1"), make_answer("q2")], [dimension(question_ids=("q1", "q2"))], PipelineConfig()
    )
    half = fuse_interview([make_answer("q1")], [dimension(question_ids=("q1", "q2"))], PipelineConfig())
    assert half.dimensions[0].score == full.dimensions[0].score
    assert half.dimensions[0].confidence == pytest.approx(full.dimensions[0].confidence / 2, abs=0.01)


def test_tags_strengths_weaknesses_and_radar():
    dimensions = [
        dimension("service", 0.4, ("q1",), strength_tag_zh="高服务意识", strength_tag_en="high service awareness"),
        dimension("logic", 0.3, ("q2",), name_zh="逻辑思维", name_en="Logical thinking"),
        dimension("compliance", 0.3, ("q3",), name_zh="合规意识", name_en="Compliance"),
    ]
    weak_text = make_text(
        relevance_to_question=0.1,
        best_sample_answer_similarity=0.1,
        keyword_coverage=0.0,
        concept_coverage=0.0,
        structure_score=1.0,
    )
    answers = [
        make_answer("q1"),
        make_answer("q2", text=make_text(keyword_coverage=0.5)),
        make_answer("q3", text=weak_text),
    ]
    result = fuse_interview(answers, dimensions, PipelineConfig())
    tags = {(tag.zh, tag.en) for tag in result.tags}
    assert ("表达流畅", "fluent delivery") in tags
    assert ("逻辑清晰", "clear logic") in tags
    assert ("高服务意识", "high service awareness") in tags
    assert result.strengths == ("service", "logic")
    assert result.weaknesses == ("compliance",)
    assert [(axis.key, axis.label_zh, axis.label_en) for axis in result.radar] == [
        ("service", "服务意识", "Service awareness"),
        ("logic", "逻辑思维", "Logical thinking"),
        ("compliance", "合规意识", "Compliance"),
    ]
    assert [axis.value for axis in result.radar] == [score.score for score in result.dimensions]
    assert result.pipeline_version == PIPELINE_VERSION
    assert result.embedder_models == ("all-MiniLM-L6-v2",)


def test_no_fluency_tag_for_halting_delivery():
    halting = make_speech(pause_seconds_total=12.0, filler_rate_per_minute=15.0, speaking_rate=70.0)
    result = fuse_interview([make_answer("q1", speech=halting)], [dimension()], PipelineConfig())
    assert "表达流畅" not in {tag.zh for tag in result.tags}


def test_feature_weights_are_configurable():
    config = dataclasses.replace(PipelineConfig(), feature_weights={"structure": 1.0})
    result = fuse_interview([make_answer("q1", text=make_text(structure_score=0.25))], [dimension()], config)
    assert result.dimensions[0].score == 25.0


def test_speaking_rate_band():
    assert band_score(140, (110, 170)) == 1.0
    assert band_score(55, (110, 170)) == 0.0
    assert band_score(255, (110, 170)) == 0.0
    assert band_score(212.5, (110, 170)) == pytest.approx(0.5)


RELEVANCE_AND_SPEAKING_RATE = PipelineConfig(feature_weights={"relevance": 0.5, "speaking_rate": 0.5})


def text_with_relevance(value: float, **overrides) -> TextFeatures:
    """Text features whose relevance maps to ``value`` (0-1) with the MiniLM range."""
    low, high = PipelineConfig().similarity_ranges["all-MiniLM-L6-v2"]
    return make_text(relevance_to_question=low + value * (high - low), **overrides)


@pytest.mark.parametrize(
    ("relevance", "speaking_rate", "expected"),
    [
        (0.0, 140.0, 0.0),  # off-topic: fluent delivery adds nothing (g = 0)
        (0.25, 140.0, 43.75),  # g = 0.5, form share 0.5: 100 * (0.75 * 0.25 + 0.25 * 1)
        (0.25, 55.0, 18.75),  # a poor pace lowers it, in the same proportion: 100 * (0.75 * 0.25 + 0.25 * 0)
        (0.5, 55.0, 25.0),  # relevant (g = 1): the plain weighted mean
        (1.0, 140.0, 100.0),
    ],
)
def test_form_moves_the_score_only_in_proportion_to_relevance(relevance, speaking_rate, expected):
    answer = make_answer("q1", speech=make_speech(speaking_rate=speaking_rate), text=text_with_relevance(relevance))
    score = fuse_interview([answer], [dimension()], RELEVANCE_AND_SPEAKING_RATE).dimensions[0]
    assert score.score == pytest.approx(expected, abs=0.1)
    assert sum(item.contribution for item in score.evidence) == pytest.approx(score.score, abs=0.2)


def test_off_topic_answer_with_perfect_delivery_and_video_scores_at_most_15():
    off_topic = text_with_relevance(
        0.05,
        best_sample_answer_similarity=0.1,
        keyword_coverage=0.0,
        concept_coverage=0.0,
        structure_score=1.0,
    )
    perfect_vision = make_vision(gaze_toward_camera_share=1.0, head_pose_stability=1.0, posture_stability=1.0)
    delivery_heavy = dimension(feature_weights={"relevance": 0.1, "speaking_rate": 0.5, "eye_contact": 0.4})
    for spec in (dimension(), delivery_heavy):
        result = fuse_interview([make_answer("q1", text=off_topic, vision=perfect_vision)], [spec], PipelineConfig())
        assert result.dimensions[0].score <= 15, spec.key
        assert {tag.en for tag in result.tags}.isdisjoint({"fluent delivery", "clear logic", "solid domain knowledge"})


def test_a_keyword_list_is_named_in_the_evidence():
    recited = make_text(
        relevance_to_question=0.0,
        best_sample_answer_similarity=0.0,
        keyword_coverage=0.0,
        concept_coverage=0.0,
        structure_score=0.0,
        sentence_share=0.0,
        keyword_list=True,
        keywords_without_credit=("recount", "supervisor"),
    )
    result = fuse_interview([make_answer("q1", text=recited)], [dimension()], PipelineConfig())
    score = result.dimensions[0]
    evidence = {item.feature: item for item in score.evidence}
    assert evidence["keyword_list"].value == 1.0 and evidence["keyword_list"].contribution == 0.0
    assert score.score < 15
    assert sum(item.contribution for item in score.evidence) == pytest.approx(score.score, abs=0.5)
    assert any("list of rubric keywords" in note for note in score.notes)
    genuine = fuse_interview([make_answer("q1")], [dimension()], PipelineConfig()).dimensions[0]
    assert "keyword_list" not in {item.feature for item in genuine.evidence}


def test_praise_needs_relevant_answers():
    fluent_but_off_topic = text_with_relevance(0.1, keyword_coverage=1.0, structure_score=1.0)
    answers = [make_answer("q1", text=fluent_but_off_topic), make_answer("q2", text=fluent_but_off_topic)]
    dimensions = [dimension(question_ids=("q1", "q2"))]
    praised = {
        tag.en for tag in fuse_interview([make_answer("q1"), make_answer("q2")], dimensions, PipelineConfig()).tags
    }
    unpraised = {tag.en for tag in fuse_interview(answers, dimensions, PipelineConfig()).tags}
    assert {"fluent delivery", "clear logic", "solid domain knowledge"} <= praised
    assert unpraised.isdisjoint({"fluent delivery", "clear logic", "solid domain knowledge"})


def test_text_features_stored_before_the_list_fields_still_load():
    stored = dataclasses.asdict(make_text())
    for field in ("sentence_share", "keyword_list", "keywords_without_credit"):
        del stored[field]
    assert TextFeatures(**stored) == make_text()


def test_the_best_of_poor_answers_is_no_strength_and_a_dimension_not_asked_leaves_the_weight_base():
    off_topic = make_text(
        relevance_to_question=0.1, best_sample_answer_similarity=0.1, keyword_coverage=0.0, concept_coverage=0.0
    )
    dimensions = [dimension("service", 0.3, ("q1",)), dimension("logic", 0.7, ())]
    result = fuse_interview([make_answer("q1", text=off_topic)], dimensions, PipelineConfig())
    service, logic = result.dimensions
    assert service.score < PipelineConfig().strength_min_score
    assert result.strengths == () and result.weaknesses == ("service",)
    assert logic.score is None and logic.insufficient_evidence == "not asked in this interview"
    assert result.total == service.score and result.total_insufficient_evidence is None


def test_reasons_name_questions_by_their_number_in_the_interview_never_by_id():
    dimensions = [dimension("service", 0.5, ("db-16",)), dimension("logic", 0.5, ("db-9", "db-40"))]
    answers = [AnswerEvidence("db-16", SILENT, None, None), make_answer("db-9")]
    result = fuse_interview(answers, dimensions, PipelineConfig(), {"db-9": 1, "db-16": 2})
    service, logic = result.dimensions
    assert service.insufficient_evidence == "question 2: only 0.2 s of speech (minimum 3 s)"
    assert logic.notes == ("question 3: not answered",)
    assert "db-" not in " ".join((*service.notes, *logic.notes))
