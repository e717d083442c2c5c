"""Incremental sync: ``updated_at`` on every row, ``updatedSince`` on every top-level list, and an ERP poller that
ends with exactly the database's state while four writers mutate."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from graphql import get_named_type

from gateway import models
from gateway.db import get_engine, read_session, unit_of_work
from gateway.models.base import utcnow
from gateway.models.counting import recount_all
from schema.context import Context
from schema.root import schema
from tests import factories
from tests.db_helpers import fetch, global_id, node_id, row_count
from tests.graphql_client import HR_ADMIN, GraphQLClient

SYNC_REQUISITIONS = """
query($since: DateTime, $after: String, $first: Int!) {
  requisitions(first: $first, after: $after, updatedSince: $since) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title headcount status updatedAt } }
  }
}"""

ROOT_LISTS = (
    "requisitions",
    "applications",
    "candidates",
    "competencyModels",
    "kpiDefinitions",
    "employees",
    "auditEvents",
    "reviewRequests",
    "reweightingProposals",
    "trainingProgrammes",
    "webhookEndpoints",
)
FEEDS = ("changes",)
"""Connections that page by their own cursor (the outbox's commit order), not by ``updatedSince``."""


async def _run(query: str, *, compiled: bool, **variables: Any) -> Any:
    return await schema.execute(
        query, variable_values=variables, context_value=Context(actor=HR_ADMIN, compiled_reads=compiled)
    )


async def _requisitions(gql: GraphQLClient, count: int) -> list[str]:
    model = await factories.create_model(gql)
    return [await factories.create_requisition(gql, model["version_id"], title=f"Teller {i}") for i in range(count)]


async def _update_headcount(gql: GraphQLClient, requisition_id: str, headcount: int) -> None:
    await gql.mutate(
        factories.REQUISITION_UPDATE, "requisitionUpdate", input={"id": requisition_id, "headcount": headcount}
    )


async def test_updated_at_is_set_on_insert_and_moved_by_orm_and_core_updates_only(gql):
    before = utcnow()
    (requisition_id,) = await _requisitions(gql, 1)
    inserted = (await fetch(models.Requisition, requisition_id)).updated_at
    assert inserted >= before

    await _update_headcount(gql, requisition_id, 7)  # ORM unit of work
    after_orm = (await fetch(models.Requisition, requisition_id)).updated_at
    assert after_orm > inserted

    async with unit_of_work() as uow:  # a Core UPDATE, as the scoring and counting code write
        connection = await uow.session.connection()
        await connection.execute(
            sa.update(models.Requisition).where(models.Requisition.id == node_id(requisition_id)).values(headcount=8)
        )
    after_core = await fetch(models.Requisition, requisition_id)
    assert after_core.headcount == 8 and after_core.updated_at > after_orm

    candidate_id = await factories.create_candidate(gql)
    application_id = await factories.apply(gql, candidate_id, requisition_id)
    stamped = (await fetch(models.Application, application_id)).updated_at
    async with get_engine().begin() as connection:  # a recount that changes nothing touches nothing
        await recount_all(connection)
    assert (await fetch(models.Application, application_id)).updated_at == stamped
    await factories.move(gql, application_id, "REJECTED")
    assert (await fetch(models.Application, application_id)).updated_at > stamped


async def test_every_top_level_list_takes_updated_since_and_every_table_has_an_indexed_updated_at():
    for table in models.metadata.sorted_tables:
        assert "updated_at" in table.c, table.name
        assert any(index.columns.keys() == ["updated_at"] for index in table.indexes), table.name
    query_type = schema._schema.query_type
    connections = {
        name: field
        for name, field in query_type.fields.items()
        if get_named_type(field.type).name.endswith("Connection") and name not in FEEDS
    }
    assert sorted(connections) == sorted(ROOT_LISTS)
    for name, field in connections.items():
        assert field.args["updatedSince"].type is schema._schema.type_map["DateTime"], name


@pytest.mark.parametrize("compiled", [True, False])
async def test_updated_since_pages_in_update_order_with_cursors_past_each_row(gql, compiled):
    ids = await _requisitions(gql, 5)
    since = (await fetch(models.Requisition, ids[0])).updated_at
    await _update_headcount(gql, ids[1], 9)
    expected = [ids[0], ids[2], ids[3], ids[4], ids[1]]

    seen, after = [], None
    while True:
        result = await _run(SYNC_REQUISITIONS, compiled=compiled, since=since.isoformat(), after=after, first=2)
        assert result.errors is None, result.errors
        page = result.data["requisitions"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected

    later = (await fetch(models.Requisition, ids[1])).updated_at
    result = await _run(SYNC_REQUISITIONS, compiled=compiled, since=later.isoformat(), first=10)
    assert [edge["node"]["id"] for edge in result.data["requisitions"]["edges"]] == [ids[1]]
    assert result.data["requisitions"]["totalCount"] == 1


async def test_both_read_paths_give_the_same_sync_pages_and_the_compiled_one_is_one_statement(gql, count_statements):
    ids = await _requisitions(gql, 4)
    await _update_headcount(gql, ids[0], 3)
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    loader = await _run(SYNC_REQUISITIONS, compiled=False, since=since, first=3)
    cursor = loader.data["requisitions"]["pageInfo"]["endCursor"]
    loader_next = await _run(SYNC_REQUISITIONS, compiled=False, since=since, after=cursor, first=3)
    count_statements.statements.clear()
    compiled = await _run(SYNC_REQUISITIONS, compiled=True, since=since, first=3)
    compiled_next = await _run(SYNC_REQUISITIONS, compiled=True, since=since, after=cursor, first=3)
    assert count_statements.count == 2
    assert compiled.data == loader.data and compiled_next.data == loader_next.data
    assert [edge["node"]["id"] for edge in compiled_next.data["requisitions"]["edges"]] == [ids[0]]


@pytest.mark.parametrize("compiled", [True, False])
async def test_a_row_changed_while_a_poller_pages_comes_again_on_a_later_page(gql, compiled):
    ids = await _requisitions(gql, 4)
    since = (await fetch(models.Requisition, ids[0])).updated_at.isoformat()
    first = await _run(SYNC_REQUISITIONS, compiled=compiled, since=since, first=2)
    assert [edge["node"]["id"] for edge in first.data["requisitions"]["edges"]] == ids[:2]
    await _update_headcount(gql, ids[0], 11)  # already read: it moves behind the cursor
    rest = await _run(
        SYNC_REQUISITIONS,
        compiled=compiled,
        since=since,
        first=10,
        after=first.data["requisitions"]["pageInfo"]["endCursor"],
    )
    nodes = [edge["node"] for edge in rest.data["requisitions"]["edges"]]
    assert [node["id"] for node in nodes] == [ids[2], ids[3], ids[0]]
    assert nodes[-1]["headcount"] == 11


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize(
    ("since", "after", "field", "message"),
    [
        ("2999-01-01T00:00:00Z", None, "updatedSince", "in the future"),
        ("2026-01-01T00:00:00", None, "updatedSince", "UTC offset"),
        ("2026-01-01T00:00:00Z", "Y3Vyc29yOjE=", "after", "invalid cursor"),  # an id cursor ("cursor:1")
    ],
)
async def test_bad_updated_since_and_cursors_are_bad_user_input(gql, compiled, since, after, field, message):
    await _requisitions(gql, 1)
    result = await _run(SYNC_REQUISITIONS, compiled=compiled, since=since, after=after, first=5)
    assert result.data is None or result.data.get("requisitions") is None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT", "field": field}
    assert message in error.message


async def test_a_malformed_updated_since_is_refused_before_anything_runs(gql, count_statements):
    count_statements.statements.clear()
    result = await _run(SYNC_REQUISITIONS, compiled=True, since="yesterday", first=5)
    (error,) = result.errors
    assert result.data is None and "DateTime" in error.message and "$since" in error.message
    literal = await _run('{ requisitions(updatedSince: "2026-13-45") { totalCount } }', compiled=True)
    assert literal.data is None and "DateTime" in literal.errors[0].message
    assert count_statements.count == 0


# --- an ERP poller against four concurrent writers --------------------------------------------------------------------

POLL = """
query($since: DateTime, $after: String) {
  requisitions(first: 7, after: $after, updatedSince: $since) {
    pageInfo { hasNextPage endCursor } edges { node { id title headcount status updatedAt } } }
}"""
POLL_APPLICATIONS = """
query($since: DateTime, $after: String) {
  applications(first: 7, after: $after, updatedSince: $since) {
    pageInfo { hasNextPage endCursor } edges { node { id stage updatedAt } } }
}"""
POLL_CANDIDATES = """
query($since: DateTime, $after: String) {
  candidates(first: 7, after: $after, updatedSince: $since) {
    pageInfo { hasNextPage endCursor } edges { node { id fullName email updatedAt } } }
}"""

OVERLAP = timedelta(seconds=10)
"""The recipe's overlap: longer than any write transaction, so a row stamped before a slower commit is read again
(four writers on a loaded two-core machine have taken over 2 s between stamp and commit)."""


class Poller:
    """What an ERP connector keeps: a mirror per list, upserted by id, and a watermark per list."""

    def __init__(self, overlap: timedelta = OVERLAP) -> None:
        self.overlap = overlap
        self.lists = {"requisitions": POLL, "applications": POLL_APPLICATIONS, "candidates": POLL_CANDIDATES}
        self.mirror: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.lists}
        self.watermark: dict[str, datetime | None] = dict.fromkeys(self.lists)

    async def poll(self) -> None:
        for name, query in self.lists.items():
            mark = self.watermark[name]
            since = (mark - self.overlap).isoformat() if mark is not None else None
            after = None
            while True:
                result = await schema.execute(
                    query, variable_values={"since": since, "after": after}, context_value=Context(actor=HR_ADMIN)
                )
                assert result.errors is None, result.errors
                page = result.data[name]
                for edge in page["edges"]:
                    node = edge["node"]
                    stamp = datetime.fromisoformat(node["updatedAt"])
                    # The last read is the current row: two writers of one row commit in their own order, not
                    # their stamps' (a copy with an earlier updatedAt can be the newer one).
                    self.mirror[name][node["id"]] = node
                    if mark is None or stamp > mark:
                        mark = stamp
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            self.watermark[name] = mark


async def _writer(gql: GraphQLClient, seed: int, requisition_ids: list[str], steps: int) -> None:
    chooser = random.Random(seed)
    applications: list[str] = []
    for step in range(steps):
        action = chooser.choice(["requisition", "candidate", "move"] if applications else ["requisition", "candidate"])
        if action == "requisition":
            await _update_headcount(gql, chooser.choice(requisition_ids), chooser.randint(1, 50))
        elif action == "candidate":
            candidate_id = await factories.create_candidate(gql, fullName=f"写入者{seed}-{step}")
            applications.append(await factories.apply(gql, candidate_id, chooser.choice(requisition_ids)))
        else:
            application_id = applications.pop(chooser.randrange(len(applications)))
            await factories.move(gql, application_id, chooser.choice(["REJECTED", "WITHDRAWN", "AI_INTERVIEW"]))
        await asyncio.sleep(chooser.random() / 100)


async def _full_read(name: str, query: str) -> dict[str, dict[str, Any]]:
    rows, after = {}, None
    while True:
        result = await _run(query, compiled=False, since=None, after=after)
        page = result.data[name]
        rows.update({edge["node"]["id"]: edge["node"] for edge in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


async def test_an_erp_poller_ends_with_exactly_the_databases_state_while_four_writers_mutate(gql):
    requisition_ids = await _requisitions(gql, 6)
    poller = Poller()
    await poller.poll()
    writers = asyncio.gather(*(_writer(gql, seed, requisition_ids, steps=15) for seed in range(4)))
    polls = 0
    while not writers.done():
        await poller.poll()
        polls += 1
        await asyncio.sleep(0)
    await writers
    await poller.poll()

    assert polls >= 3
    for name, query in poller.lists.items():
        assert poller.mirror[name] == await _full_read(name, query), name
    assert len(poller.mirror["requisitions"]) == await row_count(models.Requisition)
    assert len(poller.mirror["applications"]) == await row_count(models.Application)
    assert len(poller.mirror["candidates"]) == await row_count(models.Candidate)
    async with read_session() as session:  # and the tables themselves, read without GraphQL
        headcounts = (await session.exec(sa.select(models.Requisition.id, models.Requisition.headcount))).all()
        stages = (await session.exec(sa.select(models.Application.id, models.Application.stage))).all()
        emails = (await session.exec(sa.select(models.Candidate.id, models.Candidate.email))).all()
    mirror = poller.mirror
    assert {key: node["headcount"] for key, node in mirror["requisitions"].items()} == {
        global_id("Requisition", row_id): headcount for row_id, headcount in headcounts
    }
    assert {key: node["stage"] for key, node in mirror["applications"].items()} == {
        global_id("Application", row_id): stage.name for row_id, stage in stages
    }
    assert {key: node["email"] for key, node in mirror["candidates"].items()} == {
        global_id("Candidate", row_id): email for row_id, email in emails
    }


@pytest.mark.parametrize("overlap", [timedelta(seconds=5), timedelta(0)])
async def test_a_change_committed_after_a_later_one_is_read_again_thanks_to_the_overlap(gql, overlap):
    """The reason for the overlap: ``updated_at`` is stamped before its transaction commits, so a slow writer's
    change can become visible after a later one the poller has already passed."""
    ids = await _requisitions(gql, 2)
    poller = Poller(overlap)
    await poller.poll()
    async with unit_of_work() as slow:
        requisition = await slow.session.get(models.Requisition, node_id(ids[0]))
        requisition.headcount, requisition.updated_at = 42, utcnow()  # stamped as the service does, then slow
        await asyncio.sleep(0.05)
        await _update_headcount(gql, ids[1], 17)  # a later change, committed first
        await poller.poll()
    await poller.poll()
    caught = poller.mirror["requisitions"][ids[0]]["headcount"] == 42
    assert caught is (overlap > timedelta(0))
    assert poller.mirror["requisitions"][ids[1]]["headcount"] == 17
