"""Sending background jobs by actor name, so domain code need not import the workers.

Call ``send`` from ``UnitOfWork.after_commit``: a job sent before the commit could
run before its rows exist.
"""

from __future__ import annotations

import dramatiq


def send(actor_name: str, *args: int | str) -> None:
    """Enqueue one message (ids only, never payloads) for an actor declared on the process's broker."""
    dramatiq.get_broker().get_actor(actor_name).send(*args)
