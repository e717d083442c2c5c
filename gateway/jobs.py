"""Sending background jobs by actor name, so domain code need not import the workers.

Call ``send`` after the commit (``UnitOfWork.after_commit``, or ``resolvers.services.outbox.send_after_commit``
where a service has only its session): a job sent before the commit could run before its rows exist.
"""

from __future__ import annotations

import dramatiq


def send(actor_name: str, *args: int | str, delay_ms: int | None = None) -> None:
    """Enqueue one message (ids only, never payloads) for an actor declared on the process's broker;
    ``delay_ms``: not to run before that many milliseconds from now."""
    actor = dramatiq.get_broker().get_actor(actor_name)
    if delay_ms is None:
        actor.send(*args)
    else:
        actor.send_with_options(args=args, delay=max(0, delay_ms))
