"""The candidate's AI result explained in plain words (PIPL art. 24; Illinois AI Video Interview Act).

Built from the stored report and each dimension's evidence, in Chinese and English, with what was
*not* used. The candidate's own numbers (total, dimension scores, radar) are shown only where the
requisition's ``candidate_report_visible`` policy allows; otherwise the explanation names the factors
without numbers. The pure functions (``explain_*``) need no database; ``request_explanation`` takes
the invitation token (see ``review_requests.open_for_privacy``) and records the request as an
answered review request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import UnitOfWork
from gateway.models import (
    Dimension,
    DimensionScore,
    InterviewReport,
    Requisition,
    ReviewRequest,
)
from gateway.models.base import utcnow
from gateway.models.enums import ReviewRequestKind, ReviewRequestStatus
from resolvers.services.audit import record_audit
from resolvers.services.candidate_interview import candidate_actor, consent_state, interview_questions
from resolvers.services.review_requests import open_for_privacy, scored_report

LOWERING_VALUE_BELOW = 0.5
"""A feature whose 0–1 value is below this is named as having lowered the score."""
TOP_FACTORS = 2
MIN_NAMED_POINTS = 1.0
"""A feature that added less than one point is not named as where the score came from."""


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str


@dataclass(frozen=True)
class FeaturePhrase:
    raised: Bilingual
    """What the feature is, as a reason the score went up ("relevance to the question")."""
    lowered: Bilingual
    """What pulled the score down, as the subject of "… lowered it" ("pauses")."""


FEATURE_PHRASES: dict[str, FeaturePhrase] = {
    "relevance": FeaturePhrase(
        Bilingual("回答与问题的相关性", "relevance to the question"),
        Bilingual("偏离问题", "straying from the question"),
    ),
    "sample_answer_similarity": FeaturePhrase(
        Bilingual("与优秀示例回答的接近程度", "closeness to strong sample answers"),
        Bilingual("与优秀示例回答差距较大", "distance from the strong sample answers"),
    ),
    "keyword_coverage": FeaturePhrase(
        Bilingual("评分要点关键词的使用", "use of the key terms of the rubric"),
        Bilingual("缺少评分要点关键词", "missing key terms"),
    ),
    "concept_coverage": FeaturePhrase(
        Bilingual("评分要点概念的覆盖", "coverage of the rubric concepts"),
        Bilingual("未覆盖的评分要点", "rubric concepts left out"),
    ),
    "structure": FeaturePhrase(
        Bilingual("回答的条理结构", "a clear structure"), Bilingual("条理不够清晰", "a loose structure")
    ),
    "speaking_rate": FeaturePhrase(
        Bilingual("适中的语速", "a comfortable speaking pace"), Bilingual("语速过快或过慢", "the speaking pace")
    ),
    "pause_control": FeaturePhrase(Bilingual("停顿较少", "few long pauses"), Bilingual("停顿", "pauses")),
    "filler_control": FeaturePhrase(
        Bilingual("口头禅较少", "few filler words"), Bilingual("口头禅（嗯、呃）", "filler words (um, uh)")
    ),
    "eye_contact": FeaturePhrase(
        Bilingual("注视镜头", "looking toward the camera"), Bilingual("视线偏离镜头", "looking away from the camera")
    ),
    "head_pose_stability": FeaturePhrase(
        Bilingual("头部姿态稳定", "a steady head position"), Bilingual("头部晃动", "head movement")
    ),
    "posture_stability": FeaturePhrase(
        Bilingual("坐姿稳定", "a steady posture"), Bilingual("姿势变化", "changes of posture")
    ),
    "smile": FeaturePhrase(Bilingual("微笑", "smiling"), Bilingual("较少微笑", "little smiling")),
    "gesture_activity": FeaturePhrase(Bilingual("手势", "hand gestures"), Bilingual("手势较少", "few hand gestures")),
}
EXPRESSION_FEATURES = frozenset({"smile", "gesture_activity"})
"""Reported as evidence with no weight by default (workers.pipeline.config); named only if a model weights them."""
VISION_FEATURES = frozenset({"eye_contact", "head_pose_stability", "posture_stability", *EXPRESSION_FEATURES})
KEYWORD_LIST_EVIDENCE = "keyword_list"
"""The evidence item a dimension carries when an answer recited rubric keywords as a list
(``workers.pipeline.fusion.KEYWORD_LIST_EVIDENCE``)."""
LISTED_TERM_FEATURES = frozenset({"keyword_coverage", "concept_coverage"})
"""Not blamed as "missing key terms" when the terms were recited as a list: the list is named instead."""


@dataclass(frozen=True)
class DimensionExplanation:
    key: str
    name: Bilingual
    text: Bilingual


@dataclass(frozen=True)
class OwnDimensionScore:
    key: str
    name: Bilingual
    score: float | None


@dataclass(frozen=True)
class OwnReport:
    """The candidate's own numbers, only where the requisition allows it."""

    total: float | None
    dimensions: list[OwnDimensionScore]
    radar: list[dict[str, Any]]


@dataclass(frozen=True)
class Explanation:
    interview_id: int
    review_request_id: int
    summary: Bilingual
    dimensions: list[DimensionExplanation]
    not_used: list[Bilingual]
    own_report: OwnReport | None


# ---- plain-words explanation (pure) -------------------------------------------------------------


def _points(value: float) -> str:
    """A stored figure as the report holds it (scores and points are kept to one decimal): 64 or 56.7."""
    return f"{value:g}"


def _join(parts: Sequence[str], *, language: str) -> str:
    if language == "zh":
        return "、".join(parts[:-1]) + "和" + parts[-1] if len(parts) > 1 else parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _phrase(feature: str) -> FeaturePhrase:
    known = FEATURE_PHRASES.get(feature)
    if known is not None:
        return known
    words = feature.replace("_", " ")
    return FeaturePhrase(Bilingual(words, words), Bilingual(words, words))


def _weightless_expression(item: dict[str, Any]) -> bool:
    return item.get("feature") in EXPRESSION_FEATURES and not item.get("contribution")


def _refusals(refused: Sequence[dict[str, Any]], *, language: str) -> str:
    separator = "；" if language == "zh" else "; "
    return separator.join(note[language] for note in refused)


def explain_dimension(
    name: Bilingual,
    score: float | None,
    evidence: Sequence[dict[str, Any]],
    *,
    with_numbers: bool,
    refused: Sequence[dict[str, Any]] = (),
    not_asked: bool = False,
) -> Bilingual:
    """One dimension in a sentence per language, from its stored evidence ``{feature, value, contribution}``.

    The largest contributions are named as what the score came from; features whose value was low
    as what lowered it. Without ``with_numbers`` (the requisition hides reports from candidates) the
    same factors are named without the score or points; with it, every figure is one the report holds.
    Features that added nothing because they carry no weight (facial expressions, gestures by default)
    are never named. A ``keyword_list`` item (an answer recited rubric terms) is said in words, and then
    missing key terms are not blamed: the terms were there, listed. ``refused``: this dimension's
    answers that the audio-quality gate did not judge (the report's ``models.quality_notes``, each
    ``{question, zh, en}`` naming the question by its number), said to be left out, never scored low.
    ``not_asked``: none of the dimension's questions was asked in this interview.
    """
    if not_asked:
        return Bilingual(
            zh=f"本次面试没有提问“{name.zh}”相关问题，该项不计入结果。",
            en=f"No {name.en} questions were asked in this interview, so it is not part of the result.",
        )
    if score is None:
        if refused:
            return Bilingual(
                zh=f"您对“{name.zh}”相关问题的回答未予评判：{_refusals(refused, language='zh')}。"
                "这是证据不足，不是低分。",
                en=f"Your answers to the {name.en} questions were not judged: {_refusals(refused, language='en')}. "
                "This is insufficient evidence, not a low score.",
            )
        return Bilingual(
            zh=f"您对“{name.zh}”相关问题的回答证据不足，未能评分。",
            en=f"Your answers to the {name.en} questions could not be scored: there was not enough evidence.",
        )
    keyword_list = any(item.get("feature") == KEYWORD_LIST_EVIDENCE for item in evidence)
    weighted = [
        item
        for item in evidence
        if not _weightless_expression(item)
        and item.get("feature") != KEYWORD_LIST_EVIDENCE
        and not (keyword_list and item.get("feature") in LISTED_TERM_FEATURES)
    ]
    raised = sorted(
        (item for item in weighted if (item.get("contribution") or 0) >= MIN_NAMED_POINTS),
        key=lambda item: -item["contribution"],
    )[:TOP_FACTORS]
    lowered = sorted(
        (item for item in weighted if item.get("value") is not None and item["value"] < LOWERING_VALUE_BELOW),
        key=lambda item: item["value"],
    )[:TOP_FACTORS]
    raised_zh = [
        _phrase(item["feature"]).raised.zh + (f"（+{_points(item['contribution'])}）" if with_numbers else "")
        for item in raised
    ]
    raised_en = [
        _phrase(item["feature"]).raised.en + (f" (+{_points(item['contribution'])})" if with_numbers else "")
        for item in raised
    ]
    if with_numbers:
        zh = f"您对“{name.zh}”相关问题的回答得分为 {_points(score)}/100"
        en = f"Your answers to the {name.en} questions were scored {_points(score)}/100"
        if raised:
            zh += f"，主要来自{_join(raised_zh, language='zh')}"
            en += f", mostly from {_join(raised_en, language='en')}"
    else:
        zh = f"您对“{name.zh}”相关问题的回答" + (
            f"主要依据{_join(raised_zh, language='zh')}进行评估" if raised else "已完成评估"
        )
        en = f"Your answers to the {name.en} questions were " + (
            f"assessed mostly on {_join(raised_en, language='en')}" if raised else "assessed"
        )
    if lowered:
        lowered_zh = _join([_phrase(item["feature"]).lowered.zh for item in lowered], language="zh")
        lowered_en = _join([_phrase(item["feature"]).lowered.en for item in lowered], language="en")
        zh += f"；{lowered_zh}拉低了" + ("得分" if with_numbers else "结果")
        en += f"; {lowered_en} lowered " + ("it" if with_numbers else "the result")
    if keyword_list:
        zh += "；有回答只是列举了评分要点词语而没有加以解释，列举的词语不计分"
        en += "; an answer listed rubric terms without explaining them, and listed terms earn no credit"
    for note in refused:
        zh += f"；第 {note['question']} 题未予评判，也没有拉低结果：{note['zh']}"
        en += f"; question {note['question']} was not judged and did not lower the result: {note['en']}"
    return Bilingual(zh=zh + "。", en=en + ".")


def explain_summary(
    total: float | None,
    dimension_count: int,
    *,
    with_numbers: bool,
    quality_notes: Sequence[dict[str, Any]] = (),
) -> Bilingual:
    """The overall sentence, followed by the answers that were not judged because their recording
    could not be understood (``quality_notes``: the report's ``models.quality_notes``, each with the
    question's number and a reason in zh and en). ``dimension_count``: the competencies whose scores
    the total averages (those scored), or, without numbers, those assessed."""
    if total is None:
        summary = Bilingual(
            zh="证据不足，未能给出总体结果（见以下各项说明）。",
            en="There was not enough evidence to give an overall result (see each competency below).",
        )
    elif with_numbers:
        summary = Bilingual(
            zh=f"您的面试总分为 {_points(total)}/100，是以下 {dimension_count} 项已评分能力得分的加权平均。",
            en=f"Your interview was scored {_points(total)}/100 overall, the weighted mean of the "
            f"{dimension_count} scored {'competency' if dimension_count == 1 else 'competencies'} below.",
        )
    else:
        summary = Bilingual(
            zh=f"您的面试依据回答的内容和表达，从 {dimension_count} 项能力进行了评估；以下说明哪些因素影响最大。",
            en=f"Your interview was assessed on {dimension_count} competencies from what you said and how you "
            "said it; below is what mattered most.",
        )
    for note in quality_notes:
        summary = Bilingual(
            zh=f"{summary.zh}证据不足：{note['zh']}。该回答未计入结果，不按低分处理。",
            en=f"{summary.en} Insufficient evidence: {note['en']}. That answer was left out of the result, "
            "not scored low.",
        )
    return summary


def explain_not_used(*, vision_used: bool, biometric_consent: bool, expressions_weighted: bool) -> list[Bilingual]:
    """What the AI did not use, and that a person decides (Illinois AI Video Interview Act, PIPL art. 24)."""
    notes = []
    if vision_used:
        notes.append(
            Bilingual(
                zh="在您单独同意生物识别分析后，视频画面仅用于视线、头部和坐姿的稳定性，且权重很小。",
                en="With your separate consent to biometric analysis, the video was used only for eye contact and "
                "the steadiness of head and posture, with a small weight.",
            )
        )
    elif not biometric_consent:
        notes.append(
            Bilingual(
                zh="未分析您的视频画面：您未单独同意生物识别分析，因此未使用任何面部、视线或姿态数据。",
                en="Your video image was not analysed: you did not give separate consent to biometric analysis, "
                "so no face, gaze or posture measures were used.",
            )
        )
    else:
        notes.append(
            Bilingual(
                zh="本次未进行视频画面分析（本系统未启用或录像中没有可用画面）。",
                en="Your video image was not analysed (turned off for this service, or no usable picture).",
            )
        )
    if not expressions_weighted:
        notes.append(
            Bilingual(
                zh="面部表情（如微笑）和手势不计入得分。",
                en="Facial expressions (such as smiling) and hand gestures carry no weight in the score.",
            )
        )
    notes.append(
        Bilingual(
            zh="您的姓名、简历和其他个人信息不是 AI 评分的输入。",
            en="Your name, résumé and other personal details are not inputs to the AI score.",
        )
    )
    notes.append(
        Bilingual(
            zh="AI 结果仅供参考，录用决定由招聘人员作出；您可以申请人工复核。",
            en="The AI result supports, but does not make, the hiring decision: a recruiter decides, "
            "and you may ask for a human review.",
        )
    )
    return notes


# ---- the candidate's request (invitation token) ------------------------------------------------


async def _dimension_rows(report: InterviewReport, *, session: AsyncSession) -> list[tuple[DimensionScore, Dimension]]:
    rows = await session.exec(
        select(DimensionScore, Dimension)
        .join(Dimension, col(Dimension.id) == col(DimensionScore.dimension_id))
        .where(DimensionScore.report_id == report.id, DimensionScore.pipeline_version == report.pipeline_version)
        .order_by(col(Dimension.position), col(Dimension.id))
    )
    return list(rows.all())


async def request_explanation(token: str, *, uow: UnitOfWork) -> Explanation:
    """The explanation of the candidate's AI result, recorded as an (answered) explanation request."""
    session = uow.session
    interview, application, candidate = await open_for_privacy(token, session=session)
    report = await scored_report(interview, session=session)
    requisition = await session.get(Requisition, application.requisition_id)
    assert requisition is not None
    visible = requisition.candidate_report_visible
    rows = await _dimension_rows(report, session=session)
    consent = await consent_state(candidate.id, session=session)
    questions = await interview_questions(interview.id, session=session)
    asked_dimensions = {question.dimension_id for question in questions}
    dimension_of_number = {number: question.dimension_id for number, question in enumerate(questions, start=1)}
    quality_notes = report.models.get("quality_notes") or ()
    refused_by_dimension = {
        dimension.id: [note for note in quality_notes if dimension_of_number.get(note["question"]) == dimension.id]
        for _, dimension in rows
    }
    vision_used = any(item.get("feature") in VISION_FEATURES for score, _ in rows for item in score.evidence)
    expressions_weighted = any(
        item.get("feature") in EXPRESSION_FEATURES and item.get("contribution")
        for score, _ in rows
        for item in score.evidence
    )
    dimensions = [
        DimensionExplanation(
            key=dimension.key,
            name=Bilingual(dimension.name_zh, dimension.name_en),
            text=explain_dimension(
                Bilingual(dimension.name_zh, dimension.name_en),
                score.score,
                score.evidence,
                with_numbers=visible,
                refused=refused_by_dimension[dimension.id],
                not_asked=dimension.id not in asked_dimensions,
            ),
        )
        for score, dimension in rows
    ]
    now = utcnow()
    request = ReviewRequest(
        interview_id=interview.id,
        kind=ReviewRequestKind.EXPLANATION,
        status=ReviewRequestStatus.RESOLVED,
        resolution="explained automatically from the stored report",
        resolved_by="system",
        resolved_at=now,
    )
    session.add(request)
    await session.flush()
    record_audit(
        session=session,
        actor=candidate_actor(interview),
        action="review_request.explanation",
        entity_type="ReviewRequest",
        entity_id=request.id,
        details={"interview_id": interview.id, "report_id": report.id, "report_visible": visible},
    )
    own_report = None
    if visible:
        own_report = OwnReport(
            total=report.total,
            dimensions=[
                OwnDimensionScore(dimension.key, Bilingual(dimension.name_zh, dimension.name_en), score.score)
                for score, dimension in rows
            ],
            radar=list(report.radar),
        )
    return Explanation(
        interview_id=interview.id,
        review_request_id=request.id,
        summary=explain_summary(
            report.total,
            sum(1 for score, _ in rows if score.score is not None)
            if visible
            else sum(1 for _, dimension in rows if dimension.id in asked_dimensions),
            with_numbers=visible,
            quality_notes=quality_notes,
        ),
        dimensions=dimensions,
        not_used=explain_not_used(
            vision_used=vision_used, biometric_consent=consent.biometric, expressions_weighted=expressions_weighted
        ),
        own_report=own_report,
    )
