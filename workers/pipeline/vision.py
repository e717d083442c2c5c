"""Non-verbal features from the answer video (MediaPipe Face Mesh and Pose).

Runs only with the candidate's biometric consent and with vision enabled:
face geometry is biometric data. Only aggregate measures leave this module;
no frame or landmark is kept.

Each video gets fresh Face Mesh and Pose graphs. Both track landmarks from
frame to frame, so a graph reused across videos would seed one candidate's
first frames with the previous candidate's face; building them costs about
10 ms, and their model files are read from the mediapipe wheel (only
``Pose(model_complexity=1)`` ships its model; 0 and 2 try to download).

Measures, over the sampled frames:

- face presence share: frames with a detected face / frames analysed.
- gaze toward camera share: of the face frames, those where both irises sit
  near the middle of their eyes (iris centre projected on the corner-to-corner
  axis within ``GAZE_CENTRE_TOLERANCE`` of 0.5, and between the lids within
  ``GAZE_VERTICAL_TOLERANCE`` of 0.5) and the head is turned less than
  ``GAZE_MAX_HEAD_YAW_DEGREES``.
- blink rate: closures per minute of face time; a closure is a run of frames
  whose eye aspect ratio (Soukupova & Cech 2016: lid distances over eye width,
  mean of both eyes) is below ``BLINK_EYE_ASPECT_RATIO``.
- frown events: runs of at least ``FROWN_MIN_FRAMES`` frames where the gap
  between the inner brow ends, over the eye-corner distance, is
  ``FROWN_NARROWING`` below that person's own median (brows drawn together);
  relative to the person so that face shape does not count as frowning.
- smile share: face frames where the mouth corners are raised above the lip
  centre by at least ``SMILE_CORNER_LIFT`` eye-corner distances, measured
  with the eye line levelled so a tilted head does not read as a smile.
- head pose stability: yaw and pitch are estimated from landmark depth
  (left-right eye corners for yaw, forehead-chin for pitch); stability is
  1 - mean(yaw std, pitch std) / ``HEAD_POSE_STD_CEILING_DEGREES``, floored
  at 0.
- posture stability: shoulder sway is the spread (root of summed variances)
  of the shoulder midpoint in shoulder widths; stability is
  1 - sway / ``SHOULDER_SWAY_CEILING``, floored at 0.
- gesture activity: mean wrist speed, in shoulder widths per second, between
  consecutive Pose samples (``pose_sample_fps``) where a wrist is visible; ``None`` when hands are out of
  the picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workers.pipeline.config import PipelineConfig
from workers.pipeline.media import iter_video_frames
from workers.pipeline.types import VisionFeatures

GAZE_CENTRE_TOLERANCE = 0.12
GAZE_VERTICAL_TOLERANCE = 0.3
GAZE_MAX_HEAD_YAW_DEGREES = 20.0
BLINK_EYE_ASPECT_RATIO = 0.2
FROWN_NARROWING = 0.08
FROWN_MIN_FRAMES = 2
SMILE_CORNER_LIFT = 0.04
HEAD_POSE_STD_CEILING_DEGREES = 10.0
SHOULDER_SWAY_CEILING = 0.15
POSE_MIN_VISIBILITY = 0.5

RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (362, 263)
RIGHT_EYE_LIDS = (159, 145)
LEFT_EYE_LIDS = (386, 374)
RIGHT_IRIS_CENTRE = 468
LEFT_IRIS_CENTRE = 473
RIGHT_EYE_ASPECT_POINTS = (33, 160, 158, 133, 153, 144)
LEFT_EYE_ASPECT_POINTS = (362, 385, 387, 263, 373, 380)
INNER_BROWS = (55, 285)
OUTER_EYE_CORNERS = (33, 263)
MOUTH_CORNERS = (61, 291)
LIP_CENTRE = (13, 14)
FOREHEAD, CHIN = 10, 152
SHOULDERS = (11, 12)
WRISTS = (15, 16)


class VisionNotPermitted(PermissionError):
    """Vision analysis was requested without consent or with vision disabled."""


@dataclass(frozen=True)
class FaceFrameMeasures:
    gaze_toward_camera: bool
    eye_aspect_ratio: float
    brow_gap: float
    smiling: bool
    yaw_degrees: float
    pitch_degrees: float


@dataclass(frozen=True)
class PoseFrameMeasures:
    timestamp_seconds: float
    shoulder_midpoint: np.ndarray | None
    shoulder_width: float | None
    wrists: tuple[np.ndarray | None, np.ndarray | None]


def analyse_video(media_path: Path, config: PipelineConfig, *, biometric_consent: bool) -> VisionFeatures:
    """Non-verbal features of the first video track of ``media_path``."""
    if not biometric_consent:
        raise VisionNotPermitted("vision analysis needs the candidate's biometric consent")
    if not config.vision_enabled:
        raise VisionNotPermitted("vision analysis is disabled in the pipeline configuration")
    from mediapipe.python.solutions.face_mesh import FaceMesh
    from mediapipe.python.solutions.pose import Pose

    face_measures: list[FaceFrameMeasures] = []
    pose_measures: list[PoseFrameMeasures] = []
    timestamps: list[float] = []
    pose_interval = 1.0 / config.pose_sample_fps
    next_pose_at = 0.0
    with FaceMesh(max_num_faces=1, refine_landmarks=True) as face_mesh, Pose(model_complexity=1) as pose:
        for frame in iter_video_frames(media_path, config.vision_sample_fps, config.vision_max_frame_width):
            timestamps.append(frame.timestamp_seconds)
            height, width = frame.rgb.shape[:2]
            face_result = face_mesh.process(frame.rgb)
            if face_result.multi_face_landmarks:
                face_measures.append(measure_face(_face_points(face_result.multi_face_landmarks[0], width, height)))
            if frame.timestamp_seconds + 1e-6 < next_pose_at:
                continue  # posture and gestures change slowly: Pose (7x the cost of Face Mesh) runs less often
            next_pose_at = frame.timestamp_seconds + pose_interval
            pose_result = pose.process(frame.rgb)
            if pose_result.pose_landmarks:
                pose_measures.append(measure_pose(frame.timestamp_seconds, pose_result.pose_landmarks, width, height))
    frame_interval = (
        (timestamps[-1] - timestamps[0]) / (len(timestamps) - 1)
        if len(timestamps) > 1
        else 1.0 / config.vision_sample_fps
    )
    return summarise_vision(len(timestamps), face_measures, pose_measures, frame_interval)


def _face_points(landmarks, width: int, height: int) -> np.ndarray:
    """Landmarks in pixels; MediaPipe's depth uses the same scale as x."""
    return np.array([(point.x * width, point.y * height, point.z * width) for point in landmarks.landmark])


def measure_face(points: np.ndarray) -> FaceFrameMeasures:
    """Per-frame face geometry from 478 Face Mesh landmarks (pixels)."""
    eye_distance = _distance(points, *OUTER_EYE_CORNERS)
    yaw, pitch = _head_yaw_pitch_degrees(points)
    horizontal = [
        _projection_ratio(points[RIGHT_IRIS_CENTRE], points[RIGHT_EYE_CORNERS[0]], points[RIGHT_EYE_CORNERS[1]]),
        _projection_ratio(points[LEFT_IRIS_CENTRE], points[LEFT_EYE_CORNERS[0]], points[LEFT_EYE_CORNERS[1]]),
    ]
    vertical = [
        _projection_ratio(points[RIGHT_IRIS_CENTRE], points[RIGHT_EYE_LIDS[0]], points[RIGHT_EYE_LIDS[1]]),
        _projection_ratio(points[LEFT_IRIS_CENTRE], points[LEFT_EYE_LIDS[0]], points[LEFT_EYE_LIDS[1]]),
    ]
    gaze_toward_camera = (
        abs(float(np.mean(horizontal)) - 0.5) <= GAZE_CENTRE_TOLERANCE
        and abs(float(np.mean(vertical)) - 0.5) <= GAZE_VERTICAL_TOLERANCE
        and abs(yaw) <= GAZE_MAX_HEAD_YAW_DEGREES
    )
    return FaceFrameMeasures(
        gaze_toward_camera=gaze_toward_camera,
        eye_aspect_ratio=(
            _eye_aspect_ratio(points, RIGHT_EYE_ASPECT_POINTS) + _eye_aspect_ratio(points, LEFT_EYE_ASPECT_POINTS)
        )
        / 2,
        brow_gap=_distance(points, *INNER_BROWS) / eye_distance,
        smiling=_mouth_corner_lift(points) / eye_distance >= SMILE_CORNER_LIFT,
        yaw_degrees=yaw,
        pitch_degrees=pitch,
    )


def _distance(points: np.ndarray, first: int, second: int) -> float:
    return float(np.linalg.norm(points[first, :2] - points[second, :2]))


def _projection_ratio(point: np.ndarray, start: np.ndarray, end: np.ndarray) -> float:
    """Where ``point`` falls along start→end (0 at start, 1 at end), in 2-D."""
    axis = end[:2] - start[:2]
    return float(np.dot(point[:2] - start[:2], axis) / max(np.dot(axis, axis), 1e-9))


def _eye_aspect_ratio(points: np.ndarray, indices: tuple[int, ...]) -> float:
    corner_a, upper_a, upper_b, corner_b, lower_b, lower_a = indices
    lid_distances = _distance(points, upper_a, lower_a) + _distance(points, upper_b, lower_b)
    return lid_distances / (2 * max(_distance(points, corner_a, corner_b), 1e-9))


def _head_yaw_pitch_degrees(points: np.ndarray) -> tuple[float, float]:
    right_eye, left_eye = points[OUTER_EYE_CORNERS[0]], points[OUTER_EYE_CORNERS[1]]
    yaw = math.degrees(math.atan2(left_eye[2] - right_eye[2], left_eye[0] - right_eye[0]))
    forehead, chin = points[FOREHEAD], points[CHIN]
    pitch = math.degrees(math.atan2(chin[2] - forehead[2], chin[1] - forehead[1]))
    return yaw, pitch


def _mouth_corner_lift(points: np.ndarray) -> float:
    """How far the mouth corners sit above the lip centre, eye line levelled."""
    right_eye, left_eye = points[OUTER_EYE_CORNERS[0], :2], points[OUTER_EYE_CORNERS[1], :2]
    roll = math.atan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
    levelling = np.array([[math.cos(-roll), -math.sin(-roll)], [math.sin(-roll), math.cos(-roll)]])
    corners = points[list(MOUTH_CORNERS), :2] @ levelling.T
    lip_centre = points[list(LIP_CENTRE), :2].mean(axis=0) @ levelling.T
    return float(lip_centre[1] - corners[:, 1].mean())


def measure_pose(timestamp_seconds: float, landmarks, width: int, height: int) -> PoseFrameMeasures:
    """Shoulders and wrists (pixels) where Pose sees them clearly enough."""

    def visible_point(index: int) -> np.ndarray | None:
        landmark = landmarks.landmark[index]
        if landmark.visibility < POSE_MIN_VISIBILITY:
            return None
        return np.array([landmark.x * width, landmark.y * height])

    shoulders = [visible_point(index) for index in SHOULDERS]
    if shoulders[0] is None or shoulders[1] is None:
        midpoint, shoulder_width = None, None
    else:
        midpoint = (shoulders[0] + shoulders[1]) / 2
        shoulder_width = float(np.linalg.norm(shoulders[0] - shoulders[1]))
    return PoseFrameMeasures(
        timestamp_seconds, midpoint, shoulder_width, (visible_point(WRISTS[0]), visible_point(WRISTS[1]))
    )


def summarise_vision(
    frames_analysed: int,
    face_measures: list[FaceFrameMeasures],
    pose_measures: list[PoseFrameMeasures],
    frame_interval_seconds: float,
) -> VisionFeatures:
    """Aggregate per-frame measures; ``frame_interval_seconds`` is the real
    spacing of the analysed frames (a 5 fps source sampled at 10 fps is 0.2 s)."""
    face_frames = len(face_measures)
    face_minutes = face_frames * frame_interval_seconds / 60
    has_face = face_frames > 0
    blinks = _count_runs([measure.eye_aspect_ratio < BLINK_EYE_ASPECT_RATIO for measure in face_measures], 1)
    frowns = None
    yaw_std = pitch_std = head_stability = None
    if has_face:
        brow_baseline = float(np.median([measure.brow_gap for measure in face_measures]))
        frowns = _count_runs(
            [measure.brow_gap < brow_baseline * (1 - FROWN_NARROWING) for measure in face_measures], FROWN_MIN_FRAMES
        )
        yaw_std = float(np.std([measure.yaw_degrees for measure in face_measures]))
        pitch_std = float(np.std([measure.pitch_degrees for measure in face_measures]))
        head_stability = max(0.0, 1.0 - (yaw_std + pitch_std) / 2 / HEAD_POSE_STD_CEILING_DEGREES)
    shoulder_sway = _shoulder_sway(pose_measures)
    return VisionFeatures(
        frames_analysed=frames_analysed,
        face_frames=face_frames,
        face_presence_share=face_frames / frames_analysed if frames_analysed else 0.0,
        gaze_toward_camera_share=_share(face_measures, lambda measure: measure.gaze_toward_camera),
        blink_rate_per_minute=blinks / face_minutes if has_face else None,
        frown_events=frowns,
        frown_rate_per_minute=frowns / face_minutes if has_face else None,
        smile_share=_share(face_measures, lambda measure: measure.smiling),
        head_yaw_std_degrees=yaw_std,
        head_pitch_std_degrees=pitch_std,
        head_pose_stability=head_stability,
        pose_frames=sum(1 for measure in pose_measures if measure.shoulder_midpoint is not None),
        shoulder_sway=shoulder_sway,
        posture_stability=max(0.0, 1.0 - shoulder_sway / SHOULDER_SWAY_CEILING) if shoulder_sway is not None else None,
        gesture_activity=_gesture_activity(pose_measures),
    )


def _share(measures: list[FaceFrameMeasures], predicate) -> float | None:
    if not measures:
        return None
    return sum(1 for measure in measures if predicate(measure)) / len(measures)


def _count_runs(flags: list[bool], min_length: int) -> int:
    """Runs of consecutive ``True`` at least ``min_length`` long."""
    runs = 0
    length = 0
    for flag in [*flags, False]:
        if flag:
            length += 1
            continue
        if length >= min_length:
            runs += 1
        length = 0
    return runs


def _shoulder_sway(pose_measures: list[PoseFrameMeasures]) -> float | None:
    tracked = [measure for measure in pose_measures if measure.shoulder_midpoint is not None]
    if len(tracked) < 2:
        return None
    midpoints = np.array([measure.shoulder_midpoint for measure in tracked])
    shoulder_width = float(np.median([measure.shoulder_width for measure in tracked]))
    return float(np.sqrt(midpoints.var(axis=0).sum())) / max(shoulder_width, 1e-9)


def _gesture_activity(pose_measures: list[PoseFrameMeasures]) -> float | None:
    speeds = []
    for previous, current in zip(pose_measures, pose_measures[1:], strict=False):
        elapsed = current.timestamp_seconds - previous.timestamp_seconds
        widths = [width for width in (previous.shoulder_width, current.shoulder_width) if width]
        if elapsed <= 0 or not widths:
            continue
        for before, after in zip(previous.wrists, current.wrists, strict=False):
            if before is not None and after is not None:
                speeds.append(float(np.linalg.norm(after - before)) / float(np.mean(widths)) / elapsed)
    return float(np.mean(speeds)) if speeds else None
