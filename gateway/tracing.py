"""Optional OpenTelemetry traces: off unless an OTLP endpoint is set, and then nothing is imported or wrapped.

With ``HRGATE_OTEL_ENDPOINT`` (or the standard ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_ENDPOINT``) set and the ``otel`` extra installed, a process exports its spans over
OTLP/HTTP in batches: the gateway one span per HTTP request and websocket (OpenTelemetry's ASGI
middleware), one per GraphQL operation with its resolvers (strawberry's ``OpenTelemetryExtension``), one
per SQL statement (SQLAlchemy events on each engine ``gateway.db`` builds); a worker one per
Dramatiq job (``workers.tracing``), a child of the gateway span that sent it: the W3C trace context travels
in the message's options. Everything else (sampling, resource attributes) follows the standard ``OTEL_*``
variables, read by the SDK itself.

The OpenTelemetry packages are pinned at 1.27.0 / 0.48b0: their OTLP exporter is the last one that accepts
protobuf 4, which MediaPipe needs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp

_enabled = False


def otlp_endpoint(settings: Settings) -> str:
    return (
        settings.otel_endpoint
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    )


def tracing_enabled() -> bool:
    return _enabled


def tracing_configured_from(settings: Settings, *, service_suffix: str = "") -> bool:
    """Installs the OTLP exporter once per process when an endpoint is set; True when tracing is on
    (also when a provider was installed by ``install_tracer_provider``)."""
    if _enabled:
        return True
    endpoint = otlp_endpoint(settings)
    if not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = settings.otel_service_name
    if service == "hrgate" and service_suffix:
        service += service_suffix
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    # The SDK appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT itself; hrgate's setting is the base URL too.
    traces_url = endpoint if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == endpoint else _traces(endpoint)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url)))
    install_tracer_provider(provider)
    return True


def _traces(base_url: str) -> str:
    return base_url if base_url.rstrip("/").endswith("/v1/traces") else base_url.rstrip("/") + "/v1/traces"


def install_tracer_provider(provider: TracerProvider) -> None:
    """Makes ``provider`` the process's tracer provider and turns the instrumentation on (tests pass one with
    an ``InMemorySpanExporter``). The global provider can be set once per process; the instrumentation here
    always asks for the global one."""
    global _enabled
    from opentelemetry import trace

    trace.set_tracer_provider(provider)
    _enabled = True


def disable_tracing(schema: Any) -> None:
    """Stops instrumenting what is built from now on and takes the GraphQL extension off ``schema`` (tests)."""
    global _enabled
    _enabled = False
    from strawberry.extensions.tracing import OpenTelemetryExtension

    schema.extensions = [extension for extension in schema.extensions if extension is not OpenTelemetryExtension]


def traced_asgi(app: ASGIApp) -> ASGIApp:
    """OpenTelemetry's ASGI middleware (a server span per request; probes and scrapes are left out)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.util.http import ExcludeList

    return OpenTelemetryMiddleware(app, excluded_urls=ExcludeList(["/healthz$", "/readyz$", "/metrics$"]))


def trace_graphql(schema: Any) -> None:
    """Adds strawberry's extension to the schema (once): a span per operation, its parsing, validation and
    resolvers. The schema is process-wide, like the tracer provider."""
    from strawberry.extensions.tracing import OpenTelemetryExtension

    if OpenTelemetryExtension not in schema.extensions:
        schema.extensions = [*schema.extensions, OpenTelemetryExtension]


def trace_engine(engine: AsyncEngine) -> Callable[[], None]:
    """A ``CLIENT`` span per SQL statement of ``engine``: its text (never its parameters), the database system
    and name, an error recorded on it. SQLAlchemy's own events, so no monkey-patching: OpenTelemetry's
    SQLAlchemy instrumentation of this release line imports ``pkg_resources``, which setuptools 81+ removed."""
    from opentelemetry import trace
    from sqlalchemy import event

    tracer = trace.get_tracer("hrgate.db")
    sync_engine = engine.sync_engine
    attributes = {"db.system": sync_engine.dialect.name, "db.name": sync_engine.url.database or ""}

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(connection, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        name = statement.split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            name, kind=trace.SpanKind.CLIENT, attributes={**attributes, "db.statement": statement[:STATEMENT_MAX_CHARS]}
        )
        if context is not None:
            context._hrgate_span = span
        else:
            span.end()

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _end(connection, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        span = getattr(context, "_hrgate_span", None)
        if span is not None:
            span.end()
            context._hrgate_span = None

    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context) -> None:  # noqa: ANN001
        context = exception_context.execution_context
        span = getattr(context, "_hrgate_span", None)
        if span is not None:
            span.record_exception(exception_context.original_exception)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exception_context.original_exception).__name__))
            span.end()
            context._hrgate_span = None

    def untrace() -> None:
        """Removes these listeners (tests)."""
        for name, listener in (
            ("before_cursor_execute", _start),
            ("after_cursor_execute", _end),
            ("handle_error", _failed),
        ):
            event.remove(sync_engine, name, listener)

    return untrace


STATEMENT_MAX_CHARS = 2000
