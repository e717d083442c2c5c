"""Fusion of answer features into competency scores: pure functions, no models.

Content first. Each answer's available features are mapped to 0-1 and split
into *content* (relevance, sample-answer similarity, keyword and concept
coverage: what was said) and *form* (structure cues, speaking rate, pauses,
fillers, gaze, head pose, posture, expressions: how it was said). With ``w_f``
the feature weights (``PipelineConfig.feature_weights`` or the dimension's own)
and ``v_f`` the values, over the features the answer has::

    C = Σ_content w_f·v_f / Σ_content w_f        (0 when no content feature is weighted)
    F = Σ_form w_f·v_f / Σ_form w_f
    s = Σ_form w_f / Σ_all w_f                   (form's share of the weight)
    g = min(1, relevance / relevance_for_full_form_credit)
    answer score = 100 · [(1 − g·s)·C + g·s·F]

``g``, the relevance gate, is how relevant the answer is (measured by the text
step on what the answer says in sentences: a recited list of rubric words says
nothing, and earns no keyword or concept credit either). For a relevant answer
(g = 1) this is the plain weighted mean of all features; as
relevance falls, form can raise or lower the score only in proportion, and an
off-topic answer is scored on its content alone, so fluent delivery of
something else earns nothing. Missing features (no video, no sample answers)
are left out of every sum, so they neither reward nor punish.

A dimension is the mean of its usable answers; the total is the
dimension-weighted mean, renormalised over the dimensions that could be
scored; a dimension none of whose questions was asked is "not asked in this
interview" and leaves the weight base altogether. Reasons name questions by
their number in the interview, never by a database id. Two rules keep numbers
honest: an answer with too little evidence is left out and named, never
scored as zero; and transcription confidence only lowers the confidence of
a score, never the score itself. An answer the audio-quality gate (``workers.pipeline.quality``) judged too noisy or
unintelligible is such an answer: its reason is the gate's, and it adds no
number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from workers.pipeline.config import CONTENT_FEATURES, PipelineConfig
from workers.pipeline.quality import quality_reason
from workers.pipeline.types import (
    AnswerEvidence,
    DimensionScore,
    DimensionSpec,
    EvidenceItem,
    FusionResult,
    RadarAxis,
    Tag,
)

VISION_FEATURES = frozenset({"eye_contact", "head_pose_stability", "posture_stability", "smile", "gesture_activity"})
"""Features measured by the vision step (Face Mesh, Pose): the vision models are named on a report only
when one of these came from a usable answer."""
NOT_ASKED = "not asked in this interview"
"""The insufficient-evidence reason of a dimension none of whose questions was asked: it is left out of
the total's weight base, so an interview never loses its total for questions it did not ask."""
KEYWORD_LIST_EVIDENCE = "keyword_list"
"""Evidence item shown when an answer recites rubric keywords as a list: its value is the share of
the dimension's answers said as lists; it adds no points (listed keywords earn no credit)."""


def scale_between(value: float, low: float, high: float) -> float:
    """``value`` mapped linearly from [low, high] to [0, 1], clipped."""
    if high <= low:
        raise ValueError("high must be above low")
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def band_score(value: float, band: tuple[float, float]) -> float:
    """1 inside the comfortable band, falling linearly to 0 at half the lower
    bound and at 1.5 times the upper bound."""
    low, high = band
    if value < low:
        return scale_between(value, low * 0.5, low)
    if value > high:
        return 1.0 - scale_between(value, high, high * 1.5)
    return 1.0


def answer_feature_values(evidence: AnswerEvidence, config: PipelineConfig) -> dict[str, float]:
    """Every feature this answer has, mapped to 0-1 (higher is better)."""
    values: dict[str, float] = {}
    text = evidence.text
    if text is not None:
        low, high = config.similarity_ranges[text.embedder_model]
        values["relevance"] = scale_between(text.relevance_to_question, low, high)
        if text.best_sample_answer_similarity is not None:
            values["sample_answer_similarity"] = scale_between(text.best_sample_answer_similarity, low, high)
        if text.keyword_coverage is not None:
            values["keyword_coverage"] = text.keyword_coverage
        if text.concept_coverage is not None:
            values["concept_coverage"] = text.concept_coverage
        values["structure"] = text.structure_score
    speech = evidence.speech
    if speech is not None and speech.speaking_rate is not None and speech.speaking_span_seconds > 0:
        band = (
            config.english_words_per_minute
            if speech.speaking_rate_unit == "words_per_minute"
            else config.chinese_characters_per_minute
        )
        values["speaking_rate"] = band_score(speech.speaking_rate, band)
        pause_share = speech.pause_seconds_total / speech.speaking_span_seconds
        values["pause_control"] = 1.0 - scale_between(
            pause_share, config.acceptable_pause_share, config.excessive_pause_share
        )
        values["filler_control"] = 1.0 - scale_between(
            speech.filler_rate_per_minute or 0.0, 0.0, config.excessive_filler_rate_per_minute
        )
    vision = evidence.vision
    if vision is not None and vision.face_frames and vision.face_presence_share >= config.min_face_presence:
        if vision.gaze_toward_camera_share is not None:
            values["eye_contact"] = vision.gaze_toward_camera_share
        if vision.head_pose_stability is not None:
            values["head_pose_stability"] = vision.head_pose_stability
        if vision.smile_share is not None:
            values["smile"] = vision.smile_share
    if vision is not None and vision.posture_stability is not None:
        values["posture_stability"] = vision.posture_stability
    if vision is not None and vision.gesture_activity is not None:
        values["gesture_activity"] = scale_between(vision.gesture_activity, 0.0, config.gesture_activity_full_scale)
    return values


def relevance_gate(values: Mapping[str, float], config: PipelineConfig) -> float:
    """How far form evidence may move this answer's score: 0 off the question, 1 once relevant."""
    return min(1.0, values.get("relevance", 0.0) / config.relevance_for_full_form_credit)


def answer_contributions(
    values: Mapping[str, float], weights: Mapping[str, float], config: PipelineConfig
) -> dict[str, float]:
    """Points each feature adds to the answer's 0-100 score (the formula in the module docstring);
    they sum to the score."""
    content_weight = sum(weights.get(feature, 0.0) for feature in values if feature in CONTENT_FEATURES)
    total_weight = sum(weights.get(feature, 0.0) for feature in values)
    form_share = (total_weight - content_weight) / total_weight
    gate = relevance_gate(values, config)
    contributions = {}
    for feature, value in values.items():
        weight = weights.get(feature, 0.0)
        if feature in CONTENT_FEATURES:
            share = (1.0 - gate * form_share) / content_weight if content_weight > 0 else 0.0
        else:
            share = gate / total_weight
        contributions[feature] = 100.0 * share * weight * value
    return contributions


def answer_insufficiency(evidence: AnswerEvidence, config: PipelineConfig) -> str | None:
    """Why this answer cannot be scored, or ``None`` when it can."""
    if evidence.unusable_reason:
        return evidence.unusable_reason
    speech = evidence.speech
    if speech is None:
        return "no audio track"
    if speech.quality is not None and not speech.quality.intelligible:
        return speech.quality.reason_en or speech.quality.verdict.replace("_", " ")
    if speech.speech_seconds < config.min_speech_seconds:
        return f"only {speech.speech_seconds:.1f} s of speech (minimum {config.min_speech_seconds:g} s)"
    if speech.transcript_unit_count < config.min_transcript_units:
        return (
            f"transcript too short ({speech.transcript_unit_count} words or characters, "
            f"minimum {config.min_transcript_units})"
        )
    if evidence.text is None:
        return "no transcript to assess"
    vision = evidence.vision
    if config.face_required and vision is not None and vision.face_presence_share < config.min_face_presence:
        return f"face visible in {vision.face_presence_share:.0%} of frames (minimum {config.min_face_presence:.0%})"
    return None


def answer_confidence(evidence: AnswerEvidence, config: PipelineConfig) -> float:
    """Transcription confidence, scaled down for answers with little speech."""
    speech = evidence.speech
    if speech is None:
        return 0.0
    amount_of_speech = min(1.0, speech.speech_seconds / config.full_confidence_speech_seconds)
    return speech.transcription_confidence * amount_of_speech


def fuse_interview(
    answers: Sequence[AnswerEvidence],
    dimensions: Sequence[DimensionSpec],
    config: PipelineConfig,
    question_numbers: Mapping[str, int] | None = None,
) -> FusionResult:
    """Competency scores, total, strengths, tags and radar data of one interview.

    ``question_numbers``: each question's number as the candidate saw it (1-based), used in every reason
    ("question 2: …") so that no database id reaches a report; questions it lacks are numbered after it,
    in the order they first appear in ``dimensions``.
    """
    answers_by_question = {answer.question_id: answer for answer in answers}
    numbers = question_numbering(dimensions, question_numbers)
    dimension_scores = tuple(
        score_dimension(dimension, answers_by_question, config, numbers) for dimension in dimensions
    )
    total, total_confidence, total_reason = _total(dimension_scores, config)
    strengths, weaknesses = _strengths_and_weaknesses(dimension_scores, config)
    usable_answers = [answer for answer in answers if answer_insufficiency(answer, config) is None]
    sentence_answers = [answer for answer in usable_answers if not answer.text.keyword_list]
    return FusionResult(
        dimensions=dimension_scores,
        total=total,
        total_confidence=total_confidence,
        total_insufficient_evidence=total_reason,
        strengths=strengths,
        weaknesses=weaknesses,
        tags=(*_feature_tags(sentence_answers, config), *_dimension_tags(dimensions, dimension_scores, config)),
        radar=tuple(RadarAxis(score.key, score.name_zh, score.name_en, score.score) for score in dimension_scores),
        pipeline_version=config.pipeline_version,
        embedder_models=tuple(sorted({answer.text.embedder_model for answer in usable_answers if answer.text})),
        vision_used=any(VISION_FEATURES & answer_feature_values(answer, config).keys() for answer in usable_answers),
    )


def question_numbering(dimensions: Sequence[DimensionSpec], given: Mapping[str, int] | None = None) -> dict[str, int]:
    """``given``, with every other question of ``dimensions`` numbered after it in the order it first
    appears (so without ``given``: 1, 2, … in dimension order), never by its id."""
    numbers = dict(given or {})
    for dimension in dimensions:
        for question_id in dimension.question_ids:
            if question_id not in numbers:
                numbers[question_id] = max(numbers.values(), default=0) + 1
    return numbers


def score_dimension(
    dimension: DimensionSpec,
    answers_by_question: Mapping[str, AnswerEvidence],
    config: PipelineConfig,
    question_numbers: Mapping[str, int] | None = None,
) -> DimensionScore:
    weights = dimension.feature_weights or config.feature_weights
    numbers = question_numbering([dimension], question_numbers)
    notes: list[str] = []
    answer_scores: list[float] = []
    answer_confidences: list[float] = []
    feature_values: dict[str, list[float]] = defaultdict(list)
    feature_contributions: dict[str, list[float]] = defaultdict(list)
    scored_question_ids: list[str] = []
    list_shares: list[float] = []
    keyword_lists = False
    for question_id in dimension.question_ids:
        question = f"question {numbers[question_id]}"
        evidence = answers_by_question.get(question_id)
        reason = "not answered" if evidence is None else answer_insufficiency(evidence, config)
        values = {} if reason else answer_feature_values(evidence, config)
        weight_sum = sum(weights.get(feature, 0.0) for feature in values)
        if not reason and weight_sum <= 0:
            reason = "none of its features carries weight"
        if reason:
            notes.append(_refusal_note(evidence, numbers[question_id]) or f"{question}: {reason}")
            continue
        contributions = answer_contributions(values, weights, config)
        if evidence.text.keyword_list:
            notes.append(
                f"{question}: reads as a list of rubric keywords rather than sentences; listed keywords earn no credit"
            )
        list_shares.append(1.0 - evidence.text.sentence_share)
        keyword_lists |= evidence.text.keyword_list
        answer_scores.append(sum(contributions.values()))
        answer_confidences.append(answer_confidence(evidence, config))
        scored_question_ids.append(question_id)
        for feature, value in values.items():
            feature_values[feature].append(value)
        for feature in weights.keys() | values.keys():
            feature_contributions[feature].append(contributions.get(feature, 0.0))
        if evidence.speech.transcription_confidence < config.low_transcription_confidence:
            notes.append(
                f"{question}: low transcription confidence ({evidence.speech.transcription_confidence:.2f}); "
                "content features may understate the answer"
            )
    if not answer_scores:
        return DimensionScore(
            key=dimension.key,
            name_zh=dimension.name_zh,
            name_en=dimension.name_en,
            weight=dimension.weight,
            score=None,
            confidence=0.0,
            insufficient_evidence="; ".join(notes) or NOT_ASKED,
            evidence=(),
            scored_question_ids=(),
            notes=tuple(notes),
        )
    coverage = len(answer_scores) / len(dimension.question_ids)
    evidence_items = tuple(
        sorted(
            (
                EvidenceItem(
                    feature=feature,
                    value=round(float(np.mean(values)), 3),
                    contribution=round(float(np.mean(feature_contributions[feature])), 1),
                )
                for feature, values in feature_values.items()
            ),
            key=lambda item: -item.contribution,
        )
    )
    if keyword_lists:
        evidence_items += (EvidenceItem(KEYWORD_LIST_EVIDENCE, round(float(np.mean(list_shares)), 3), 0.0),)
    return DimensionScore(
        key=dimension.key,
        name_zh=dimension.name_zh,
        name_en=dimension.name_en,
        weight=dimension.weight,
        score=round(float(np.mean(answer_scores)), 1),
        confidence=round(coverage * float(np.mean(answer_confidences)), 2),
        insufficient_evidence=None,
        evidence=evidence_items,
        scored_question_ids=tuple(scored_question_ids),
        notes=tuple(notes),
        keyword_list=keyword_lists,
    )


def _refusal_note(evidence: AnswerEvidence | None, question_number: int) -> str | None:
    """The audio-quality gate's candidate-facing reason, naming the question ("the recording of question 2
    is too noisy to understand; …"), when the gate refused this answer."""
    quality = evidence.speech.quality if evidence is not None and evidence.speech is not None else None
    if quality is None or quality.intelligible:
        return None
    reasons = quality_reason(quality.verdict, question_number)
    return reasons[1] if reasons else None


def _total(scores: Sequence[DimensionScore], config: PipelineConfig) -> tuple[float | None, float, str | None]:
    """The weighted mean over the scored dimensions; the weight base is the dimensions asked in this
    interview (a dimension ``NOT_ASKED`` neither lowers the share scored nor the confidence)."""
    asked = [score for score in scores if score.insufficient_evidence != NOT_ASKED]
    total_weight = sum(score.weight for score in asked)
    scored = [score for score in asked if score.score is not None]
    scored_weight = sum(score.weight for score in scored)
    if total_weight <= 0:
        return None, 0.0, "no dimension asked in this interview carries weight"
    confidence = round(sum(score.weight * score.confidence for score in scored) / total_weight, 2)
    scored_share = scored_weight / total_weight
    if not scored or scored_share < config.min_scored_weight_share:
        return (
            None,
            confidence,
            f"only {scored_share:.0%} of the competency weight asked in this interview could be scored "
            f"(minimum {config.min_scored_weight_share:.0%})",
        )
    total = sum(score.weight * score.score for score in scored) / scored_weight
    return round(total, 1), confidence, None


def _strengths_and_weaknesses(
    scores: Sequence[DimensionScore], config: PipelineConfig
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Top and bottom dimensions by score, never the same dimension in both, never one whose score rests
    on a recited keyword list (``DimensionScore.keyword_list``) or on no scored answer, and a strength
    only from ``strength_min_score``."""
    ranked = sorted(
        (score for score in scores if score.score is not None and not score.keyword_list),
        key=lambda score: -score.score,
    )
    strengths = tuple(
        score.key for score in ranked[: config.strength_count] if score.score >= config.strength_min_score
    )
    weaknesses = tuple(score.key for score in reversed(ranked) if score.key not in strengths)[: config.strength_count]
    return strengths, weaknesses


def _feature_tags(usable_answers: Iterable[AnswerEvidence], config: PipelineConfig) -> list[Tag]:
    answer_values = [answer_feature_values(answer, config) for answer in usable_answers]
    gates = [relevance_gate(values, config) for values in answer_values]
    tags = []
    for rule in config.tag_rules:
        rated = [
            (float(np.mean([values[feature] for feature in rule.features if feature in values])), gate)
            for values, gate in zip(answer_values, gates, strict=True)
            if any(feature in values for feature in rule.features)
        ]
        if not rated:
            continue
        if rule.needs_relevance:
            mean_gate = float(np.mean([gate for _, gate in rated]))
            if mean_gate <= 0 or mean_gate < config.praise_min_relevance:
                continue
            mean_value = sum(value * gate for value, gate in rated) / sum(gate for _, gate in rated)
            reason = (
                f"relevance-weighted mean of {', '.join(rule.features)} is {mean_value:.2f} (≥ {rule.threshold:g}); "
                f"relevance gate {mean_gate:.2f} (≥ {config.praise_min_relevance:g})"
            )
        else:
            mean_value = float(np.mean([value for value, _ in rated]))
            reason = f"mean of {', '.join(rule.features)} is {mean_value:.2f} (≥ {rule.threshold:g})"
        if mean_value >= rule.threshold:
            tags.append(Tag(rule.zh, rule.en, reason))
    return tags


def _dimension_tags(
    dimensions: Sequence[DimensionSpec], scores: Sequence[DimensionScore], config: PipelineConfig
) -> list[Tag]:
    return [
        Tag(dimension.strength_tag_zh, dimension.strength_tag_en, f"{dimension.name_en} scored {score.score:g}")
        for dimension, score in zip(dimensions, scores, strict=False)
        if dimension.strength_tag_zh
        and dimension.strength_tag_en
        and score.score is not None
        and not score.keyword_list
        and score.score >= config.dimension_tag_threshold
    ]
