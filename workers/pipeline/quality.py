"""Audio-quality gate: refuse to judge what was not perceived.

A recording drowned in noise gives Whisper little to go on, and the few words
it guesses are then scored as a bad answer. The gate looks at the recording
and at how sure the recogniser was, and turns an answer that was not
understood into insufficient evidence with a reason the candidate can act on,
never into a low score. Four measures (thresholds in ``PipelineConfig``):

- signal-to-noise estimate (``estimate_snr_db``): mean power over the noise
  floor, the noise floor being the 10th percentile of 20 ms frame powers
  (the quietest moments between words). On the test media it lands within
  0.5 dB of the SNR the noise was mixed at (10, 3, 0, −3 dB);
- Whisper's average log-probability per token (duration-weighted over
  segments): about −0.4 to −0.7 on clear speech, −1 where Whisper itself
  gives up on a decode;
- Whisper's no-speech probability (duration-weighted): high when it believes
  it heard no speech at all; it counts only with an unsure decode, as in
  Whisper's own silence rule (up to 0.5 on clearly transcribed 10 dB speech);
- words per voiced second (Chinese: characters): people say 1.5-4 English
  words or 3-6 Chinese characters a second; far fewer or far more means the
  transcript is fragments or an invention.

Noise alone does not reject an answer that Whisper still transcribed with
confidence: the noisy verdict needs both a low SNR and an unsure recogniser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from workers.pipeline.config import PipelineConfig
from workers.pipeline.media import SPEECH_SAMPLE_RATE
from workers.pipeline.types import AudioQuality

SNR_FRAME_SECONDS = 0.02
NOISE_FLOOR_PERCENTILE = 10
SNR_CEILING_DB = 60.0
"""Digital silence between words has no noise floor: such recordings are reported at this ceiling."""

TOO_NOISY = "too_noisy"
UNINTELLIGIBLE = "unintelligible"
INTELLIGIBLE = "intelligible"

REASONS: dict[str, tuple[str, str]] = {
    TOO_NOISY: (
        "{of}录音噪声太大，无法听清；请在安静的环境中重新录制",
        "the recording{of} is too noisy to understand; please record it again in a quieter place",
    ),
    UNINTELLIGIBLE: (
        "{of}录音中的语音无法辨认；请靠近麦克风、清楚地重新录制",
        "the speech in the recording{of} could not be understood; please record it again, "
        "speaking clearly and close to the microphone",
    ),
}
"""Candidate-facing reasons (zh, en) per verdict; ``{of}`` names the question where it is known."""


def quality_reason(verdict: str, question_number: int | None = None) -> tuple[str, str] | None:
    """What the candidate is told (zh, en) about an answer the gate refused, or ``None``."""
    templates = REASONS.get(verdict)
    if templates is None:
        return None
    zh, en = templates
    if question_number is None:
        return zh.format(of=""), en.format(of="")
    return zh.format(of=f"第 {question_number} 题的"), en.format(of=f" of question {question_number}")


def estimate_snr_db(audio: np.ndarray) -> float:
    """Signal-to-noise ratio in dB, from the recording alone (no clean reference)."""
    frame = int(SNR_FRAME_SECONDS * SPEECH_SAMPLE_RATE)
    count = audio.size // frame
    if count == 0:
        return 0.0
    powers = (audio[: count * frame].astype(np.float64).reshape(count, frame) ** 2).mean(axis=1)
    noise = float(np.percentile(powers, NOISE_FLOOR_PERCENTILE))
    signal = float(powers.mean()) - noise
    if signal <= 0:
        return 0.0
    if noise <= signal * 10 ** (-SNR_CEILING_DB / 10):
        return SNR_CEILING_DB
    return 10 * math.log10(signal / noise)


def duration_weighted(segments: Sequence, attribute: str) -> float | None:
    """Mean of a per-segment Whisper measure, weighted by segment length."""
    total = 0.0
    weighted = 0.0
    for segment in segments:
        duration = max(segment.end - segment.start, 1e-3)
        weighted += duration * getattr(segment, attribute)
        total += duration
    return weighted / total if total else None


def assess_audio_quality(
    audio: np.ndarray,
    segments: Sequence,
    *,
    speech_seconds: float,
    unit_count: int,
    rate_unit: str,
    config: PipelineConfig,
) -> AudioQuality:
    """The gate's verdict on one transcribed answer, with the measures behind it."""
    snr_db = estimate_snr_db(audio)
    avg_logprob = duration_weighted(segments, "avg_logprob")
    no_speech_prob = duration_weighted(segments, "no_speech_prob")
    units_per_second = unit_count / speech_seconds if speech_seconds > 0 else 0.0
    low, high = config.plausible_units_per_second.get(rate_unit, (0.0, math.inf))
    findings = []
    if snr_db < config.quality_min_snr_db and (avg_logprob is None or avg_logprob < config.quality_noisy_max_logprob):
        findings.append(f"signal-to-noise about {snr_db:.0f} dB with an unsure transcription")
    if avg_logprob is None or avg_logprob < config.quality_min_avg_logprob:
        findings.append("the recogniser could not decode it with confidence")
    if (
        no_speech_prob is not None
        and no_speech_prob > config.quality_max_no_speech_prob
        and avg_logprob is not None
        and avg_logprob < config.quality_noisy_max_logprob
    ):
        findings.append("the recogniser did not take it for speech")
    if not low <= units_per_second <= high:
        findings.append(f"{units_per_second:.1f} {rate_unit.split('_')[0]} per second of speech is implausible")
    if not findings:
        verdict = INTELLIGIBLE
    elif snr_db < config.quality_min_snr_db:
        verdict = TOO_NOISY
    else:
        verdict = UNINTELLIGIBLE
    reason_zh, reason_en = quality_reason(verdict) or (None, None)
    return AudioQuality(
        verdict=verdict,
        snr_db=round(snr_db, 1),
        avg_logprob=None if avg_logprob is None else round(avg_logprob, 3),
        no_speech_prob=None if no_speech_prob is None else round(no_speech_prob, 3),
        units_per_second=round(units_per_second, 2),
        findings=tuple(findings),
        reason_zh=reason_zh,
        reason_en=reason_en,
    )
