"""Small helpers shared by the feedback-loop tests."""

from __future__ import annotations

from typing import Any


def error_codes(result: Any) -> list[str | None]:
    """The ``extensions.code`` of each top-level error of an execution result."""
    return [(error.extensions or {}).get("code") for error in result.errors or []]
