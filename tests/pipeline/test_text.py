"""Content features with the real sentence embedders (MiniLM and USE)."""

from __future__ import annotations

import pytest

from workers.pipeline.text import (
    MINILM_MODEL_NAME,
    USE_MODEL_NAME,
    analyse_answer_text,
    find_structure_components,
    keyword_occurs,
    split_into_clauses,
)

RELEVANT_EN = (
    "First I would stay calm and apologise to the customer. Then I would recount the cash together with her at "
    "the counter and check the surveillance video. If there is a difference I report it to my supervisor and "
    "follow the bank procedure, and as a result the customer leaves satisfied."
)
OFF_TOPIC_EN = "On weekends I like to go hiking with my friends, and in the evening we cook dinner and watch football."
RELEVANT_ZH = "首先我会安抚客户的情绪，向客户道歉。然后当着客户的面重新清点现金，查看监控录像。如果确实有差错，我会立即向主管报告，按照银行流程处理，最后客户很满意。"
OFF_TOPIC_ZH = "我周末喜欢和朋友去爬山，晚上我们一起吃火锅，有时候也看足球比赛。"


def test_english_relevant_answer_beats_off_topic(teller_question_en, pipeline_config):
    relevant = analyse_answer_text(RELEVANT_EN, "en", teller_question_en, pipeline_config)
    off_topic = analyse_answer_text(OFF_TOPIC_EN, "en", teller_question_en, pipeline_config)
    assert relevant.embedder_model == MINILM_MODEL_NAME
    assert relevant.relevance_to_question > off_topic.relevance_to_question + 0.3
    assert relevant.best_sample_answer_similarity > off_topic.best_sample_answer_similarity + 0.3
    assert relevant.keyword_coverage == 1.0
    assert off_topic.keyword_coverage == 0.0
    assert relevant.concept_coverage > off_topic.concept_coverage
    assert set(relevant.structure_components) >= {"action", "result"}
    assert relevant.word_count > 30 and relevant.character_count == 0


def test_chinese_relevant_answer_beats_off_topic(teller_question_zh, pipeline_config):
    relevant = analyse_answer_text(RELEVANT_ZH, "zh", teller_question_zh, pipeline_config)
    off_topic = analyse_answer_text(OFF_TOPIC_ZH, "zh", teller_question_zh, pipeline_config)
    assert relevant.embedder_model == USE_MODEL_NAME
    assert relevant.relevance_to_question > off_topic.relevance_to_question + 0.2
    assert relevant.best_sample_answer_similarity > off_topic.best_sample_answer_similarity + 0.3
    assert relevant.keyword_coverage == 1.0
    assert off_topic.keyword_coverage == 0.0
    assert relevant.concept_coverage == 1.0
    assert off_topic.concept_coverage < 0.5
    assert set(relevant.structure_components) >= {"action", "result"}
    assert relevant.character_count > 50


def test_english_answer_to_a_chinese_question_is_compared_across_languages(teller_question_zh, pipeline_config):
    relevant = analyse_answer_text(RELEVANT_EN, "en", teller_question_zh, pipeline_config)
    off_topic = analyse_answer_text(OFF_TOPIC_EN, "en", teller_question_zh, pipeline_config)
    assert relevant.embedder_model == USE_MODEL_NAME
    assert relevant.best_sample_answer_similarity > off_topic.best_sample_answer_similarity + 0.2
    assert relevant.concept_coverage > off_topic.concept_coverage


@pytest.mark.parametrize(
    ("keyword", "transcript", "expected"),
    [
        ("count", "I am counting the notes", True),
        ("count", "my account is fine", False),
        ("count the cash", "we Count  the cash again", True),
        ("重新清点", "我会 重新，清点现金", True),
        ("主管", "我会向经理汇报", False),
    ],
)
def test_keywords_match_word_starts_and_chinese_without_spaces(keyword, transcript, expected):
    assert keyword_occurs(keyword, transcript) is expected


def test_long_unpunctuated_chinese_is_cut_into_windows():
    clauses = split_into_clauses("客户" * 50 + "。好的")
    assert clauses[-1] == "好的"
    assert all(len(clause) <= 40 for clause in clauses)
    assert len(clauses) >= 4


def test_structure_cues_in_both_languages():
    assert find_structure_components(
        "When I worked at the branch, my task was to balance the till. I checked every note."
    ) == (
        "situation",
        "task",
        "action",
    )
    assert find_structure_components("当时我负责柜台，首先核对，最终解决了问题。") == (
        "situation",
        "task",
        "action",
        "result",
    )
