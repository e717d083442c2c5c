"""``Idempotency-Key`` on every mutation, over HTTP: replay, reuse refused, in flight 409, 24 h, queries untouched."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import sqlalchemy as sa

from gateway import models
from gateway.db import unit_of_work
from gateway.idempotency import request_hash
from gateway.models.base import utcnow
from resolvers.services.idempotency import KEY_TTL, claim_key
from resolvers.services.retention import run_retention
from tests import factories
from tests.db_helpers import row_count
from tests.graphql_client import GraphQLClient
from tests.tokens import bearer, hr_admin_headers, person_token, service_token

CREATE_CANDIDATE = {
    "query": factories.CANDIDATE_CREATE,
    "variables": {"input": {"fullName": "李雷", "email": "li.lei@mail.example", "resumeText": "teller"}},
}


def _keyed(key: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or hr_admin_headers()), "Idempotency-Key": key}


async def test_the_same_key_and_body_replays_the_first_answer_and_runs_nothing(http):
    first = await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-1"))
    second = await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-1"))
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["candidateCreate"]["errors"] == []
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["cache-control"] == "no-store"
    assert await row_count(models.Candidate) == 1
    # without the key the same body runs again (and is refused as a duplicate email, as data)
    third = await http.post("/graphql", json=CREATE_CANDIDATE, headers=hr_admin_headers())
    assert third.json()["data"]["candidateCreate"]["errors"][0]["field"] == "email"


async def test_json_key_order_and_whitespace_do_not_make_another_request(http):
    await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-order"))
    variables = json.dumps(CREATE_CANDIDATE["variables"], ensure_ascii=False)
    reordered = f'{{ "variables": {variables},   "query": {json.dumps(CREATE_CANDIDATE["query"])} }}'
    again = await http.post(
        "/graphql",
        content=reordered.encode(),
        headers={**_keyed("k-order"), "content-type": "application/json"},
    )
    assert again.headers.get("idempotent-replayed") == "true"
    assert await row_count(models.Candidate) == 1


async def test_the_same_key_with_another_body_is_refused_and_runs_nothing(http):
    await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-2"))
    other = {**CREATE_CANDIDATE, "variables": {"input": {"fullName": "韩梅梅", "email": "han.meimei@mail.example"}}}
    refused = await http.post("/graphql", json=other, headers=_keyed("k-2"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await row_count(models.Candidate) == 1


async def test_keys_never_cross_principals(http):
    other_admin = bearer(person_token("hr-admin-2", "hr_admin"))
    first = await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("shared"))
    second = await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("shared", other_admin))
    assert "idempotent-replayed" not in second.headers  # ran: another principal's key space
    assert first.json()["data"]["candidateCreate"]["errors"] == []
    assert second.json()["data"]["candidateCreate"]["errors"][0]["field"] == "email"


async def test_a_refreshed_token_of_the_same_connector_keeps_its_keys(http):
    model = await factories.create_model(GraphQLClient())
    body = {
        "query": factories.REQUISITION_CREATE,
        "variables": {
            "input": {
                "title": "Teller",
                "department": "Retail",
                "businessLine": "RETAIL",
                "headcount": 1,
                "competencyModelVersionId": model["version_id"],
            }
        },
    }
    first_token = bearer(service_token("sap-hr", "requisitions:write", "requisitions:read"))
    refreshed = bearer(service_token("sap-hr", "requisitions:write", "requisitions:read", jti="another"))
    assert first_token != refreshed
    first = await http.post("/graphql", json=body, headers=_keyed("req-1", first_token))
    again = await http.post("/graphql", json=body, headers=_keyed("req-1", refreshed))
    assert first.json()["data"]["requisitionCreate"]["errors"] == []
    assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content
    assert await row_count(models.Requisition) == 1


async def test_a_request_whose_key_is_still_in_flight_answers_409(http):
    body = CREATE_CANDIDATE
    running = await claim_key("person:hr-admin-1", "k-3", request_hash("/graphql", body))
    assert running.outcome == "run"
    busy = await http.post("/graphql", json=body, headers=_keyed("k-3"))
    assert busy.status_code == 409
    assert busy.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT"
    assert busy.headers["retry-after"] == "1"
    assert await row_count(models.Candidate) == 0


async def test_concurrent_retries_run_the_mutation_once(http):
    answers = await asyncio.gather(
        *(http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-race")) for _ in range(4))
    )
    assert await row_count(models.Candidate) == 1
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1
    ran = [a for a in answers if a.status_code == 200 and "idempotent-replayed" not in a.headers]
    assert len(ran) == 1


async def test_an_abandoned_claim_is_taken_over_after_the_stale_limit():
    body_hash = request_hash("/graphql", CREATE_CANDIDATE)
    long_ago = utcnow() - timedelta(minutes=10)
    assert (await claim_key("person:x", "k-4", body_hash, now=long_ago)).outcome == "run"
    async with unit_of_work() as uow:  # the claim was last touched ten minutes ago (the process died)
        await uow.session.exec(sa.update(models.IdempotencyKey).values(updated_at=long_ago))
    assert (await claim_key("person:x", "k-4", body_hash)).outcome == "run"
    assert (await claim_key("person:x", "k-4", body_hash)).outcome == "in_flight"


async def test_queries_with_a_key_are_just_executed_and_nothing_is_stored(http):
    query = {"query": "{ candidates(first: 5) { totalCount } }"}
    for _ in range(2):
        answer = await http.post("/graphql", json=query, headers=_keyed("k-query"))
        assert answer.status_code == 200 and "idempotent-replayed" not in answer.headers
    assert await row_count(models.IdempotencyKey) == 0
    await http.post("/graphql", json=CREATE_CANDIDATE, headers=hr_admin_headers())
    assert await row_count(models.IdempotencyKey) == 0  # a mutation without the header is untouched


async def test_a_malformed_key_is_refused(http):
    answer = await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("x" * 256))
    assert answer.status_code == 400 and answer.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await row_count(models.Candidate) == 0


async def test_keys_expire_after_24_hours_and_the_retention_run_deletes_them(http):
    await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-5"))
    other = {**CREATE_CANDIDATE, "variables": {"input": {"fullName": "韩梅梅", "email": "han.meimei@mail.example"}}}
    later = utcnow() + KEY_TTL + timedelta(minutes=1)
    assert (await claim_key("person:hr-admin-1", "k-5", request_hash("/graphql", other), now=later)).outcome == "run"
    await http.post("/graphql", json=CREATE_CANDIDATE, headers=_keyed("k-6"))
    assert await row_count(models.IdempotencyKey) == 2
    result = await run_retention(now=utcnow() + KEY_TTL + timedelta(seconds=1))
    assert result.idempotency_keys_expired == 1  # k-6; k-5 was claimed again "later" and lives on
    assert await row_count(models.IdempotencyKey) == 1


async def test_a_batch_with_a_mutation_is_keyed_as_one_request(http):
    connector = bearer(service_token("ats", "candidates:write", "candidates:read"))
    batch = [CREATE_CANDIDATE, {"query": "{ candidates(first: 5) { totalCount } }"}]
    first = await http.post("/graphql", json=batch, headers=_keyed("batch-1", connector))
    again = await http.post("/graphql", json=batch, headers=_keyed("batch-1", connector))
    assert first.status_code == 200 and first.json()[0]["data"]["candidateCreate"]["errors"] == []
    assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content
    assert await row_count(models.Candidate) == 1


async def test_kpi_imports_keep_their_own_key_under_the_header(http):
    from tests.test_kpi_import import IMPORT, _record, _workforce

    workforce = await _workforce(GraphQLClient())
    records = [_record(workforce["employees"][0], workforce["error_rate"], "2026-04", 0.4)]
    body = {"query": IMPORT, "variables": {"input": {"idempotencyKey": "erp-batch-7", "records": records}}}
    first = (await http.post("/graphql", json=body, headers=_keyed("h-1"))).json()
    assert first["data"]["kpiRecordsImport"]["kpiImport"]["rowsWritten"] == 1
    assert first["data"]["kpiRecordsImport"]["kpiImport"]["replayed"] is False
    replayed_by_header = await http.post("/graphql", json=body, headers=_keyed("h-1"))
    assert replayed_by_header.headers.get("idempotent-replayed") == "true"
    # another header key (or none): the import's own key replays its first result, writing nothing
    for headers in (_keyed("h-2"), hr_admin_headers()):
        answer = (await http.post("/graphql", json=body, headers=headers)).json()
        assert answer["data"]["kpiRecordsImport"]["kpiImport"]["replayed"] is True
    assert await row_count(models.KpiRecord) == 1
