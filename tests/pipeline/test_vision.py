"""MediaPipe face and pose measures on a real face video and a faceless one."""

from __future__ import annotations

import dataclasses

import pytest

from workers.pipeline.media import probe_media
from workers.pipeline.vision import (
    HEAD_POSE_STD_CEILING_DEGREES,
    FaceFrameMeasures,
    VisionNotPermitted,
    analyse_video,
    summarise_vision,
)


@pytest.fixture(scope="module")
def face_video_features(test_media, pipeline_config):
    return analyse_video(test_media.face_video_mp4, pipeline_config, biometric_consent=True)


@pytest.fixture(scope="module")
def faceless_video_features(test_media, pipeline_config):
    return analyse_video(test_media.faceless_video_webm, pipeline_config, biometric_consent=True)


def test_vision_refuses_without_consent(test_media, pipeline_config):
    with pytest.raises(VisionNotPermitted, match="consent"):
        analyse_video(test_media.face_video_mp4, pipeline_config, biometric_consent=False)


def test_vision_refuses_when_disabled(test_media, pipeline_config):
    disabled = dataclasses.replace(pipeline_config, vision_enabled=False)
    with pytest.raises(VisionNotPermitted, match="disabled"):
        analyse_video(test_media.face_video_mp4, disabled, biometric_consent=True)


def expected_frames(media_path, config) -> int:
    """Frames sampled from the whole clip at the configured rate (a few lost at the edges)."""
    return int(probe_media(media_path).duration_seconds * config.vision_sample_fps * 0.9)


def test_face_video_has_a_face_in_almost_every_frame(face_video_features, pipeline_config, test_media):
    features = face_video_features
    assert features.frames_analysed >= expected_frames(test_media.face_video_mp4, pipeline_config)
    assert features.pose_frames <= features.frames_analysed / 2  # Pose samples less often than Face Mesh
    assert features.face_presence_share >= 0.9
    assert features.gaze_toward_camera_share is not None and features.gaze_toward_camera_share >= 0.8
    assert features.blink_rate_per_minute is not None
    assert features.frown_events is not None
    assert 0.0 <= features.smile_share <= 1.0
    assert features.head_yaw_std_degrees < 5.0
    assert features.head_pose_stability > 0.5
    assert features.pose_frames > 0
    assert features.posture_stability is not None and 0.0 <= features.posture_stability <= 1.0


def test_faceless_video_has_no_face_and_no_guessed_measures(faceless_video_features, pipeline_config, test_media):
    features = faceless_video_features
    assert features.frames_analysed >= expected_frames(test_media.faceless_video_webm, pipeline_config)
    assert features.face_presence_share <= 0.1
    assert features.face_frames == 0
    assert features.gaze_toward_camera_share is None
    assert features.blink_rate_per_minute is None
    assert features.smile_share is None
    assert features.head_pose_stability is None


def _face(eye_aspect_ratio=0.3, brow_gap=0.4, smiling=False, yaw=0.0, pitch=0.0, gaze=True):
    return FaceFrameMeasures(gaze, eye_aspect_ratio, brow_gap, smiling, yaw, pitch)


def test_blinks_and_frowns_are_counted_as_runs_of_frames():
    open_eyes = [_face() for _ in range(100)]
    frames = list(open_eyes)
    for start in (10, 40, 70):
        frames[start] = _face(eye_aspect_ratio=0.1)
    for index in (20, 21, 22, 50):
        frames[index] = _face(brow_gap=0.3)
    features = summarise_vision(100, frames, [], frame_interval_seconds=0.1)
    assert features.blink_rate_per_minute == pytest.approx(3 / (10 / 60))
    assert features.frown_events == 1
    assert features.face_presence_share == 1.0
    assert features.posture_stability is None and features.gesture_activity is None


def test_head_pose_spread_lowers_stability():
    steady = summarise_vision(4, [_face(yaw=0.0), _face(yaw=1.0)] * 2, [], frame_interval_seconds=0.1)
    turning = summarise_vision(4, [_face(yaw=-15.0), _face(yaw=15.0)] * 2, [], frame_interval_seconds=0.1)
    assert steady.head_pose_stability > turning.head_pose_stability
    assert turning.head_yaw_std_degrees == pytest.approx(15.0)
    assert turning.head_pose_stability == pytest.approx(1 - (15.0 + 0.0) / 2 / HEAD_POSE_STD_CEILING_DEGREES)
