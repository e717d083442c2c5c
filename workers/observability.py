"""Dramatiq middleware that carries a trace from the gateway into a job, and names the job in log lines.

``TracePropagation`` (only added when tracing is on, ``gateway.tracing``): when a message is enqueued, the
sender's W3C trace context (``traceparent``) is written into the message's options; when a worker
processes it, a ``CONSUMER`` span named after the actor runs as that context's child, ends with the job
(an exception is recorded on it and marks it failed), and is the parent of the job's SQL spans. A retry
keeps the context of the first send, so every attempt hangs under the request that queued the job.

``JobLogContext`` (JSON logs): the message id and actor name become the ``request_id`` and ``operation``
of everything the job logs.
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from gateway import log_format

TRACE_CONTEXT_OPTION = "trace_context"


class TracePropagation(Middleware):
    def __init__(self) -> None:
        from opentelemetry import trace

        self.tracer = trace.get_tracer("hrgate.jobs")
        self._running = threading.local()

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        if TRACE_CONTEXT_OPTION in message.options:
            return  # a retry: keeps the context of the first send
        from opentelemetry.propagate import inject

        carrier: dict[str, str] = {}
        inject(carrier)
        if carrier:
            message.options[TRACE_CONTEXT_OPTION] = carrier

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        from opentelemetry import context, trace
        from opentelemetry.propagate import extract

        parent = extract(message.options.get(TRACE_CONTEXT_OPTION) or {})
        span = self.tracer.start_span(
            f"{message.actor_name} process",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "dramatiq",
                "messaging.operation": "process",
                "messaging.destination.name": message.queue_name,
                "messaging.message.id": message.message_id,
                "messaging.dramatiq.retries": message.options.get("retries", 0),
            },
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        self._stack().append((message.message_id, span, token))

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: Any = None, exception: Any = None
    ) -> None:
        from opentelemetry import context, trace

        stack = self._stack()
        if not stack or stack[-1][0] != message.message_id:
            return
        _, span, token = stack.pop()
        if exception is not None:
            span.record_exception(exception)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exception).__name__))
        span.end()
        context.detach(token)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self.after_process_message(broker, message)

    def _stack(self) -> list:
        stack = getattr(self._running, "stack", None)
        if stack is None:
            stack = self._running.stack = []
        return stack


class JobLogContext(Middleware):
    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        log_format.request_id.set(message.message_id)
        log_format.operation.set(message.actor_name)

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: Any = None, exception: Any = None
    ) -> None:
        log_format.request_id.set(None)
        log_format.operation.set(None)

    after_skip_message = after_process_message


def add_trace_propagation(broker: dramatiq.Broker) -> None:
    """Once per broker (the gateway may build several apps over one broker)."""
    if not any(isinstance(middleware, TracePropagation) for middleware in broker.middleware):
        broker.add_middleware(TracePropagation())


def add_job_log_context(broker: dramatiq.Broker) -> None:
    if not any(isinstance(middleware, JobLogContext) for middleware in broker.middleware):
        broker.add_middleware(JobLogContext())
