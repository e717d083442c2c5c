"""Honest reports (issue 10, item 5): the words a candidate and HR read come from the stored evidence.

Each case runs the pure chain a worker runs — ``fuse_interview`` → ``workers.scoring.report_result`` (what
is stored) → ``resolvers.services.explanation`` (what is said) — on hand-built answer features, and pins
the wording in English and Chinese: a relevant answer, an off-topic one, a recited keyword list, and a
recording too noisy to understand. No database ids in reasons, no figure the report does not hold, no
praise or named model on evidence that was refused, gamed or absent.
"""

from __future__ import annotations

import re

import pytest

from gateway.models import Application, Interview, InterviewReport
from gateway.models.base import utcnow
from resolvers.services import scoring_records as records
from resolvers.services.explanation import Bilingual, explain_dimension, explain_summary
from tests import factories
from tests.db_helpers import fetch, global_id, insert
from tests.pipeline.test_fusion import make_answer, make_speech, make_text, make_vision
from workers import scoring
from workers.pipeline import AnswerEvidence, AudioQuality, DimensionSpec, PipelineConfig, fuse_interview
from workers.pipeline.quality import TOO_NOISY, quality_reason

CONFIG = PipelineConfig()
SERVICE = Bilingual("服务意识", "Service")
NUMERACY = Bilingual("数字能力", "Numeracy")
RISK = Bilingual("风险意识", "Risk awareness")
SERVICE_QUESTION, NUMERACY_QUESTION = 101, 102
"""Database ids, deliberately unlike the numbers (1, 2) the candidate saw."""


def _job(*, biometric_consent: bool = False) -> records.ScoringJob:
    answers = tuple(
        records.AnswerToScore(answer_id, question_id, f"file:///{question_id}.webm", "问题", "question", (), ())
        for answer_id, question_id in enumerate((SERVICE_QUESTION, NUMERACY_QUESTION), start=7)
    )
    dimensions = (
        records.DimensionToScore(31, "service", SERVICE.zh, SERVICE.en, 0.4, (SERVICE_QUESTION,)),
        records.DimensionToScore(32, "numeracy", NUMERACY.zh, NUMERACY.en, 0.4, (NUMERACY_QUESTION,)),
        records.DimensionToScore(33, "risk_awareness", RISK.zh, RISK.en, 0.2, ()),
    )
    return records.ScoringJob(1, 1, biometric_consent, answers, dimensions)


NUMERACY_ANSWER = make_answer(
    str(NUMERACY_QUESTION),
    text=make_text(
        relevance_to_question=0.45,
        best_sample_answer_similarity=0.4,
        keyword_coverage=0.5,
        concept_coverage=0.5,
        structure_score=0.5,
    ),
)
NOISY_SPEECH = make_speech(
    quality=AudioQuality(TOO_NOISY, 0.2, -0.85, 0.3, 3.0, (), *quality_reason(TOO_NOISY)),
    transcription_confidence=0.3,
)
SERVICE_ANSWERS = {
    "relevant": make_answer(
        str(SERVICE_QUESTION), speech=make_speech(pause_seconds_total=6.0, filler_rate_per_minute=9.0)
    ),
    "off-topic": make_answer(
        str(SERVICE_QUESTION),
        text=make_text(
            relevance_to_question=0.08,
            best_sample_answer_similarity=0.12,
            keyword_coverage=0.0,
            keywords_found=(),
            concept_coverage=0.0,
            concepts_covered=(),
            structure_score=0.75,
        ),
    ),
    "keyword list": make_answer(
        str(SERVICE_QUESTION),
        text=make_text(
            relevance_to_question=0.0,
            best_sample_answer_similarity=0.0,
            keyword_coverage=0.0,
            keywords_found=(),
            concept_coverage=0.0,
            concepts_covered=(),
            structure_score=0.0,
            sentence_share=0.1,
            keyword_list=True,
            keywords_without_credit=("recount", "four eyes", "supervisor"),
        ),
    ),
    "noisy": AnswerEvidence(str(SERVICE_QUESTION), NOISY_SPEECH, None, make_text()),
}


def _report(service_answer: AnswerEvidence, *, biometric_consent: bool = False) -> records.ReportResult:
    job = _job(biometric_consent=biometric_consent)
    answers = [service_answer, NUMERACY_ANSWER]
    fusion = fuse_interview(answers, scoring.dimension_specs(job), CONFIG, scoring.question_numbers(job))
    refused = [
        quality
        for number, answer in enumerate(answers, start=1)
        if (quality := scoring.answer_quality(answer, number)) is not None and not quality["intelligible"]
    ]
    return scoring.report_result(job, fusion, refused, config=CONFIG)


def _explain(report: records.ReportResult) -> tuple[Bilingual, list[Bilingual]]:
    """What the candidate reads, as ``request_explanation`` builds it from the stored report."""
    by_dimension = {dimension.dimension_id: dimension for dimension in report.dimensions}
    question_dimension = {1: 31, 2: 32}
    texts = [
        explain_dimension(
            name,
            by_dimension[dimension_id].score,
            by_dimension[dimension_id].evidence,
            with_numbers=True,
            refused=[
                note for note in report.models["quality_notes"] if question_dimension[note["question"]] == dimension_id
            ],
            not_asked=dimension_id == 33,
        )
        for dimension_id, name in ((31, SERVICE), (32, NUMERACY), (33, RISK))
    ]
    scored = sum(1 for dimension in report.dimensions if dimension.score is not None)
    summary = explain_summary(report.total, scored, with_numbers=True, quality_notes=report.models["quality_notes"])
    return summary, texts


def _figures(text: str) -> set[float]:
    return {float(number) for number in re.findall(r"\d+(?:\.\d+)?", text)}


def _assert_every_figure_is_held(report: records.ReportResult, texts: list[Bilingual]) -> None:
    held = {100.0, 1.0, 2.0} | ({report.total} if report.total is not None else set())
    for dimension in report.dimensions:
        held |= {dimension.score} if dimension.score is not None else set()
        held |= {item["contribution"] for item in dimension.evidence}
    held |= {float(sum(1 for dimension in report.dimensions if dimension.score is not None))}
    for text in texts:
        assert _figures(text.en) <= held, text.en
        assert _figures(text.zh) <= held, text.zh


def test_a_relevant_answer_is_explained_by_what_raised_and_lowered_it():
    report = _report(SERVICE_ANSWERS["relevant"])
    summary, (service, numeracy, risk) = _explain(report)
    assert (
        summary.en == "Your interview was scored 79/100 overall, the weighted mean of the 2 scored competencies below."
    )
    assert summary.zh == "您的面试总分为 79/100，是以下 2 项已评分能力得分的加权平均。"
    assert service.en == (
        "Your answers to the Service questions were scored 93.1/100, mostly from relevance to the question (+22.2) "
        "and closeness to strong sample answers (+16.7); filler words (um, uh) lowered it."
    )
    assert service.zh == (
        "您对“服务意识”相关问题的回答得分为 93.1/100，主要来自回答与问题的相关性（+22.2）"
        "和与优秀示例回答的接近程度（+16.7）；口头禅（嗯、呃）拉低了得分。"
    )
    assert numeracy.en.startswith("Your answers to the Numeracy questions were scored 64.9/100")
    assert risk.en == "No Risk awareness questions were asked in this interview, so it is not part of the result."
    assert risk.zh == "本次面试没有提问“风险意识”相关问题，该项不计入结果。"
    _assert_every_figure_is_held(report, [summary, service, numeracy, risk])


def test_an_off_topic_answer_is_explained_as_off_the_question_and_earns_no_praise():
    report = _report(SERVICE_ANSWERS["off-topic"])
    summary, (service, _, _) = _explain(report)
    assert service.en == (
        "Your answers to the Service questions were scored 0.9/100; straying from the question and missing key "
        "terms lowered it."
    )
    assert service.zh == "您对“服务意识”相关问题的回答得分为 0.9/100；偏离问题和缺少评分要点关键词拉低了得分。"
    assert report.strengths == ["numeracy"] and report.weaknesses == ["service"]
    assert not {tag["en"] for tag in report.tags} & {"on-topic answers", "clear logic", "solid domain knowledge"}
    _assert_every_figure_is_held(report, [summary, service])


def test_a_keyword_list_is_named_in_words_and_is_neither_strength_nor_weakness():
    report = _report(SERVICE_ANSWERS["keyword list"])
    summary, (service, _, _) = _explain(report)
    assert service.en == (
        "Your answers to the Service questions were scored 0/100; straying from the question and distance from the "
        "strong sample answers lowered it; an answer listed rubric terms without explaining them, and listed terms "
        "earn no credit."
    )
    assert service.zh == (
        "您对“服务意识”相关问题的回答得分为 0/100；偏离问题和与优秀示例回答差距较大拉低了得分；"
        "有回答只是列举了评分要点词语而没有加以解释，列举的词语不计分。"
    )
    assert "service" not in report.strengths + report.weaknesses
    assert not {tag["en"] for tag in report.tags} & {"on-topic answers", "clear logic", "solid domain knowledge"}
    service_score = next(dimension for dimension in report.dimensions if dimension.dimension_id == 31)
    assert service_score.evidence[-1] == {"feature": "keyword_list", "value": 0.9, "contribution": 0.0}
    _assert_every_figure_is_held(report, [summary, service])


def test_a_noisy_recording_is_not_judged_and_is_said_to_be_no_low_score():
    report = _report(SERVICE_ANSWERS["noisy"])
    summary, (service, numeracy, _) = _explain(report)
    service_score = next(dimension for dimension in report.dimensions if dimension.dimension_id == 31)
    assert service_score.score is None
    assert service_score.insufficient_evidence_reason == (
        "the recording of question 1 is too noisy to understand; please record it again in a quieter place"
    )
    assert service.en == (
        "Your answers to the Service questions were not judged: the recording of question 1 is too noisy to "
        "understand; please record it again in a quieter place. This is insufficient evidence, not a low score."
    )
    assert service.zh == (
        "您对“服务意识”相关问题的回答未予评判：第 1 题的录音噪声太大，无法听清；请在安静的环境中重新录制。"
        "这是证据不足，不是低分。"
    )
    numeracy_score = next(dimension for dimension in report.dimensions if dimension.dimension_id == 32)
    assert report.total == numeracy_score.score == 64.9
    assert summary.en == (
        "Your interview was scored 64.9/100 overall, the weighted mean of the 1 scored competency below. "
        "Insufficient evidence: the recording of question 1 is too noisy to understand; please record it again "
        "in a quieter place. That answer was left out of the result, not scored low."
    )
    assert summary.zh == (
        "您的面试总分为 64.9/100，是以下 1 项已评分能力得分的加权平均。证据不足：第 1 题的录音噪声太大，无法听清；"
        "请在安静的环境中重新录制。该回答未计入结果，不按低分处理。"
    )
    assert report.strengths == ["numeracy"] and "service" not in report.weaknesses
    assert records.final_status_reason(report) == (
        "scored without some answers: insufficient evidence — the recording of question 1 is too noisy to "
        "understand; please record it again in a quieter place"
    )
    _assert_every_figure_is_held(report, [summary, service, numeracy])


@pytest.mark.parametrize("case", sorted(SERVICE_ANSWERS))
def test_no_reason_quotes_a_database_id(case):
    report = _report(SERVICE_ANSWERS[case])
    reasons = [dimension.insufficient_evidence_reason or "" for dimension in report.dimensions]
    texts = " ".join(
        reasons + [tag["reason"] for tag in report.tags] + [note["en"] for note in report.models["quality_notes"]]
    )
    assert str(SERVICE_QUESTION) not in texts and str(NUMERACY_QUESTION) not in texts


def test_a_dimension_not_asked_leaves_the_weight_base():
    report = _report(SERVICE_ANSWERS["noisy"])
    risk = next(dimension for dimension in report.dimensions if dimension.dimension_id == 33)
    assert risk.insufficient_evidence_reason == "not asked in this interview"
    relevant = _report(SERVICE_ANSWERS["relevant"])
    scores = {dimension.dimension_id: dimension.score for dimension in relevant.dimensions}
    assert relevant.total == pytest.approx(round((0.4 * scores[31] + 0.4 * scores[32]) / 0.8, 1))


def test_the_vision_model_is_named_only_when_its_output_was_used():
    audio_only = _report(SERVICE_ANSWERS["relevant"], biometric_consent=True)
    assert audio_only.models["vision"] is None
    with_video = make_answer(str(SERVICE_QUESTION), vision=make_vision())
    assert _report(with_video, biometric_consent=True).models["vision"] == "mediapipe face mesh + pose"


def test_the_report_records_the_scoring_configuration():
    report = _report(SERVICE_ANSWERS["relevant"])
    assert report.models["scoring_configuration"] == CONFIG.record()
    assert report.models["speech"] == CONFIG.speech_model
    reweighted = PipelineConfig(feature_weights={"relevance": 0.6, "structure": 0.4})
    job = _job()
    fusion = fuse_interview([SERVICE_ANSWERS["relevant"]], scoring.dimension_specs(job), reweighted)
    recorded = scoring.report_result(job, fusion, config=reweighted).models["scoring_configuration"]
    assert recorded["hash"] != CONFIG.content_hash
    assert recorded["pipeline_version"] == fusion.pipeline_version == reweighted.pipeline_version


def test_an_answer_read_as_a_keyword_list_earns_no_tag_and_no_strength_even_where_it_scores():
    """Even a list that measured as relevant and was said fluently (sentences around it) earns no praise."""
    listed = make_answer("q1", text=make_text(keyword_list=True, sentence_share=0.4))
    genuine = make_answer("q1")
    spec = [
        DimensionSpec(
            "service", SERVICE.zh, SERVICE.en, 1.0, ("q1",), strength_tag_zh="服务好", strength_tag_en="serves well"
        )
    ]
    praised = fuse_interview([genuine], spec, CONFIG)
    assert praised.strengths == ("service",) and "serves well" in {tag.en for tag in praised.tags}
    gamed = fuse_interview([listed], spec, CONFIG)
    assert gamed.dimensions[0].score >= CONFIG.dimension_tag_threshold
    assert gamed.tags == () and gamed.strengths == () and gamed.weaknesses == ()


REPORT_CONFIGURATION = """
query($id: ID!) {
  node(id: $id) {
    ... on InterviewReport {
      pipelineVersion strengths
      strengthLabels { key zh en }
      weaknessLabels { key zh en }
      scoringConfiguration { version hash pipelineVersion parameters }
    }
  }
}"""


async def _stored_report(gql, result: records.ReportResult | None) -> str:
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    interview = await fetch(Interview, (await factories.invite(gql, application_id))["interview"]["id"])
    application = await fetch(Application, application_id)
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id,
            requisition_id=application.requisition_id,
            total=None if result is None else result.total,
            strengths=[] if result is None else result.strengths,
            weaknesses=[] if result is None else result.weaknesses,
            radar=[] if result is None else result.radar,
            models={} if result is None else result.models,
            pipeline_version="before-configurations" if result is None else CONFIG.pipeline_version,
            scored_at=utcnow(),
        )
    )
    return global_id("InterviewReport", report.id)


async def test_the_report_answers_which_configuration_scored_it(gql):
    result = _report(SERVICE_ANSWERS["off-topic"])
    data = (await gql(REPORT_CONFIGURATION, id=await _stored_report(gql, result)))["node"]
    assert data["pipelineVersion"] == CONFIG.pipeline_version
    assert data["scoringConfiguration"] == {
        "version": CONFIG.version,
        "hash": CONFIG.content_hash,
        "pipelineVersion": CONFIG.pipeline_version,
        "parameters": CONFIG.parameters(),
    }
    assert data["scoringConfiguration"]["parameters"]["feature_weights"]["relevance"] == 0.2
    assert data["strengthLabels"] == [{"key": "numeracy", "zh": "数字能力", "en": "Numeracy"}]
    assert data["weaknessLabels"] == [{"key": "service", "zh": "服务意识", "en": "Service"}]
    older = (await gql(REPORT_CONFIGURATION, id=await _stored_report(gql, None)))["node"]
    assert older["scoringConfiguration"] is None and older["strengthLabels"] == []
