"""A small evaluation table: pairs of answers to the teller question whose order is not in doubt,
scored by the real text step (MiniLM for English, USE for Mandarin) and fused with the same, fluent
delivery and steady eye contact, so that only what the answers say can order them.

Pairs: relevant vs off-topic, full vs one sentence, genuine one sentence vs a recitation of the
rubric (comma list, one word per sentence, unpunctuated Chinese, articles before each word), and
relevant vs an unrelated story that borrows the rubric's words, in English and Mandarin. Beside the
pairs: a recitation scores below 40 and is reported as a keyword list, off-topic answers score at
most 15 in a default and a delivery-heavy dimension, and a list recited after a genuine sentence
neither raises nor lowers its score.
"""

from __future__ import annotations

from functools import cache

import pytest

from workers.pipeline.config import PipelineConfig
from workers.pipeline.fusion import fuse_interview
from workers.pipeline.text import analyse_answer_text
from workers.pipeline.types import AnswerEvidence, DimensionScore, DimensionSpec, FusionResult, QuestionSpec

from .media_factory import (
    KEYWORD_LIST_ANSWER_EN,
    OFF_TOPIC_ANSWER_EN,
    ONE_SENTENCE_ANSWER_EN,
    RELEVANT_ANSWER_EN,
    TELLER_QUESTION_EN,
    TELLER_QUESTION_ZH,
    TELLER_RUBRIC_EN,
    TELLER_RUBRIC_ZH,
    TELLER_SAMPLE_ANSWER_EN,
    TELLER_SAMPLE_ANSWER_ZH,
)
from .test_fusion import make_speech, make_vision

ANSWERS: dict[str, dict[str, str]] = {
    "en": {
        "full": RELEVANT_ANSWER_EN,
        "one sentence": ONE_SENTENCE_ANSWER_EN,
        "off-topic": OFF_TOPIC_ANSWER_EN,
        "keyword list": KEYWORD_LIST_ANSWER_EN,
        "keyword per sentence": "Calm. Apologize. Polite. Recount. Camera. Video. Surveillance. Supervisor. Procedure.",
        "keyword list with articles": "The camera, the video, the supervisor, the manager, the procedure, the policy.",
        "story with rubric words": (
            "On weekends I go hiking with my manager and take a camera to film the video. "
            "It is our family policy to stay calm and polite when we play football."
        ),
        "one sentence and a list": ONE_SENTENCE_ANSWER_EN + " Calm, polite, camera, video, procedure, policy.",
    },
    "zh": {
        "full": (
            "首先我会安抚客户的情绪，向客户道歉。然后当着客户的面重新清点现金，查看监控录像。"
            "如果确实有差错，我会立即向主管报告，按照银行流程处理，最后客户很满意。"
        ),
        "one sentence": "我会当着客户的面重新清点现金，如果有差错就向主管报告。",
        "off-topic": "我周末喜欢和朋友去爬山，晚上我们一起吃火锅，有时候也看足球比赛。",
        "keyword list": "安抚，道歉，礼貌，情绪，重新清点，当面，监控，录像，点钞机记录，主管，报告，流程，规定。",
        "keyword list without punctuation": "安抚道歉礼貌情绪重新清点当面监控录像点钞机记录主管报告流程规定",
        "story with rubric words": "我周末喜欢和主管去爬山，带着监控录像机拍风景，这是我们的流程。",
        "one sentence and a list": "我会当着客户的面重新清点现金，如果有差错就向主管报告。安抚，道歉，监控，录像，流程，规定。",
    },
}

PAIRS: list[tuple[str, str, str]] = [
    ("en", "full", "off-topic"),
    ("en", "full", "one sentence"),
    ("en", "one sentence", "keyword list"),
    ("en", "one sentence", "keyword per sentence"),
    ("en", "one sentence", "keyword list with articles"),
    ("en", "full", "story with rubric words"),
    ("zh", "full", "off-topic"),
    ("zh", "full", "one sentence"),
    ("zh", "one sentence", "keyword list"),
    ("zh", "one sentence", "keyword list without punctuation"),
    ("zh", "full", "story with rubric words"),
]
"""(language, the better answer, the worse answer)."""

GAMED = ("keyword list", "keyword per sentence", "keyword list with articles", "keyword list without punctuation")
OFF_TOPIC = ("off-topic", "story with rubric words")

CONFIG = PipelineConfig()
QUESTIONS = {
    "en": QuestionSpec("teller", TELLER_QUESTION_EN, "en", (TELLER_SAMPLE_ANSWER_EN,), TELLER_RUBRIC_EN),
    "zh": QuestionSpec("teller", TELLER_QUESTION_ZH, "zh", (TELLER_SAMPLE_ANSWER_ZH,), TELLER_RUBRIC_ZH),
}
DIMENSIONS = {
    "default weights": DimensionSpec("service", "服务意识", "Service awareness", 1.0, ("teller",)),
    "delivery-heavy": DimensionSpec(
        "communication",
        "沟通表达",
        "Communication",
        1.0,
        ("teller",),
        feature_weights={"relevance": 0.2, "structure": 0.2, "speaking_rate": 0.3, "pause_control": 0.3},
    ),
}


@cache
def scored(language: str, label: str, dimension: str = "default weights") -> FusionResult:
    """The answer's text features from the real embedder, with fluent delivery and steady eye contact."""
    transcript = ANSWERS[language][label]
    speech = make_speech(
        transcript=transcript,
        language=language,
        speaking_rate=140.0 if language == "en" else 240.0,
        speaking_rate_unit="words_per_minute" if language == "en" else "characters_per_minute",
    )
    text = analyse_answer_text(transcript, language, QUESTIONS[language], CONFIG)
    answer = AnswerEvidence("teller", speech, make_vision(gaze_toward_camera_share=1.0), text)
    return fuse_interview([answer], [DIMENSIONS[dimension]], CONFIG)


def dimension_score(language: str, label: str, dimension: str = "default weights") -> DimensionScore:
    return scored(language, label, dimension).dimensions[0]


def test_every_pair_is_ordered():
    table = [
        (language, better, dimension_score(language, better).score, worse, dimension_score(language, worse).score)
        for language, better, worse in PAIRS
    ]
    report = "\n".join(f"{row[0]}  {row[1]} {row[2]:5.1f}  >  {row[3]} {row[4]:5.1f}" for row in table)
    misordered = [row for row in table if not row[2] > row[4]]
    assert not misordered, f"{len(misordered)} of {len(table)} pairs out of order:\n{report}"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_list_recited_after_a_sentence_adds_nothing(language):
    with_list = scored(language, "one sentence and a list").dimensions[0]
    assert with_list.score == dimension_score(language, "one sentence").score


@pytest.mark.parametrize("language", ["en", "zh"])
def test_recited_rubric_scores_below_40_and_is_reported(language):
    for label in (label for label in GAMED if label in ANSWERS[language]):
        result = scored(language, label)
        score = result.dimensions[0]
        assert score.score < 40, (label, score.score)
        assert {item.feature: item.value for item in score.evidence}.get("keyword_list", 0.0) >= 0.5, label
        assert {tag.en for tag in result.tags}.isdisjoint({"solid domain knowledge", "fluent delivery"}), label


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_off_topic_answers_score_at_most_15_in_every_dimension(language, dimension):
    for label in OFF_TOPIC:
        result = scored(language, label, dimension)
        assert result.dimensions[0].score <= 15, (label, result.dimensions[0].score)
        assert not {tag.en for tag in result.tags} & {"fluent delivery", "clear logic", "solid domain knowledge"}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_genuine_answers_keep_their_praise(language):
    full = scored(language, "full")
    assert {"fluent delivery", "solid domain knowledge"} <= {tag.en for tag in full.tags}
    assert "keyword_list" not in {item.feature for item in full.dimensions[0].evidence}
    assert full.dimensions[0].score >= 70


def test_scores_are_deterministic():
    first = dimension_score("zh", "one sentence")
    scored.cache_clear()
    assert dimension_score("zh", "one sentence") == first
