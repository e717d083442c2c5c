"""Decoding real webm/mp4/m4a/wav files, sniffing their type by content, and corrupt-file errors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gateway.media_types import SNIFF_BYTES, sniff_media_type
from workers.pipeline.media import (
    SPEECH_SAMPLE_RATE,
    MediaDecodeError,
    decode_speech_audio,
    frame_to_rgb,
    iter_video_frames,
    probe_media,
)


@pytest.mark.parametrize(
    ("media_name", "expected_type"),
    [
        ("english_relevant_wav", "audio/wav"),
        ("face_video_mp4", "video/mp4"),
        ("faceless_video_webm", "video/webm"),
        ("speech_m4a", "audio/mp4"),
        ("garbage_webm", None),
    ],
)
def test_sniff_media_type_reads_the_container_not_the_extension(test_media, media_name, expected_type):
    first_bytes = getattr(test_media, media_name).read_bytes()[:SNIFF_BYTES]
    assert sniff_media_type(first_bytes) == expected_type


def test_sniff_media_type_rejects_too_few_bytes():
    assert sniff_media_type(b"RIFF") is None
    assert sniff_media_type(b"") is None


def test_probe_reports_tracks_and_duration(test_media):
    face = probe_media(test_media.face_video_mp4)
    speech = probe_media(test_media.english_relevant_wav)
    assert face.has_video and face.has_audio
    assert (face.video_width, face.video_height) == (512, 512)
    assert not speech.has_video and speech.has_audio
    assert face.duration_seconds == pytest.approx(speech.duration_seconds, abs=0.2)


@pytest.mark.parametrize("media_name", ["english_relevant_wav", "face_video_mp4", "faceless_video_webm", "speech_m4a"])
def test_audio_decodes_to_16khz_mono_float(test_media, media_name):
    media_path = getattr(test_media, media_name)
    audio = decode_speech_audio(media_path)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert len(audio) / SPEECH_SAMPLE_RATE == pytest.approx(probe_media(media_path).duration_seconds, abs=0.2)
    assert 0.3 < float(np.abs(audio).max()) <= 1.0


def test_video_frames_are_sampled_by_time(test_media):
    duration = probe_media(test_media.face_video_mp4).duration_seconds
    frames = list(iter_video_frames(test_media.face_video_mp4, sample_fps=10, max_width=256))
    timestamps = np.array([frame.timestamp_seconds for frame in frames])
    assert len(frames) == pytest.approx(duration * 10, abs=2)
    assert np.all(np.diff(timestamps) > 0)
    assert frames[0].rgb.shape == (256, 256, 3)
    assert frames[0].rgb.dtype == np.uint8


def test_garbage_file_raises_a_readable_reason(test_media):
    with pytest.raises(MediaDecodeError) as raised:
        decode_speech_audio(test_media.garbage_webm)
    assert "corrupt or not a supported audio/video format" in raised.value.reason


def test_truncated_recording_raises_media_decode_error(test_media):
    with pytest.raises(MediaDecodeError) as raised:
        probe_media(test_media.truncated_mp4)
    assert "corrupt" in raised.value.reason


def test_empty_file_is_named_as_empty(tmp_path):
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    with pytest.raises(MediaDecodeError, match="empty"):
        probe_media(empty)


def test_audio_only_file_has_no_frames_to_analyse(test_media):
    with pytest.raises(MediaDecodeError, match="no video track"):
        list(iter_video_frames(test_media.speech_m4a, sample_fps=5))


def test_missing_file_is_not_a_decode_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        probe_media(tmp_path / "missing.mp4")


def test_display_rotation_turns_phone_video_upright():
    landscape = np.zeros((2, 4, 3), dtype=np.uint8)
    landscape[0, 0] = 255
    frame = SimpleNamespace(width=4, height=2, rotation=-90, to_ndarray=lambda **_: landscape)
    upright = frame_to_rgb(frame, max_width=None)
    assert upright.shape == (4, 2, 3)
    assert upright[0, 1].tolist() == [255, 255, 255]
