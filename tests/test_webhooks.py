"""Signed webhooks against a real HTTP receiver that verifies with the reference ``standardwebhooks`` library:
management through the graph, scoped payloads, retries with backoff, redirects, timeouts, refused addresses,
secret rotation, the delivery log, replays, and an endpoint disabled after a failure streak."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import update
from sqlmodel import col, select

from gateway.db import read_session, unit_of_work
from gateway.models import DomainEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gateway.models.base import utcnow
from gateway.models.events import DomainEventType, WebhookDeliveryStatus
from gateway.settings import get_settings
from resolvers.services.audit import person
from resolvers.services.event_dispatch import dispatch_event
from resolvers.services.webhooks import DELIVER_ACTOR, attempt_delivery, retry_delay
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import node_id
from tests.graphql_client import GraphQLClient
from tests.test_outbox import queued
from tests.webhook_receiver import receiver

CREATE = f"""
mutation($input: WebhookEndpointCreateInput!) {{
  webhookEndpointCreate(input: $input) {{
    webhookEndpoint {{ id url eventTypes scopes enabled }} secret {factories.ERRORS}
  }}
}}"""
UPDATE = f"""
mutation($input: WebhookEndpointUpdateInput!) {{
  webhookEndpointUpdate(input: $input) {{ webhookEndpoint {{ id enabled failureStreak }} {factories.ERRORS} }}
}}"""
DELETE = f"""
mutation($input: WebhookEndpointDeleteInput!) {{
  webhookEndpointDelete(input: $input) {{ deletedWebhookEndpointId {factories.ERRORS} }}
}}"""
ROTATE = f"""
mutation($input: WebhookEndpointSecretRotateInput!) {{
  webhookEndpointSecretRotate(input: $input) {{ webhookEndpoint {{ previousSecretExpiresAt }} secret {factories.ERRORS} }}
}}"""
REPLAY = f"""
mutation($input: WebhookDeliveryReplayInput!) {{
  webhookDeliveryReplay(input: $input) {{ webhookDelivery {{ id replay status }} {factories.ERRORS} }}
}}"""
REPLAY_RANGE = f"""
mutation($input: WebhookEndpointReplayInput!) {{
  webhookEndpointReplay(input: $input) {{ deliveriesCreated {factories.ERRORS} }}
}}"""
LOG = """
query {
  webhookEndpoints(includeDeleted: true, first: 2) { edges { node {
    id enabled disabledReason failureStreak
    deliveries(first: 10) { edges { node {
      id status attempts replay lastStatusCode lastError
      event { eventId type data }
      attemptLog(first: 10) { edges { node { attempt statusCode durationMs error } } }
    } } }
  } } }
}"""


async def create_endpoint(gql, url: str, scopes: list[str], types: list[str] | None = None) -> tuple[str, str]:
    payload = await gql.mutate(
        CREATE, "webhookEndpointCreate", input={"url": url, "scopes": scopes, "eventTypes": types or []}
    )
    assert payload["secret"].startswith("whsec_")
    return payload["webhookEndpoint"]["id"], payload["secret"]


async def run_outbox() -> None:
    """What the workers do, in-process: dispatch every undispatched event, attempt every due delivery."""
    async with read_session() as session:
        event_ids = (await session.exec(select(DomainEvent.id).where(col(DomainEvent.dispatched_at).is_(None)))).all()
    for event_id in event_ids:
        await dispatch_event(event_id)
    async with read_session() as session:
        due = (
            await session.exec(
                select(WebhookDelivery.id).where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING)
            )
        ).all()
    for delivery_id in due:
        await attempt_delivery(delivery_id)


async def time_passes() -> None:
    """Every waiting retry falls due now (instead of sleeping through the backoff)."""
    async with unit_of_work() as uow:
        await uow.session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.status) == WebhookDeliveryStatus.PENDING)
            .values(next_attempt_at=utcnow())
        )


async def deliveries() -> list[WebhookDelivery]:
    async with read_session() as session:
        return list((await session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id)))).all())


async def stage_change(gql) -> str:
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    await factories.invite(gql, application_id)
    return application_id


async def test_signed_scoped_delivery_verified_by_the_reference_library(gql):
    with receiver() as hooks:
        endpoint_id, secret = await create_endpoint(gql, hooks.url, ["candidates:read"], ["APPLICATION_STAGE_CHANGED"])
        hooks.secrets.append(secret)
        application_id = await stage_change(gql)
        await run_outbox()

    (request,) = hooks.received
    assert request.verified_by == [0]
    assert set(request.headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    body = request.json
    assert request.webhook_id == body["id"] and body["id"].startswith("evt_")
    assert body["type"] == "application.stage_changed"
    assert body["data"]["applicationId"] == application_id and body["data"]["toStage"] == "ai_interview"
    assert body["data"]["subject"] == {"type": "Application", "id": application_id}
    (delivery,) = await deliveries()
    assert delivery.status is WebhookDeliveryStatus.DELIVERED and delivery.attempts == 1
    # The competency model version event was not asked for; nothing else was sent.

    log = (await gql(LOG))["webhookEndpoints"]["edges"][0]["node"]
    assert log["id"] == endpoint_id
    (logged,) = [edge["node"] for edge in log["deliveries"]["edges"]]
    assert logged["status"] == "DELIVERED" and logged["lastStatusCode"] == 204
    assert logged["event"]["eventId"] == body["id"]
    assert [edge["node"]["statusCode"] for edge in logged["attemptLog"]["edges"]] == [204]
    assert "secret" not in str(log)


async def test_endpoint_management_refusals(gql):
    errors = await refused(
        gql, CREATE, "webhookEndpointCreate", input={"url": "ftp://x.example", "scopes": ["bogus"], "eventTypes": []}
    )
    assert sorted(codes(errors)) == ["INVALID", "INVALID"]
    errors = await refused(
        gql,
        CREATE,
        "webhookEndpointCreate",
        input={"url": "https://erp.example/hooks", "scopes": ["candidates:read"], "eventTypes": ["EMPLOYEE_HIRED"]},
    )
    assert codes(errors) == ["EVENT_TYPE_NOT_READABLE"] and errors[0]["field"] == "eventTypes.0"

    recruiter = GraphQLClient(person("recruiter-1", ["recruiter"]))
    result = await recruiter.execute(CREATE, input={"url": "https://erp.example/h", "scopes": [], "eventTypes": []})
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    assert (await recruiter.execute(LOG)).errors[0].extensions["code"] == "FORBIDDEN"


async def test_private_and_loopback_addresses_refused_when_the_deployment_forbids_them(gql, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_allow_private_addresses", False)
    for url in ("http://127.0.0.1:8080/h", "http://10.1.2.3/h", "http://[::1]/h", "http://169.254.169.254/latest"):
        errors = await refused(gql, CREATE, "webhookEndpointCreate", input={"url": url, "scopes": [], "eventTypes": []})
        assert codes(errors) == ["ADDRESS_NOT_ALLOWED"], url

    # An endpoint saved while allowed, later re-pointed: every attempt checks again, and fails for good.
    monkeypatch.setattr(get_settings(), "webhook_allow_private_addresses", True)
    with receiver(behaviour=lambda webhook_id, nth: "ok") as hooks:
        await create_endpoint(gql, hooks.url, ["candidates:read"])
        await stage_change(gql)
        monkeypatch.setattr(get_settings(), "webhook_allow_private_addresses", False)
        await run_outbox()
    assert hooks.received == []
    assert {(delivery.status, delivery.attempts) for delivery in await deliveries()} == {
        (WebhookDeliveryStatus.FAILED, 1)
    }
    assert all(delivery.last_error.startswith("address refused") for delivery in await deliveries())
    assert (
        get_settings()
        .model_copy(update={"environment": "production", "webhook_allow_private_addresses": None})
        .resolved_webhook_allow_private_addresses
        is False
    )


def _attempts(result: str, status_class: str) -> float:
    return (
        REGISTRY.get_sample_value("hrgate_webhook_attempts_total", {"result": result, "status_class": status_class})
        or 0.0
    )


async def test_failures_retry_with_backoff_and_are_logged(gql, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_timeout_seconds", 0.5)
    before = {
        key: _attempts(*key)
        for key in [("retrying", "5xx"), ("retrying", "3xx"), ("retrying", "none"), ("delivered", "2xx")]
    }
    timed_before = REGISTRY.get_sample_value("hrgate_webhook_attempt_duration_seconds_count") or 0.0
    answers = {1: "fail", 2: "redirect", 3: ("hold", 2.0)}
    with receiver(behaviour=lambda webhook_id, nth: answers.get(nth, "ok")) as hooks:
        _, secret = await create_endpoint(gql, hooks.url, ["candidates:read"], ["APPLICATION_STAGE_CHANGED"])
        hooks.secrets.append(secret)
        await stage_change(gql)
        await run_outbox()
        (delivery,) = await deliveries()
        assert delivery.status is WebhookDeliveryStatus.PENDING and delivery.next_attempt_at > utcnow()
        assert queued(DELIVER_ACTOR)  # the retry is scheduled as a delayed message
        for _ in range(3):
            await time_passes()
            await run_outbox()
    assert [request.path for request in hooks.received] == ["/hooks"] * 4  # the redirect was not followed
    async with read_session() as session:
        attempts = (await session.exec(select(WebhookAttempt).order_by(col(WebhookAttempt.id)))).all()
    assert [(a.attempt, a.status_code, a.error) for a in attempts] == [
        (1, 500, "HTTP 500"),
        (2, 302, "redirect not followed (HTTP 302)"),
        (3, None, "timeout after 0.5 s"),
        (4, 204, None),
    ]
    assert attempts[2].duration_ms >= 450
    (delivery,) = await deliveries()
    assert delivery.status is WebhookDeliveryStatus.DELIVERED and delivery.attempts == 4
    assert len(hooks.unique()) == 1  # four requests on the wire, one event after dedupe by webhook-id
    assert {key: _attempts(*key) - count for key, count in before.items()} == dict.fromkeys(before, 1.0)
    assert (REGISTRY.get_sample_value("hrgate_webhook_attempt_duration_seconds_count") or 0.0) - timed_before == 4


def test_backoff_grows_exponentially_to_a_cap_within_three_days():
    settings = get_settings()
    delays = [retry_delay(attempts, settings) for attempts in range(1, 20)]
    assert 5 <= delays[0] <= 5.5 and 20 <= delays[1] <= 22
    assert max(delays) <= settings.webhook_retry_max_delay_seconds * 1.1
    assert settings.webhook_retry_window_seconds == 3 * 24 * 3600


async def test_retries_end_after_the_window_and_a_failure_streak_disables_the_endpoint(gql, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_disable_after_failures", 3)
    with receiver(behaviour=lambda webhook_id, nth: "fail") as hooks:
        endpoint_id, _ = await create_endpoint(gql, hooks.url, ["candidates:read"], ["APPLICATION_STAGE_CHANGED"])
        await stage_change(gql)
        await run_outbox()
        async with unit_of_work() as uow:  # three days later
            await uow.session.exec(update(WebhookDelivery).values(created_at=utcnow() - timedelta(days=3)))
        await time_passes()
        await run_outbox()
        (delivery,) = await deliveries()
        assert delivery.status is WebhookDeliveryStatus.FAILED and delivery.attempts == 2

        application_id = await stage_change(gql)  # a third failure in a row
        await run_outbox()
    endpoint = (await gql(LOG))["webhookEndpoints"]["edges"][0]["node"]
    assert endpoint["enabled"] is False and endpoint["failureStreak"] == 3
    assert endpoint["disabledReason"].startswith("3 failed attempts in a row")
    async with read_session() as session:
        (told,) = (
            await session.exec(select(DomainEvent).where(DomainEvent.type == DomainEventType.WEBHOOK_ENDPOINT_DISABLED))
        ).all()
    assert told.payload["webhookEndpointId"] == endpoint_id
    # HR (hr_admin) reads it on the change feed; a connector never does.
    feed = (await gql("{ changes(types: [WEBHOOK_ENDPOINT_DISABLED]) { edges { node { subjectId } } } }"))["changes"]
    assert feed["edges"][0]["node"]["subjectId"] == endpoint_id
    assert application_id

    # Re-enabled by HR: the streak starts again.
    payload = await gql.mutate(UPDATE, "webhookEndpointUpdate", input={"id": endpoint_id, "enabled": True})
    assert payload["webhookEndpoint"] == {"id": endpoint_id, "enabled": True, "failureStreak": 0}


async def test_secret_rotation_signs_with_both_secrets_during_the_overlap(gql):
    with receiver() as hooks:
        endpoint_id, old = await create_endpoint(gql, hooks.url, ["candidates:read"], ["APPLICATION_STAGE_CHANGED"])
        payload = await gql.mutate(ROTATE, "webhookEndpointSecretRotate", input={"id": endpoint_id, "overlapHours": 1})
        new = payload["secret"]
        assert new != old and payload["webhookEndpoint"]["previousSecretExpiresAt"]
        hooks.secrets += [old, new]
        await stage_change(gql)
        await run_outbox()
        assert hooks.received[-1].verified_by == [0, 1]
        assert len(hooks.received[-1].headers["webhook-signature"].split(" ")) == 2

        async with unit_of_work() as uow:  # the overlap is over
            await uow.session.exec(
                update(WebhookEndpoint).values(previous_secret_expires_at=utcnow() - timedelta(seconds=1))
            )
        await stage_change(gql)
        await run_outbox()
        assert hooks.received[-1].verified_by == [1]

    errors = await refused(gql, ROTATE, "webhookEndpointSecretRotate", input={"id": endpoint_id, "overlapHours": 500})
    assert codes(errors) == ["INVALID"]


async def test_replay_of_one_delivery_a_range_and_a_deleted_endpoint(gql):
    with receiver() as hooks:
        endpoint_id, secret = await create_endpoint(gql, hooks.url, ["candidates:read"])
        hooks.secrets.append(secret)
        started = utcnow()
        await stage_change(gql)
        await run_outbox()
        first = await deliveries()
        assert len(first) == 2  # the model version and the stage change

        replayed = await gql.mutate(
            REPLAY, "webhookDeliveryReplay", input={"deliveryId": factories_global("WebhookDelivery", first[1].id)}
        )
        assert replayed["webhookDelivery"]["replay"] == 1 and replayed["webhookDelivery"]["status"] == "PENDING"
        assert queued(DELIVER_ACTOR)  # sent after the commit
        await run_outbox()
        assert hooks.received[-1].webhook_id == hooks.received[1].webhook_id  # same id: receivers dedupe

        count = await gql.mutate(
            REPLAY_RANGE,
            "webhookEndpointReplay",
            input={"endpointId": endpoint_id, "since": started.isoformat(), "until": utcnow().isoformat()},
        )
        assert count["deliveriesCreated"] == 2
        await run_outbox()
    assert len(hooks.received) == 5 and len(hooks.unique()) == 2
    assert all(request.verified_by == [0] for request in hooks.received)

    deleted = await gql.mutate(DELETE, "webhookEndpointDelete", input={"id": endpoint_id})
    assert deleted["deletedWebhookEndpointId"] == endpoint_id
    errors = await refused(
        gql, REPLAY, "webhookDeliveryReplay", input={"deliveryId": factories_global("WebhookDelivery", first[0].id)}
    )
    assert codes(errors) == ["ENDPOINT_DELETED"]
    errors = await refused(
        gql,
        REPLAY_RANGE,
        "webhookEndpointReplay",
        input={"endpointId": endpoint_id, "since": started.isoformat(), "until": utcnow().isoformat()},
    )
    assert codes(errors) == ["ENDPOINT_DELETED"]
    errors = await refused(gql, UPDATE, "webhookEndpointUpdate", input={"id": endpoint_id, "enabled": True})
    assert codes(errors) == ["ENDPOINT_DELETED"]
    # Nothing more is sent to a deleted endpoint; its log stays readable.
    await stage_change(gql)
    await run_outbox()
    assert len(await deliveries()) == 5
    assert (await gql(LOG))["webhookEndpoints"]["edges"][0]["node"]["id"] == endpoint_id
    assert node_id(endpoint_id)


def factories_global(type_name: str, row_id: int) -> str:
    from tests.db_helpers import global_id

    return global_id(type_name, row_id)


async def test_payload_fields_follow_the_endpoint_scopes(gql):
    """An interview's events reach a candidates:read endpoint without the score; reports:read sees it."""
    from resolvers.services.outbox import record_event

    with receiver() as candidates, receiver() as reports:
        await create_endpoint(gql, candidates.url, ["candidates:read"], ["INTERVIEW_SCORED"])
        await create_endpoint(gql, reports.url, ["reports:read"], ["INTERVIEW_SCORED"])
        async with unit_of_work() as uow:
            record_event(
                uow.session,
                DomainEventType.INTERVIEW_SCORED,
                3,
                {"interviewId": "SW50ZXJ2aWV3OjM=", "status": "scored", "reportId": "r", "total": 64.0},
                actor="system",
            )
        await run_outbox()
    (without_score,) = candidates.received
    (with_score,) = reports.received
    assert without_score.json["data"] == {
        "subject": {"type": "Interview", "id": "SW50ZXJ2aWV3OjM="},
        "interviewId": "SW50ZXJ2aWV3OjM=",
        "status": "scored",
    }
    assert with_score.json["data"]["total"] == 64.0 and with_score.json["data"]["reportId"] == "r"


async def test_the_embedded_worker_dispatches_delivers_and_retries_on_its_own(gql, monkeypatch):
    """No test shortcuts: the commit sends ``outbox_dispatch``; Dramatiq worker threads dispatch, deliver, and
    schedule the retry as a delayed message."""
    import asyncio

    import dramatiq

    import workers.actors

    monkeypatch.setattr(get_settings(), "webhook_retry_base_seconds", 0.2)
    worker = dramatiq.Worker(workers.actors.broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        with receiver(behaviour=lambda webhook_id, nth: "fail" if nth == 1 else "ok") as hooks:
            _, secret = await create_endpoint(gql, hooks.url, ["candidates:read"], ["APPLICATION_STAGE_CHANGED"])
            hooks.secrets.append(secret)
            await stage_change(gql)
            await asyncio.to_thread(hooks.wait_for, lambda state: len(state.received) == 2, 30)
    finally:
        worker.stop()
    assert [request.verified_by for request in hooks.received] == [[0], [0]]
    (delivery,) = await deliveries()
    assert delivery.status is WebhookDeliveryStatus.DELIVERED and delivery.attempts == 2
