"""Decoding of uploaded answers (webm, mp4, m4a, wav) with PyAV.

PyAV bundles its own FFmpeg, so no system ffmpeg is needed. Every FFmpeg
failure is turned into ``MediaDecodeError`` with a reason a recruiter can read,
so the worker can mark the answer as unusable instead of retrying forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from faster_whisper.audio import decode_audio

SPEECH_SAMPLE_RATE = 16_000


class MediaDecodeError(Exception):
    """The file is not a readable audio/video answer; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaInfo:
    container_format: str
    duration_seconds: float
    has_audio: bool
    has_video: bool
    video_fps: float | None
    video_width: int | None
    video_height: int | None


@dataclass(frozen=True)
class SampledFrame:
    timestamp_seconds: float
    rgb: np.ndarray


def _open_container(media_path: Path) -> av.container.InputContainer:
    path = Path(media_path)
    if not path.is_file():
        raise FileNotFoundError(path)
    if path.stat().st_size == 0:
        raise MediaDecodeError("the file is empty")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as error:
        raise MediaDecodeError(
            f"the file is corrupt or not a supported audio/video format ({error.strerror or error})"
        ) from error


def probe_media(media_path: Path) -> MediaInfo:
    """Container facts without decoding the streams."""
    with _open_container(media_path) as container:
        audio_streams = container.streams.audio
        video_streams = container.streams.video
        if not audio_streams and not video_streams:
            raise MediaDecodeError("the file contains neither an audio nor a video track")
        video = video_streams[0] if video_streams else None
        duration_seconds = _container_duration_seconds(container)
        return MediaInfo(
            container_format=container.format.name,
            duration_seconds=duration_seconds,
            has_audio=bool(audio_streams),
            has_video=video is not None,
            video_fps=float(video.average_rate) if video is not None and video.average_rate else None,
            video_width=video.codec_context.width if video is not None else None,
            video_height=video.codec_context.height if video is not None else None,
        )


def _container_duration_seconds(container: av.container.InputContainer) -> float:
    if container.duration is not None:
        return container.duration / av.time_base
    durations = [
        float(stream.duration * stream.time_base)
        for stream in container.streams
        if stream.duration is not None and stream.time_base is not None
    ]
    return max(durations, default=0.0)


def decode_speech_audio(media_path: Path) -> np.ndarray:
    """The first audio track as 16 kHz mono float32 in [-1, 1], the input
    Whisper and the voice-activity detector expect."""
    info = probe_media(media_path)
    if not info.has_audio:
        raise MediaDecodeError("the file has no audio track")
    try:
        return decode_audio(str(media_path), sampling_rate=SPEECH_SAMPLE_RATE)
    except av.error.FFmpegError as error:
        raise MediaDecodeError(f"the audio track could not be decoded ({error.strerror or error})") from error


def iter_video_frames(media_path: Path, sample_fps: float, max_width: int | None = None) -> Iterator[SampledFrame]:
    """RGB frames of the first video track, about ``sample_fps`` per second.

    Frames are picked on a fixed time grid, not by index, so variable-frame-rate
    browser recordings (webm from MediaRecorder) are sampled evenly and a
    15 fps source sampled at 10 fps gives 10 frames a second, not 7.5. Frames
    wider than ``max_width`` are scaled down, which keeps landmark models fast
    without losing a face that fills a webcam picture.
    """
    if sample_fps <= 0:
        raise ValueError("sample_fps must be positive")
    sample_interval = 1.0 / sample_fps
    with _open_container(media_path) as container:
        if not container.streams.video:
            raise MediaDecodeError("the file has no video track")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        next_timestamp = 0.0
        try:
            for frame in container.decode(stream):
                if frame.time is None or frame.time + 1e-6 < next_timestamp:
                    continue
                while next_timestamp <= frame.time + 1e-6:
                    next_timestamp += sample_interval
                yield SampledFrame(timestamp_seconds=frame.time, rgb=frame_to_rgb(frame, max_width))
        except av.error.FFmpegError as error:
            raise MediaDecodeError(
                f"the video track could not be decoded after {next_timestamp:.1f} s ({error.strerror or error})"
            ) from error


def frame_to_rgb(frame: av.VideoFrame, max_width: int | None) -> np.ndarray:
    """RGB pixels, scaled down to ``max_width`` and turned upright: phones
    record portrait video as landscape frames plus a display rotation, and a
    face lying on its side is not found by the landmark models."""
    if max_width is not None and frame.width > max_width:
        height = round(frame.height * max_width / frame.width / 2) * 2
        rgb = frame.to_ndarray(format="rgb24", width=max_width, height=height)
    else:
        rgb = frame.to_ndarray(format="rgb24")
    quarter_turns = round((frame.rotation or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=quarter_turns)) if quarter_turns else rgb
