"""Plain data passed between the pipeline steps: declarations only, no I/O.

Every step returns one of these frozen dataclasses, so a worker can store them
(``dataclasses.asdict``) and fusion can be tested with hand-built values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuestionSpec:
    """What the pipeline must know about one interview question.

    ``rubric_keywords``: each entry is one concept; alternatives are separated
    by ``|`` (``"supervisor|manager"``). Chinese keywords match without word
    boundaries, other keywords match at the start of a word (``count`` also
    finds ``counting``).
    """

    question_id: str
    prompt: str
    language: str
    sample_answers: tuple[str, ...] = ()
    rubric_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class DimensionSpec:
    """A competency on the report, fed by the answers to ``question_ids``.

    ``feature_weights`` overrides ``PipelineConfig.feature_weights`` for this
    dimension (e.g. a communication dimension that weighs delivery more).
    ``strength_tag_zh``/``strength_tag_en`` are awarded when the dimension
    scores at least ``PipelineConfig.dimension_tag_threshold``.
    """

    key: str
    name_zh: str
    name_en: str
    weight: float
    question_ids: tuple[str, ...]
    feature_weights: Mapping[str, float] | None = None
    strength_tag_zh: str | None = None
    strength_tag_en: str | None = None


@dataclass(frozen=True)
class TranscribedWord:
    text: str
    start_seconds: float
    end_seconds: float
    probability: float


@dataclass(frozen=True)
class AudioQuality:
    """The audio-quality gate's verdict on one answer (``workers.pipeline.quality``).

    ``verdict`` is ``intelligible``, ``too_noisy`` or ``unintelligible``; the last two make the
    answer insufficient evidence. ``reason_zh``/``reason_en`` say what the candidate can do about
    it (``None`` when intelligible); ``findings`` say which measures failed."""

    verdict: str
    snr_db: float
    avg_logprob: float | None
    no_speech_prob: float | None
    units_per_second: float
    findings: tuple[str, ...] = ()
    reason_zh: str | None = None
    reason_en: str | None = None

    @property
    def intelligible(self) -> bool:
        return self.verdict == "intelligible"


@dataclass(frozen=True)
class SpeechFeatures:
    """Delivery measures of one spoken answer.

    ``speaking_rate`` is counted in ``speaking_rate_unit``: words per minute for
    English, Chinese characters per minute for Chinese (Chinese has no spaces,
    and characters are syllables). The minute is the speaking span, from the
    first to the last voiced moment, so leading and trailing silence do not
    lower it. ``transcription_confidence`` (0-1) says how far the transcript
    can be trusted; it is not a measure of the candidate.
    """

    transcript: str
    language: str | None
    language_probability: float
    words: tuple[TranscribedWord, ...]
    duration_seconds: float
    speech_seconds: float
    speaking_span_seconds: float
    speaking_rate: float | None
    speaking_rate_unit: str
    transcript_unit_count: int
    pause_count: int
    pause_seconds_total: float
    longest_pause_seconds: float
    silence_share: float
    filler_count: int
    filler_rate_per_minute: float | None
    transcription_confidence: float
    quality: AudioQuality | None = None
    """The audio-quality gate's verdict; ``None`` when nothing was transcribed (silence is judged
    by the amount of speech) and in evidence stored before the gate."""


@dataclass(frozen=True)
class VisionFeatures:
    """Non-verbal measures of one video answer (see ``workers.pipeline.vision``
    for how each is defined). Measures that need a visible face or body are
    ``None`` when none was seen, never a guessed number."""

    frames_analysed: int
    face_frames: int
    face_presence_share: float
    gaze_toward_camera_share: float | None
    blink_rate_per_minute: float | None
    frown_events: int | None
    frown_rate_per_minute: float | None
    smile_share: float | None
    head_yaw_std_degrees: float | None
    head_pitch_std_degrees: float | None
    head_pose_stability: float | None
    pose_frames: int
    shoulder_sway: float | None
    posture_stability: float | None
    gesture_activity: float | None


@dataclass(frozen=True)
class TextFeatures:
    """Content measures of one transcript against its question.

    Similarities are raw cosine similarities of ``embedder_model`` and are only
    comparable between answers scored by the same model; fusion maps them to
    0-1 with a per-model range from ``PipelineConfig.similarity_ranges``.
    ``keywords_found`` and ``concepts_covered`` count only inside sentences that
    are relevant to the question (``workers.pipeline.text``). The last three
    fields have defaults so that evidence stored before them still loads.
    """

    embedder_model: str
    relevance_to_question: float
    best_sample_answer_similarity: float | None
    keyword_coverage: float | None
    keywords_found: tuple[str, ...]
    concept_coverage: float | None
    concepts_covered: tuple[str, ...]
    structure_components: tuple[str, ...]
    structure_score: float
    word_count: int
    character_count: int
    sentence_share: float = 1.0
    """Share of the answer (words; Chinese: characters) said in sentences rather than recited as a
    list of words. Relevance and similarities are measured on the sentences alone."""
    keyword_list: bool = False
    """The answer is mostly a recitation of rubric keywords (``PipelineConfig.keyword_list_min_share``)."""
    keywords_without_credit: tuple[str, ...] = ()
    """Rubric keywords the answer says, but only in a list or in a sentence off the question:
    they earn no keyword credit."""


@dataclass(frozen=True)
class AnswerEvidence:
    """Everything measured for one answer; ``vision`` is ``None`` without
    biometric consent or without a video track, ``text`` is ``None`` when
    nothing was transcribed. ``unusable_reason`` says why a file gave no
    features at all (e.g. it could not be decoded)."""

    question_id: str
    speech: SpeechFeatures | None
    vision: VisionFeatures | None
    text: TextFeatures | None
    unusable_reason: str | None = None


@dataclass(frozen=True)
class EvidenceItem:
    """One feature behind a dimension score: ``value`` is the feature mapped to
    0-1 (averaged over the dimension's answers), ``contribution`` the points it
    added to the 0-100 score."""

    feature: str
    value: float
    contribution: float


@dataclass(frozen=True)
class DimensionScore:
    key: str
    name_zh: str
    name_en: str
    weight: float
    score: float | None
    confidence: float
    insufficient_evidence: str | None
    evidence: tuple[EvidenceItem, ...]
    scored_question_ids: tuple[str, ...]
    notes: tuple[str, ...] = ()
    keyword_list: bool = False
    """Some scored answer recited rubric keywords as a list: the score rests partly on gamed evidence, so
    the dimension is named neither a strength nor a weakness and earns no strength tag."""


@dataclass(frozen=True)
class Tag:
    zh: str
    en: str
    reason: str


@dataclass(frozen=True)
class TagRule:
    """Award a tag when the mean of ``features`` (0-1, over all usable answers)
    reaches ``threshold``. With ``needs_relevance`` the mean is weighted by each
    answer's relevance gate and the answers must on average be relevant
    (``PipelineConfig.praise_min_relevance``): praise for fluency or knowledge
    shown while saying nothing on the question would be untrue."""

    zh: str
    en: str
    features: tuple[str, ...]
    threshold: float
    needs_relevance: bool = False


@dataclass(frozen=True)
class RadarAxis:
    key: str
    label_zh: str
    label_en: str
    value: float | None


@dataclass(frozen=True)
class FusionResult:
    """The scored interview. ``total`` is ``None`` (with
    ``total_insufficient_evidence``) when too little of the weighted
    competencies could be scored."""

    dimensions: tuple[DimensionScore, ...]
    total: float | None
    total_confidence: float
    total_insufficient_evidence: str | None
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    tags: tuple[Tag, ...]
    radar: tuple[RadarAxis, ...]
    pipeline_version: str
    embedder_models: tuple[str, ...] = field(default=())
    vision_used: bool = False
    """Some usable answer carried a vision feature: only then are the vision models named on the report."""
