"""Turning strawberry inputs into plain data for the services' validating drafts."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any


def input_data(value: Any) -> Any:
    """Recursively convert input objects to dicts (snake_case keys), keeping enum members."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: input_data(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, list):
        return [input_data(item) for item in value]
    if isinstance(value, Enum):
        return value
    return value
