"""Scoring pipeline: media → features → scores, as pure functions.

Workers call ``score_answer`` / ``score_interview`` (or ``fuse_interview`` on
stored ``AnswerEvidence``) and store the dataclasses they return; tests call
the same functions without a broker.
"""

from workers.pipeline.config import (
    PIPELINE_VERSION,
    SCORING_CONFIG_VERSION,
    InvalidScoringConfiguration,
    PipelineConfig,
)
from workers.pipeline.fusion import fuse_interview
from workers.pipeline.media import MediaDecodeError
from workers.pipeline.score import score_answer, score_interview
from workers.pipeline.types import (
    AnswerEvidence,
    AudioQuality,
    DimensionScore,
    DimensionSpec,
    EvidenceItem,
    FusionResult,
    QuestionSpec,
    RadarAxis,
    SpeechFeatures,
    Tag,
    TagRule,
    TextFeatures,
    TranscribedWord,
    VisionFeatures,
)
from workers.pipeline.vision import VisionNotPermitted

__all__ = [
    "PIPELINE_VERSION",
    "SCORING_CONFIG_VERSION",
    "AnswerEvidence",
    "AudioQuality",
    "DimensionScore",
    "DimensionSpec",
    "EvidenceItem",
    "FusionResult",
    "InvalidScoringConfiguration",
    "MediaDecodeError",
    "PipelineConfig",
    "QuestionSpec",
    "RadarAxis",
    "SpeechFeatures",
    "Tag",
    "TagRule",
    "TextFeatures",
    "TranscribedWord",
    "VisionFeatures",
    "VisionNotPermitted",
    "fuse_interview",
    "score_answer",
    "score_interview",
]
