"""Operable in production (issue 15, item 2): queue depth on ``/metrics`` from the in-process, Redis and
RabbitMQ brokers; JSON log lines with the request context, still redacted; OpenTelemetry spans for an HTTP
GraphQL request, its SQL and the job it queued, linked through the message."""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator

import dramatiq
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.log_format import JsonFormatter, RequestLogContext
from gateway.log_redaction import install_log_redaction
from gateway.queue_depth import QueueDepthCollector, rabbitmq_reader, redis_reader, stub_reader
from gateway.settings import get_settings
from tests.interview_helpers import SUBMIT, give_consent, invited_candidate, put_answer, wav_bytes
from tests.tokens import hr_admin_headers

REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _depth_samples(collector: QueueDepthCollector) -> dict[tuple[str, ...], float]:
    registry = CollectorRegistry()
    registry.register(collector)
    return {
        (sample.name, *(f"{key}={value}" for key, value in sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }


def _fill(broker: dramatiq.Broker, queue: str) -> None:
    """Three ready messages, one delayed (a retry in backoff), then one taken and refused: dead-lettered."""
    broker.declare_queue(queue)
    for number in range(3):
        broker.enqueue(
            dramatiq.Message(queue_name=queue, actor_name="obs_probe", args=(number,), kwargs={}, options={})
        )
    broker.enqueue(
        dramatiq.Message(queue_name=queue, actor_name="obs_probe", args=(9,), kwargs={}, options={}), delay=600_000
    )
    consumer = broker.consume(queue, prefetch=1, timeout=2000)
    message = next(message for message in consumer if message is not None)
    consumer.nack(message)
    consumer.close()


def _expect_depth(samples: dict, queue: str, *, ready: int, delayed: int, dead: int) -> None:
    assert samples[("hrgate_queue_messages", f"queue={queue}", "state=ready")] == ready, samples
    assert samples[("hrgate_queue_messages", f"queue={queue}", "state=delayed")] == delayed, samples
    assert samples[("hrgate_queue_messages", f"queue={queue}", "state=dead")] == dead, samples
    assert samples[("hrgate_queue_depth_up",)] == 1


def test_queue_depth_on_redis_counts_ready_delayed_and_dead_letters():
    from dramatiq.brokers.redis import RedisBroker

    namespace, queue = f"hrgate-obs-{uuid.uuid4().hex[:8]}", "scoring"
    broker = RedisBroker(url=REDIS_URL, namespace=namespace)
    try:
        _fill(broker, queue)
        collector = QueueDepthCollector(redis_reader(REDIS_URL, namespace, 0.5), broker.get_declared_queues)
        _expect_depth(_depth_samples(collector), queue, ready=2, delayed=1, dead=1)
    finally:
        keys = list(broker.client.scan_iter(f"{namespace}:*"))
        if keys:
            broker.client.delete(*keys)
        broker.close()


def test_queue_depth_on_rabbitmq_counts_ready_delayed_and_dead_letters():
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    queue = f"hrgate-obs-{uuid.uuid4().hex[:8]}"
    broker = RabbitmqBroker(url=AMQP_URL)
    try:
        _fill(broker, queue)
        collector = QueueDepthCollector(rabbitmq_reader(AMQP_URL, 2.0), broker.get_declared_queues)
        deadline = time.monotonic() + 10
        while True:  # RabbitMQ settles the nack's dead-lettering asynchronously
            samples = _depth_samples(collector)
            if (
                samples.get(("hrgate_queue_messages", f"queue={queue}", "state=dead")) == 1
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.1)
        _expect_depth(samples, queue, ready=2, delayed=1, dead=1)
    finally:
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            broker.channel.queue_delete(name)
        broker.close()


def test_an_unreachable_broker_answers_the_scrape_at_once_with_up_zero():
    collector = QueueDepthCollector(redis_reader("redis://127.0.0.1:1/0", "dramatiq", 0.3), lambda: ["scoring"])
    started = time.monotonic()
    samples = _depth_samples(collector)
    assert time.monotonic() - started < 3
    assert samples == {("hrgate_queue_depth_up",): 0}


async def test_the_gateway_metrics_show_the_embedded_queues():
    import httpx

    from workers.broker import broker

    app = create_app(get_settings(), embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        body = (await client.get("/metrics")).text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    expected = stub_reader(broker)(broker.get_declared_queues())
    scoring = next(depth for depth in expected if depth.queue == "scoring")
    assert samples[("hrgate_queue_messages", (("queue", "scoring"), ("state", "ready")))] == scoring.ready
    assert samples[("hrgate_queue_messages", (("queue", "scoring"), ("state", "dead")))] == scoring.dead
    assert samples[("hrgate_queue_depth_up", ())] == 1


# --- worker metrics (a real ``hrgate worker``) ----------------------------------------------------------


def _worker_samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    import httpx

    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(httpx.get(url, timeout=5).text)
        for sample in family.samples
    }


def _total(samples: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(
        value for (sample, sample_labels), value in samples.items() if sample == name and wanted <= set(sample_labels)
    )


async def test_a_worker_process_exports_scoring_stages_outcomes_and_json_logs(gql, http, tmp_path):
    import asyncio
    import os
    from pathlib import Path

    import httpx
    from dramatiq.brokers.redis import RedisBroker

    from tests import processes
    from tests.db_helpers import node_id

    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token, biometric=False)
    for question_id in invited.question_ids:
        assert (await put_answer(http, invited.token, question_id, wav_bytes())).status_code == 201
    assert (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]["errors"] == []
    interview_id = node_id(invited.interview_id)  # queued; the test's in-process broker has no worker
    answers = len(invited.question_ids)

    broker_url = f"{REDIS_URL.rsplit('/', 1)[0]}/11"
    port = processes.free_port()
    env = dict(os.environ)
    env.update(
        HRGATE_BROKER_URL=broker_url,
        HRGATE_WORKER_METRICS_PORT=str(port),
        HRGATE_WORKER_METRICS_DIR=str(tmp_path / "worker-metrics"),
        HRGATE_LOG_FORMAT="json",
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),  # this checkout's code in every process
    )
    sender = RedisBroker(url=broker_url)
    sender.declare_queue("scoring")

    def send() -> str:
        message = dramatiq.Message(
            queue_name="scoring", actor_name="score_interview", args=(interview_id,), kwargs={}, options={}
        )
        return sender.enqueue(message).message_id

    log = tmp_path / "worker.log"
    worker = processes.start([str(processes.BIN / "hrgate"), "worker", "--processes", "1", "--threads", "1"], env, log)
    metrics_url = f"http://127.0.0.1:{port}/metrics"
    try:
        send()

        async def until(predicate, timeout: float) -> dict:
            deadline = time.monotonic() + timeout
            while True:
                assert worker.poll() is None, log.read_text(errors="replace")
                try:
                    samples = await asyncio.to_thread(_worker_samples, metrics_url)
                    if predicate(samples):
                        return samples
                except httpx.TransportError:
                    pass  # the exposition server starts after the worker processes
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
                await asyncio.sleep(0.5)

        scored = await until(lambda samples: _total(samples, "hrgate_scoring_outcomes_total") >= 1, timeout=300)
        repeat_id = send()  # already scored: the job finds nothing to do, and says so in a log line
        done = await until(
            lambda samples: _total(samples, "dramatiq_messages_total", actor_name="score_interview") >= 2, timeout=60
        )
    finally:
        processes.stop(worker)
        keys = list(sender.client.scan_iter("dramatiq:*"))
        if keys:
            sender.client.delete(*keys)
        sender.close()

    outcomes = {
        outcome: _total(scored, "hrgate_scoring_outcomes_total", outcome=outcome)
        for outcome in ("scored", "insufficient_evidence", "failed")
    }
    assert outcomes["failed"] == 0 and outcomes["scored"] + outcomes["insufficient_evidence"] == 1, outcomes
    assert _total(scored, "hrgate_scoring_duration_seconds_count") == 1
    assert _total(scored, "hrgate_scoring_duration_seconds_sum") > 0
    stage = "hrgate_scoring_stage_duration_seconds_count"
    assert _total(scored, stage, stage="media") == answers
    assert _total(scored, stage, stage="speech") == answers
    assert _total(scored, stage, stage="fusion") == 1
    assert _total(scored, stage, stage="store") == answers + 1  # each answer's evidence, then the report
    assert _total(scored, stage, stage="vision") == 0  # no biometric consent
    assert _total(done, "dramatiq_message_errors_total", actor_name="score_interview") == 0
    assert _total(done, "dramatiq_message_duration_milliseconds_count", actor_name="score_interview") == 2

    lines = [json.loads(line) for line in log.read_text().splitlines()]  # Dramatiq's own lines too
    assert {"dramatiq.MainProcess", "dramatiq.WorkerProcess(0)", "dramatiq.ForkProcess(0)"} <= {
        line["logger"] for line in lines
    }
    (nothing_to_do,) = [line for line in lines if "is not queued for scoring" in line["message"]]
    assert nothing_to_do["logger"] == "workers.scoring" and nothing_to_do["level"] == "INFO"
    assert nothing_to_do["request_id"] == repeat_id and nothing_to_do["operation"] == "score_interview"


def test_a_second_worker_on_a_taken_metrics_port_logs_one_warning_and_goes_on(monkeypatch, caplog, tmp_path):
    import socket

    from workers import metrics_server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = get_settings().model_copy(update={"worker_metrics_host": "127.0.0.1", "worker_metrics_port": port})
        monkeypatch.setattr(metrics_server, "get_settings", lambda: settings)
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        with caplog.at_level(logging.WARNING, logger="workers.metrics_server"):
            assert metrics_server.serve_worker_metrics() == 0
    (warning,) = caplog.records
    assert warning.getMessage() == f"worker metrics not served: 127.0.0.1:{port}: Address already in use"


# --- JSON logs ----------------------------------------------------------------------------------------


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """A JSON handler on the loggers these tests write through (INFO and up)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    names = ("uvicorn.access", "strawberry.execution", "hrgate.graphql", "hrgate.obs-test")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_and_exception_redacted(json_lines):
    install_log_redaction()
    token = "inv0123456789abcdefTOKEN"
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "PUT", f"/interview/{token}/answers/3", "1.1", 201
    )
    try:
        raise RuntimeError(f"upload to /interview/{token}/answers/3 failed")
    except RuntimeError:
        logging.getLogger("hrgate.obs-test").exception("upload failed")
    access, failure = _parsed(json_lines)
    assert set(access) == {"time", "level", "logger", "message"}
    assert access["level"] == "INFO" and access["logger"] == "uvicorn.access"
    assert access["message"] == '10.0.0.7:5123 - "PUT /interview/[redacted]/answers/3 HTTP/1.1" 201'
    assert access["time"].endswith("+00:00") and "T" in access["time"]
    assert failure["level"] == "ERROR" and failure["message"] == "upload failed"
    assert failure["exception_type"] == "RuntimeError"
    assert "Traceback" in failure["exception"] and "/interview/[redacted]/answers/3" in failure["exception"]
    assert token not in json_lines.getvalue()


async def test_a_graphql_request_logs_its_request_id_and_operation(json_lines):
    import httpx

    settings = get_settings().model_copy(update={"log_format": "json"})
    app = create_app(settings, embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        response = await client.post(
            "/graphql",
            json={
                "query": 'query ObsBadCursor { candidates(first: 1, after: "junk-cursor-0123456789abcdefXYZ") { totalCount } }'
            },
            headers={**hr_admin_headers(), "X-Request-ID": "obs-req-1"},
        )
        generated = await client.get("/healthz")
    assert response.headers["x-request-id"] == "obs-req-1"
    assert len(generated.headers["x-request-id"]) == 32  # none given: one is made up, and answered
    (logged,) = [line for line in _parsed(json_lines) if line["logger"] in ("strawberry.execution", "hrgate.graphql")]
    assert logged["request_id"] == "obs-req-1" and logged["operation"] == "ObsBadCursor"
    assert logged["level"] == "INFO" and logged["message"].startswith("graphql BAD_USER_INPUT")
    assert "junk-cursor-0123456789abcdefXYZ" not in json_lines.getvalue()


def test_hrgate_serve_writes_only_json_lines_with_request_ids_and_redacted_paths(tmp_path):
    import os
    from pathlib import Path

    import httpx

    from tests import processes

    env = dict(os.environ)
    env.update(HRGATE_LOG_FORMAT="json", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    log = tmp_path / "serve.log"
    token = "inv0123456789abcdefTOKEN"
    with processes.gateway(env, log) as base_url:
        answer = httpx.put(
            f"{base_url}/interview/{token}/answers/1", content=b"x", headers={"X-Request-ID": "obs-put-1"}
        )
        assert answer.headers["x-request-id"] == "obs-put-1"
        time.sleep(0.5)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    (put,) = [line for line in lines if line.get("request_id") == "obs-put-1"]
    assert put["logger"] == "uvicorn.access" and "/interview/[redacted]/answers/1" in put["message"]
    assert token not in log.read_text()


async def test_an_unusable_request_id_is_replaced():
    seen: list[str | None] = []

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        from gateway.log_format import request_id

        seen.append(request_id.get())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"x-request-id", b"line\nbreak " + b"x" * 80)]}
    await RequestLogContext(app)(scope, None, send)
    assert seen[0] is not None and len(seen[0]) == 32 and "\n" not in seen[0]
    assert dict(sent[0]["headers"])[b"x-request-id"] == seen[0].encode()


# --- OpenTelemetry ----------------------------------------------------------------------------------


def test_tracing_off_imports_and_wraps_nothing():
    """No endpoint: no tracing module imported by hrgate, no extension, no middleware (redis-py imports the
    metrics part of the SDK by itself when the package is installed; the tracing API stays unloaded)."""
    import subprocess
    import sys

    program = """
import sys
from gateway.app import create_app
from gateway.settings import get_settings
from schema.root import schema
from workers.broker import broker
app = create_app(get_settings(), embedded_worker=False)
loaded = sorted(m for m in sys.modules if m.startswith(("opentelemetry.trace", "opentelemetry.instrumentation",
    "opentelemetry.propagate", "opentelemetry.exporter", "opentelemetry.sdk.trace")))
print(loaded, [type(e).__name__ if not isinstance(e, type) else e.__name__ for e in schema.extensions],
    [type(m).__name__ for m in broker.middleware], [m.cls.__name__ for m in app.user_middleware])
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env.pop("HRGATE_OTEL_ENDPOINT", None)
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("[] "), last
    assert "OpenTelemetry" not in last and "TracePropagation" not in last and "JobLogContext" not in last, last


def test_an_otlp_endpoint_setting_turns_every_part_on():
    """The real configuration path, in a fresh process: the OTLP/HTTP exporter at ``<endpoint>/v1/traces``, the
    service name, the ASGI middleware, the GraphQL extension and the message propagation."""
    import subprocess
    import sys

    program = """
from opentelemetry import trace
from gateway.app import create_app
from gateway.settings import get_settings
from schema.root import schema
from workers.broker import broker
app = create_app(get_settings(), embedded_worker=False)
provider = trace.get_tracer_provider()
(processor,) = provider._active_span_processor._span_processors
print(provider.resource.attributes["service.name"], processor.span_exporter._endpoint,
    [m.cls.__name__ for m in app.user_middleware][0], [e.__name__ for e in schema.extensions if isinstance(e, type)],
    [type(m).__name__ for m in broker.middleware])
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env["HRGATE_OTEL_ENDPOINT"] = "http://127.0.0.1:4318/"
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("hrgate http://127.0.0.1:4318/v1/traces traced_asgi "), last
    assert "OpenTelemetryExtension" in last and "TracePropagation" in last, last


@pytest.fixture
def spans():
    """The process's tracer provider with an in-memory exporter; everything switched off afterwards."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from gateway import tracing
    from schema.root import schema
    from workers.broker import broker
    from workers.observability import TracePropagation

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the global provider can be set once per process
        provider = TracerProvider()
        tracing.install_tracer_provider(provider)
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    tracing._enabled = True  # as install_tracer_provider leaves it (a second test in this process)
    spans_off: list = []
    yield exporter, spans_off
    processor.shutdown()  # drop this test's exporter from the provider
    tracing.disable_tracing(schema)
    for middleware in [middleware for middleware in broker.middleware if isinstance(middleware, TracePropagation)]:
        broker.middleware.remove(middleware)
    for remove in spans_off:
        remove()


async def test_spans_for_a_graphql_request_its_sql_and_the_job_it_queued(gql, spans):
    import httpx
    from opentelemetry.trace import SpanKind

    from gateway.db import get_engine
    from gateway.storage import get_media_store
    from gateway.tracing import trace_engine
    from workers.broker import broker

    spans, spans_off = spans
    spans_off.append(trace_engine(get_engine()))  # the test's engine was built before tracing was on
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token, biometric=False)
    app = create_app(get_settings(), embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        for question_id in invited.question_ids:
            assert (await put_answer(client, invited.token, question_id, wav_bytes())).status_code == 201
        spans.clear()
        response = await client.post(
            "/graphql",
            json={
                "query": SUBMIT.replace("mutation(", "mutation ObsSubmit("),
                "variables": {"input": {"invitationToken": invited.token}},
            },
        )
    assert response.json()["data"]["interviewSubmit"]["errors"] == []
    finished = spans.get_finished_spans()
    (server,) = [span for span in finished if span.name == "POST /graphql" and span.parent is None]
    assert server.kind == SpanKind.SERVER
    request_trace = server.context.trace_id
    in_request = [span for span in finished if span.context.trace_id == request_trace]
    (operation,) = [span for span in in_request if span.name.startswith("GraphQL") and span.name.endswith("ObsSubmit")]
    assert operation.parent.span_id == server.context.span_id
    (resolver,) = [span for span in in_request if span.name == "GraphQL Resolving: interviewSubmit"]
    assert resolver.parent.span_id == operation.context.span_id
    statements = [span for span in in_request if span.attributes.get("db.system")]
    assert {span.name for span in statements} >= {"SELECT", "UPDATE", "INSERT"}
    assert all(span.parent.span_id == resolver.context.span_id for span in statements)
    assert all("db.statement" in span.attributes for span in statements)
    request_span_ids = {span.context.span_id for span in in_request}

    # The queued message carries the request's trace context; the job runs as its child.
    (queued,) = [message for message in _queued(broker, "scoring")]
    assert queued.options["trace_context"]["traceparent"].split("-")[1] == f"{request_trace:032x}"
    store = get_media_store()
    interview_folder = store.local_path(f"file:interviews/{int(_raw_id(invited.interview_id))}")
    for recording in interview_folder.rglob("*"):
        if recording.is_file():
            recording.unlink()  # the job fails for good at once (no model is loaded), after its SQL
    spans.clear()
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        broker.join("scoring", timeout=120_000)
    finally:
        worker.stop()
    job_spans = spans.get_finished_spans()
    (job,) = [span for span in job_spans if span.name == "score_interview process"]
    assert job.kind == SpanKind.CONSUMER and job.attributes["messaging.system"] == "dramatiq"
    assert job.context.trace_id == request_trace and job.parent.span_id in request_span_ids
    job_sql = [span for span in job_spans if span.attributes.get("db.system") and span.parent]
    assert any(span.parent.span_id == job.context.span_id for span in job_sql), [s.name for s in job_spans]


def _queued(broker: dramatiq.Broker, queue: str) -> list[dramatiq.Message]:
    pending = broker.queues[queue]
    return [dramatiq.Message.decode(raw) for raw in list(pending.queue)]


def _raw_id(global_id: str) -> str:
    from tests.db_helpers import node_id

    return str(node_id(global_id))
