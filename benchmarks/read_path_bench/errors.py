"""The benchmark's one error type, so the entry point can stop with a message instead of a stack trace."""

from __future__ import annotations


class BenchmarkError(Exception):
    """A precondition failed or the two systems disagree: the message says which."""
