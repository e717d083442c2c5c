"""Dramatiq actors. ``dramatiq workers.actors`` (or ``hrgate worker``) runs them in production."""

from __future__ import annotations

from workers.broker import broker

__all__ = ["broker"]
