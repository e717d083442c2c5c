"""Sending background jobs by actor name, so domain code need not import the workers.

Call ``send`` after the commit (``UnitOfWork.after_commit``, or ``resolvers.services.outbox.send_after_commit``
where a service has only its session): a job sent before the commit could run before its rows exist.
"""

from __future__ import annotations

import logging

import dramatiq

logger = logging.getLogger(__name__)


def send(actor_name: str, *args: int | str, delay_ms: int | None = None) -> None:
    """Enqueue one message (ids only, never payloads) for an actor declared on the process's broker;
    ``delay_ms``: not to run before that many milliseconds from now."""
    actor = dramatiq.get_broker().get_actor(actor_name)
    if delay_ms is None:
        actor.send(*args)
    else:
        actor.send_with_options(args=args, delay=max(0, delay_ms))


def send_or_defer(actor_name: str, *args: int | str, deferred_to: str) -> bool:
    """``send``, for a job whose rows a sweep finds again: a broker that cannot take the message (down,
    restarting, unreachable) is logged and the caller's committed change stands; ``deferred_to`` names the
    sweep that sends the job later. True when the message was sent.

    After a commit there are only two honest answers, and an error is not one of them: the change is durable,
    so the request succeeded; the job is late, not lost."""
    try:
        send(actor_name, *args)
    except Exception as error:  # noqa: BLE001 - any broker failure; the sweep is the remedy for all of them
        logger.error(
            "could not enqueue %s%r (%s: %s); %s will send it again",
            actor_name,
            args,
            type(error).__name__,
            error,
            deferred_to,
        )
        return False
    return True
