"""What an uploaded file really is, from its first bytes (never from its name or declared type)."""

from __future__ import annotations

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
