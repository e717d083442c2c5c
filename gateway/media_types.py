"""What an uploaded file really is: its first bytes, then the decoder (never its name or declared type)."""

from __future__ import annotations

from pathlib import Path

SNIFF_BYTES = 16

EXTENSIONS = {"video/webm": "webm", "video/mp4": "mp4", "audio/mp4": "m4a", "audio/wav": "wav"}
"""The answer recordings hrgate accepts, with the extension they are stored under."""


def sniff_media_type(first_bytes: bytes) -> str | None:
    """Media type from the container's magic bytes (needs the first 12 bytes), or None if not accepted.

    WebM/Matroska (EBML header), WAV (RIFF…WAVE), and ISO-BMFF (``ftyp`` box): MP4, or
    M4A when the major brand is an audio brand.
    """
    if first_bytes.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if first_bytes[:4] == b"RIFF" and first_bytes[8:12] == b"WAVE":
        return "audio/wav"
    if first_bytes[4:8] == b"ftyp":
        major_brand = first_bytes[8:12]
        return "audio/mp4" if major_brand in (b"M4A ", b"M4B ", b"M4P ") else "video/mp4"
    return None


CONTAINER_FORMATS = {
    "video/webm": {"matroska", "webm"},
    "video/mp4": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    "audio/mp4": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    "audio/wav": {"wav"},
}
"""FFmpeg demuxer names (``container.format.name`` splits on commas) each sniffed type may be opened as."""


def probe_container(path: Path, content_type: str) -> bool:
    """True when FFmpeg opens ``path`` as the container its magic bytes claim, with an audio or video stream.

    Magic bytes alone accept ``RIFF....WAVE`` followed by an HTML page; the demuxer reads the headers
    behind them. Blocking (run it in a worker thread); PyAV is imported here, on the first upload only.
    """
    import av

    try:
        with av.open(str(path), mode="r") as container:
            demuxers = set(container.format.name.split(","))
            has_media = any(stream.type in ("audio", "video") for stream in container.streams)
            return has_media and bool(demuxers & CONTAINER_FORMATS[content_type])
    except (av.FFmpegError, OSError, ValueError, KeyError, UnicodeDecodeError):
        return False
