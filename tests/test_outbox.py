"""The transactional outbox: events written with their change (or not at all), dispatched once, swept up after
a crash, read back in commit order by ``changes(since:, types:)`` and live by ``events(types:)``, and only
what the reader may read."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from gateway.db import read_session, unit_of_work
from gateway.models import Application, DomainEvent, WebhookDelivery
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage
from gateway.models.events import DomainEventType
from resolvers.errors import DomainError
from resolvers.services.audit import ANONYMOUS, SYSTEM, person, service
from resolvers.services.candidates import change_stage
from resolvers.services.event_dispatch import dispatch_event, sweep
from resolvers.services.outbox import DISPATCH_ACTOR, SHAPES, record_event
from schema.context import Context
from schema.permissions import Resource
from schema.root import schema
from tests import factories
from tests.assertions import refused
from tests.db_helpers import fetch, node_id
from tests.graphql_client import GraphQLClient

CHANGES = """
query($since: String, $types: [DomainEventType!], $first: Int) {
  changes(since: $since, types: $types, first: $first) {
    totalCount
    edges { cursor node { eventId type occurredAt subjectType subjectId data } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ERASE = f"""
mutation($input: CandidateEraseInput!) {{ candidateErase(input: $input) {{ {factories.ERRORS} }} }}"""
KPI_IMPORT = f"""
mutation($input: KpiRecordsImportInput!) {{
  kpiRecordsImport(input: $input) {{ kpiImport {{ rowsWritten }} {factories.ERRORS} }}
}}"""


async def events(*types: DomainEventType) -> list[DomainEvent]:
    async with read_session() as session:
        statement = select(DomainEvent).order_by(col(DomainEvent.id))
        if types:
            statement = statement.where(col(DomainEvent.type).in_(types))
        return list((await session.exec(statement)).all())


def queued(actor_name: str) -> list[int]:
    """Ids sent to ``actor_name`` on the in-process broker (nothing consumes it in these tests)."""
    import workers.actors

    broker = workers.actors.broker
    actor = broker.get_actor(actor_name)
    queue = broker.queues.get(actor.queue_name)
    messages = list(queue.queue) if queue is not None else []
    return [message.args[0] for message in map(_decode, messages) if message.actor_name == actor_name]


def _decode(raw):
    from dramatiq import Message

    return Message.decode(raw)


async def test_every_change_worth_telling_is_an_event_committed_with_it(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    kpi_id = await factories.create_kpi(gql)
    await factories.link(gql, next(iter(model["dimension_ids"].values())), kpi_id)
    application_id = await factories.application_at_offer(gql, requisition_id)
    employee = await factories.hire(gql, application_id)
    await gql.mutate(
        KPI_IMPORT,
        "kpiRecordsImport",
        input={
            "idempotencyKey": "batch-1",
            "records": [{"employeeId": employee["id"], "kpiId": kpi_id, "period": "2026-Q1", "actual": 1.5}],
        },
    )
    rejected = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    candidate_id = (await fetch(Application, rejected)).candidate_id
    await gql.mutate(
        ERASE,
        "candidateErase",
        input={"candidateId": factories_global("Candidate", candidate_id), "reason": "asked by email"},
    )

    rows = await events()
    types = [row.type for row in rows]
    assert types.count(DomainEventType.COMPETENCY_MODEL_VERSION_CREATED) == 1
    assert types.count(DomainEventType.EMPLOYEE_HIRED) == 1
    assert types.count(DomainEventType.KPI_RECORDS_IMPORTED) == 1
    assert types.count(DomainEventType.CANDIDATE_ERASED) == 1
    moves = [row.payload for row in rows if row.type is DomainEventType.APPLICATION_STAGE_CHANGED]
    assert [(move["fromStage"], move["toStage"]) for move in moves] == [
        ("screening", "ai_interview"),
        ("ai_interview", "second_interview"),
        ("second_interview", "offer"),
        ("offer", "hired"),
        ("screening", "withdrawn"),  # the erasure withdrew the open application
    ]
    assert all(move["requisitionId"] == requisition_id for move in moves)
    erased = rows[types.index(DomainEventType.CANDIDATE_ERASED)]
    assert erased.payload["applicationIds"] == [rejected] and erased.requisition_id == node_id(requisition_id)
    for row in rows:  # no personal data: the payload names nothing but ids, stages, numbers
        assert "王小明" not in str(row.payload) and "@mail.example" not in str(row.payload)
    assert sorted(queued(DISPATCH_ACTOR)) == [row.id for row in rows]  # each sent once, after its commit
    assert [row.id for row in rows] == sorted(row.id for row in rows)


def factories_global(type_name: str, row_id: int) -> str:
    from tests.db_helpers import global_id

    return global_id(type_name, row_id)


async def test_a_refused_or_rolled_back_change_leaves_no_event(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    before = await events()
    await refused(
        gql,
        factories.APPLICATION_MOVE,
        "applicationMoveStage",
        input={"applicationId": application_id, "stage": "OFFER"},
    )
    try:
        async with unit_of_work() as uow:
            application = await uow.session.get(Application, node_id(application_id))
            change_stage(application, ApplicationStage.AI_INTERVIEW, "test", session=uow.session, actor=SYSTEM)
            raise DomainError()
    except DomainError:
        pass
    assert await events() == before
    assert len(queued(DISPATCH_ACTOR)) == len(before)


async def test_dispatch_is_idempotent_and_the_sweeper_finds_what_a_crash_left(gql, monkeypatch):
    from gateway.models import WebhookEndpoint

    async with unit_of_work() as uow:
        uow.session.add(
            WebhookEndpoint(
                url="http://127.0.0.1:9/x",
                event_types=[],
                scopes=["reports:read"],
                readable=["reference", "interview", "report"],
                secret="whsec_" + "A" * 43,
                created_by="test",
            )
        )
        record_event(uow.session, DomainEventType.COMPETENCY_MODEL_VERSION_CREATED, 1, {"version": 1}, actor="t")
    (row,) = await events()
    assert row.dispatched_at is None

    # The process died before the dispatch job ran: nothing is lost, the sweeper sends it again once overdue.
    assert (await sweep()).event_ids == []  # still within the grace period
    async with unit_of_work() as uow:
        await uow.session.exec(
            update(DomainEvent).values(created_at=utcnow() - timedelta(minutes=5)).where(col(DomainEvent.id) == row.id)
        )
    assert (await sweep()).event_ids == [row.id]

    await dispatch_event(row.id)
    await dispatch_event(row.id)  # a redelivered job makes no second delivery
    async with read_session() as session:
        deliveries = (await session.exec(select(WebhookDelivery))).all()
    assert len(deliveries) == 1 and deliveries[0].replay == 0
    assert (await events())[0].dispatched_at is not None
    assert (await sweep()).event_ids == []


async def test_changes_pages_in_commit_order_without_gaps_or_repeats(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    for _ in range(4):
        await factories.application_at_offer(gql, requisition_id)
    all_ids = [f"evt_{row.id}" for row in await events()]
    assert len(all_ids) == 1 + 4 * 3

    seen, since = [], None
    while True:
        page = (await gql(CHANGES, since=since, first=5))["changes"]
        seen += [edge["node"]["eventId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        since = page["pageInfo"]["endCursor"]
    assert seen == all_ids and page["totalCount"] == len(all_ids)

    # New changes after the last cursor: exactly those, once.
    await factories.application_at_offer(gql, requisition_id)
    later = (await gql(CHANGES, since=page["pageInfo"]["endCursor"], first=50))["changes"]["edges"]
    assert [edge["node"]["eventId"] for edge in later] == [f"evt_{row.id}" for row in (await events())[len(all_ids) :]]

    only_versions = (await gql(CHANGES, types=["COMPETENCY_MODEL_VERSION_CREATED"]))["changes"]["edges"]
    assert [edge["node"]["type"] for edge in only_versions] == ["COMPETENCY_MODEL_VERSION_CREATED"]
    assert only_versions[0]["node"]["subjectId"] == model["version_id"]


async def test_changes_show_each_reader_only_what_it_may_read(gql):
    model = await factories.create_model(gql)
    mine = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject="hm-1")
    theirs = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject="hm-2")
    await factories.apply(gql, await factories.create_candidate(gql), mine)
    other = await factories.apply(gql, await factories.create_candidate(gql), theirs)
    await factories.invite(gql, other)
    async with unit_of_work() as uow:  # an interview scored, with its report's total (report rights only)
        record_event(
            uow.session,
            DomainEventType.INTERVIEW_SCORED,
            7,
            {"interviewId": "SW50ZXJ2aWV3Ojc=", "status": "scored", "reportId": "x", "total": 81.5},
            actor="system",
            requisition_id=node_id(mine),
        )

    connector = GraphQLClient(service("erp", ["candidates:read"]))
    seen = (await connector(CHANGES, first=50))["changes"]["edges"]
    assert {edge["node"]["type"] for edge in seen} == {
        "APPLICATION_STAGE_CHANGED",
        "COMPETENCY_MODEL_VERSION_CREATED",
        "INTERVIEW_SCORED",
    }
    scored = next(edge["node"] for edge in seen if edge["node"]["type"] == "INTERVIEW_SCORED")
    assert "total" not in scored["data"] and "reportId" not in scored["data"]  # needs reports:read

    reports = GraphQLClient(service("erp-reports", ["reports:read"]))
    scored = (await reports(CHANGES, types=["INTERVIEW_SCORED"]))["changes"]["edges"][0]["node"]
    assert scored["data"]["total"] == 81.5
    refusal = await reports.execute(CHANGES, types=["EMPLOYEE_HIRED"])
    assert refusal.errors[0].extensions["code"] == "FORBIDDEN"

    manager = GraphQLClient(person("hm-1", ["hiring_manager"]))
    seen = (await manager(CHANGES, first=50))["changes"]["edges"]
    moved = [
        edge["node"]["data"]["requisitionId"] for edge in seen if edge["node"]["type"] == "APPLICATION_STAGE_CHANGED"
    ]
    assert moved == []  # applying is no stage change; the invitation to the other requisition's candidate is hidden
    assert {edge["node"]["type"] for edge in seen} == {"COMPETENCY_MODEL_VERSION_CREATED", "INTERVIEW_SCORED"}

    no_roles = await GraphQLClient(person("x", [])).execute(CHANGES)
    assert no_roles.errors[0].extensions["code"] == "FORBIDDEN"
    anonymous = await GraphQLClient(ANONYMOUS).execute(CHANGES)
    assert anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"


def test_every_event_shape_names_a_resource_of_the_access_policy():
    assert {shape.resource for shape in SHAPES.values()} <= {resource.value for resource in Resource}
    assert set(SHAPES) == set(DomainEventType)


async def test_staff_subscribe_to_dispatched_events_of_their_types(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    subscription = await schema.subscribe(
        "subscription { events(types: [APPLICATION_STAGE_CHANGED]) { eventId type data } }",
        context_value=Context(actor=person("recruiter-1", ["recruiter"])),
    )
    first = asyncio.ensure_future(subscription.__anext__())
    await asyncio.sleep(0.1)  # subscribed
    await factories.invite(gql, application_id)  # screening → ai_interview
    for row in await events():  # the dispatch job's work, run here (no worker in this test)
        await dispatch_event(row.id)
    result = await asyncio.wait_for(first, timeout=5)
    assert result.errors is None
    event = result.data["events"]
    assert event["type"] == "APPLICATION_STAGE_CHANGED" and event["data"]["toStage"] == "ai_interview"
    await subscription.aclose()

    refused_subscription = await schema.subscribe(
        "subscription { events(types: [EMPLOYEE_HIRED]) { eventId } }",
        context_value=Context(actor=service("erp", ["candidates:read"])),
    )
    result = await refused_subscription.__anext__()
    assert result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_a_poller_on_the_change_feed_ends_with_the_databases_state_while_four_writers_move(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=50)
    groups = [
        [await factories.apply(gql, await factories.create_candidate(gql), requisition_id) for _ in range(3)]
        for _ in range(4)
    ]

    async def writer(applications: list[str], final: str) -> None:
        for application_id in applications:
            await factories.invite(gql, application_id)
        for application_id in applications:
            await factories.move(gql, application_id, final)

    poller = GraphQLClient(service("erp", ["requisitions:read"]))
    seen: list[str] = []
    stages: dict[str, str] = {}
    cursor: str | None = None

    async def poll_once() -> None:
        nonlocal cursor
        while True:
            page = (await poller(CHANGES, since=cursor, types=["APPLICATION_STAGE_CHANGED"], first=4))["changes"]
            for edge in page["edges"]:
                seen.append(edge["node"]["eventId"])
                stages[edge["node"]["data"]["applicationId"]] = edge["node"]["data"]["toStage"]
            cursor = page["pageInfo"]["endCursor"] or cursor
            if not page["pageInfo"]["hasNextPage"]:
                return

    writers = asyncio.gather(
        *(
            writer(group, final)
            for group, final in zip(groups, ["REJECTED", "WITHDRAWN", "SECOND_INTERVIEW", "REJECTED"], strict=True)
        )
    )
    while not writers.done():
        await poll_once()
        await asyncio.sleep(0.01)
    await writers
    await poll_once()

    moves = await events(DomainEventType.APPLICATION_STAGE_CHANGED)
    assert seen == [f"evt_{row.id}" for row in moves]  # every change once, in order
    async with read_session() as session:
        applications = (await session.exec(select(Application))).all()
    assert stages == {factories_global("Application", a.id): a.stage.value for a in applications}


async def test_event_ids_follow_commit_order_so_the_feed_never_skips_a_late_commit():
    """Transaction A writes its event and is slow to commit; B writes one meanwhile. B must not commit first
    with a higher id, or a reader paging by id would see B, move its cursor past A's id and never see A.
    (PostgreSQL: the advisory lock taken at commit; SQLite: its single writer.) Each transaction runs on a
    thread and event loop of its own, as two gateway requests or worker jobs would."""
    import threading
    import time

    from sqlalchemy import event as sa_event

    from gateway.db import dispose_engine

    a_inserted, committed = threading.Event(), {}

    def slow_after_insert(session, flush_context) -> None:  # noqa: ANN001 - SQLAlchemy's hook signature
        a_inserted.set()
        time.sleep(1.0)

    async def transaction(name: str, slow: bool) -> None:
        async with unit_of_work() as uow:
            if slow:
                sa_event.listen(uow.session.sync_session, "after_flush", slow_after_insert)
            record_event(uow.session, DomainEventType.COMPETENCY_MODEL_VERSION_CREATED, 1, {"name": name}, actor=name)
        committed[name] = time.monotonic()
        await dispose_engine()

    a = threading.Thread(target=lambda: asyncio.run(transaction("a", slow=True)))
    b = threading.Thread(target=lambda: asyncio.run(transaction("b", slow=False)))
    a.start()
    assert await asyncio.to_thread(a_inserted.wait, 10)
    b.start()
    await asyncio.to_thread(a.join, 30)
    await asyncio.to_thread(b.join, 30)
    ids = {row.payload["name"]: row.id for row in await events()}
    assert ids["a"] < ids["b"] and committed["a"] < committed["b"]  # B's insert waited for A's commit
