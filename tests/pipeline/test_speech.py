"""faster-whisper transcription and delivery measures on real synthetic speech."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

from workers.pipeline.media import SPEECH_SAMPLE_RATE, decode_speech_audio
from workers.pipeline.speech import (
    WHISPER_MODEL_FILE,
    count_fillers,
    count_transcript_units,
    ensure_whisper_base_model,
    transcribe_answer,
    transcription_confidence,
)


@pytest.fixture(scope="module")
def english_speech(test_media, pipeline_config):
    return transcribe_answer(decode_speech_audio(test_media.english_relevant_wav), pipeline_config)


@pytest.fixture(scope="module")
def mandarin_speech(test_media, pipeline_config):
    return transcribe_answer(decode_speech_audio(test_media.mandarin_relevant_wav), pipeline_config)


def test_packaged_model_is_joined_once_and_rebuilt_when_incomplete(tmp_path):
    model_dir = ensure_whisper_base_model(tmp_path / "whisper")
    model_file = model_dir / WHISPER_MODEL_FILE
    full_size = model_file.stat().st_size
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {path.name for path in model_dir.iterdir()}
    os.utime(model_file, (0, 0))
    ensure_whisper_base_model(model_dir)
    assert model_file.stat().st_mtime == 0
    with model_file.open("r+b") as half_written:
        half_written.truncate(full_size // 2)
    ensure_whisper_base_model(model_dir)
    assert model_file.stat().st_size == full_size
    assert not [path for path in model_dir.iterdir() if path.name.startswith(".")]


def test_english_answer_is_transcribed_with_timings(english_speech):
    assert english_speech.language == "en"
    assert english_speech.language_probability > 0.8
    transcript = english_speech.transcript.lower()
    for word in ("customer", "cash", "supervisor", "procedure"):
        assert word in transcript
    starts = [word.start_seconds for word in english_speech.words]
    assert starts == sorted(starts)
    assert english_speech.speaking_rate_unit == "words_per_minute"
    assert 120 < english_speech.speaking_rate < 260
    assert english_speech.transcription_confidence > 0.5
    assert english_speech.silence_share < 0.25


def test_mandarin_answer_is_counted_in_characters(mandarin_speech):
    assert mandarin_speech.language == "zh"
    assert mandarin_speech.speaking_rate_unit == "characters_per_minute"
    assert "客户" in mandarin_speech.transcript
    assert mandarin_speech.transcript_unit_count >= 30
    assert 0.0 < mandarin_speech.transcription_confidence <= 1.0


def test_silence_gives_no_transcript(test_media, pipeline_config):
    speech = transcribe_answer(decode_speech_audio(test_media.silent_wav), pipeline_config)
    assert speech.transcript == ""
    assert speech.language is None
    assert speech.speaking_rate is None
    assert speech.speech_seconds < 0.5
    assert speech.silence_share > 0.9
    assert speech.transcription_confidence == 0.0


def test_a_long_gap_is_measured_as_a_pause(test_media, pipeline_config):
    audio = decode_speech_audio(test_media.english_off_topic_wav)
    cut = len(audio) // 2
    cut += int(np.argmin(np.abs(audio[cut : cut + SPEECH_SAMPLE_RATE])))
    gap = np.zeros(int(1.6 * SPEECH_SAMPLE_RATE), dtype=np.float32)
    speech = transcribe_answer(np.concatenate([audio[:cut], gap, audio[cut:]]), pipeline_config)
    assert speech.pause_count >= 1
    assert speech.longest_pause_seconds >= 1.4
    assert speech.pause_seconds_total >= speech.longest_pause_seconds


def test_english_fillers_are_whole_words_and_like_only_between_commas():
    transcript = "Um, I think, like, you know, it is uh fine. I would like to help, and I like my job."
    assert count_fillers(transcript, ("um", "uh", "you know", ", like,")) == 4


def test_chinese_fillers_are_found_without_spaces():
    assert count_fillers("嗯，我觉得就是，然后呃我们会处理", ("嗯", "呃", "就是", "然后")) == 4


def test_units_are_words_for_english_and_characters_for_chinese():
    assert count_transcript_units("I'd recount the cash.", "en") == (4, "words_per_minute")
    assert count_transcript_units("我会重新点钞。", "zh") == (6, "characters_per_minute")


def test_transcription_confidence_weights_segments_by_duration():
    clear = SimpleNamespace(start=0.0, end=9.0, avg_logprob=np.log(0.9), no_speech_prob=0.0)
    doubtful = SimpleNamespace(start=9.0, end=10.0, avg_logprob=np.log(0.5), no_speech_prob=0.5)
    assert transcription_confidence([clear, doubtful]) == pytest.approx((9 * 0.9 + 1 * 0.25) / 10)
    assert transcription_confidence([]) == 0.0
