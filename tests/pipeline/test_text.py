"""Content features with the real sentence embedders (MiniLM and USE)."""

from __future__ import annotations

import pytest

from workers.pipeline.text import (
    MINILM_MODEL_NAME,
    USE_MODEL_NAME,
    analyse_answer_text,
    find_structure_components,
    keyword_occurs,
    read_sentences,
    reads_as_list,
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


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("First I would stay calm and apologise to the customer", False),
        ("Then I'd recount the cash with her at the counter", False),
        ("Recount the cash and check the video", False),
        ("Calm, apologise, polite, recount, camera, supervisor, procedure", True),
        ("The camera, the video, the supervisor, the procedure", True),
        ("Supervisor", True),
        ("首先我会安抚客户的情绪，向客户道歉", False),
        ("然后当着客户的面重新清点现金，查看监控录像", False),
        ("首先，安抚客户", False),
        ("安抚，道歉，礼貌，情绪，重新清点，监控，录像，主管，报告，流程", True),
        ("安抚道歉礼貌情绪重新清点当面监控录像点钞机记录主管报告流程规定", True),
    ],
)
def test_sentences_are_told_from_recited_lists(sentence, expected, pipeline_config):
    assert reads_as_list(sentence, pipeline_config) is expected


def test_a_fragment_inside_a_recited_list_belongs_to_it(pipeline_config):
    recited = read_sentences("Calm, apologise, polite. Count the cash. Camera, video, supervisor.", pipeline_config)
    assert [sentence.is_list for sentence in recited] == [True, True, True]
    terse = read_sentences("Count the cash. Check the video. Then I tell my supervisor.", pipeline_config)
    assert not any(sentence.is_list for sentence in terse)


@pytest.mark.parametrize(
    ("language", "recited"),
    [
        ("en", "Calm, apologise, polite, recount, count the cash, camera, video, supervisor, manager, procedure."),
        ("zh", "安抚，道歉，礼貌，情绪，重新清点，当面，监控，录像，点钞机记录，主管，报告，流程，规定。"),
    ],
)
def test_a_recited_rubric_earns_no_credit_and_is_reported(
    language, recited, teller_question_en, teller_question_zh, pipeline_config
):
    question = teller_question_en if language == "en" else teller_question_zh
    features = analyse_answer_text(recited, language, question, pipeline_config)
    assert features.keyword_list is True
    assert features.sentence_share == 0.0
    assert features.keyword_coverage == 0.0 and features.concept_coverage == 0.0
    assert features.relevance_to_question == 0.0 and features.best_sample_answer_similarity == 0.0
    assert len(features.keywords_without_credit) == len(question.rubric_keywords)


@pytest.mark.parametrize(
    ("language", "story"),
    [
        (
            "en",
            "On weekends I go hiking with my manager and take a camera to film the video. "
            "It is our family policy to stay calm and polite when we play football.",
        ),
        ("zh", "我周末喜欢和主管去爬山，带着监控录像机拍风景，这是我们的流程。"),
    ],
)
def test_rubric_words_in_an_unrelated_story_earn_no_credit(
    language, story, teller_question_en, teller_question_zh, pipeline_config
):
    question = teller_question_en if language == "en" else teller_question_zh
    features = analyse_answer_text(story, language, question, pipeline_config)
    assert features.keyword_list is False and features.sentence_share == 1.0
    assert features.keyword_coverage == 0.0 and features.concept_coverage == 0.0
    assert len(features.keywords_without_credit) >= 3


def test_a_list_after_a_genuine_sentence_changes_nothing(teller_question_en, pipeline_config):
    sentence = "I would recount the cash together with the customer and report any difference to my supervisor."
    alone = analyse_answer_text(sentence, "en", teller_question_en, pipeline_config)
    with_list = analyse_answer_text(
        sentence + " Calm, polite, camera, video, procedure, policy.", "en", teller_question_en, pipeline_config
    )
    assert with_list.keyword_list is False and 0.5 < with_list.sentence_share < 1.0
    assert with_list.relevance_to_question == pytest.approx(alone.relevance_to_question, abs=1e-5)
    assert with_list.keywords_found == alone.keywords_found
    assert set(with_list.keywords_without_credit) == {
        "calm|apologi|polite",
        "camera|video|surveillance|cctv",
        "procedure|policy|rule",
    }
