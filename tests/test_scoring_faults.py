"""Faults that lose nothing (in process): lost scoring jobs are found by the sweep and scored once; a job that
exhausts its retries leaves the interview FAILED with a reason and re-scorable; a stuck interview is re-scorable
past its deadline.

The broker losing its messages (Redis restarted: it keeps nothing on disk) is the in-process broker's queues
being flushed; a worker dying mid-job is a claim that no worker finishes. The same drills on real processes
(Redis, gateways, workers, SIGKILL) are in ``tests/test_fault_drills.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import dramatiq
import pytest
from sqlalchemy import update
from sqlmodel import col, select

import workers.actors
from gateway.db import read_session, unit_of_work
from gateway.models import AuditEvent, Interview, InterviewReport
from gateway.models.base import utcnow
from gateway.settings import get_settings
from resolvers.services import scoring_records
from resolvers.services.scoring_sweep import sweep_lost_scoring_jobs
from tests import processes
from tests.db_helpers import fetch, node_id
from tests.interview_helpers import (
    RESCORE,
    SUBMIT,
    give_consent,
    invited_candidate,
    put_answer,
    teller_model,
    wait_for_status,
)
from tests.test_media_store_s3 import s3_endpoint, s3_media, use_store_settings  # noqa: F401 - fixtures
from workers.scoring_sweep import sweep_periodically

LATER = timedelta(hours=2)
"""Past both deadlines (15 and 30 minutes by default)."""


@pytest.fixture
def broker():
    """The in-process broker, emptied before and after: a test decides which messages exist."""
    workers.actors.broker.flush_all()
    yield workers.actors.broker
    workers.actors.broker.flush_all()


def start_worker() -> dramatiq.Worker:
    worker = dramatiq.Worker(workers.actors.broker, worker_threads=1)
    worker.start()
    return worker


async def submitted_interview(gql, http, model, recording: bytes):
    invited = await invited_candidate(gql, model)
    await give_consent(gql, invited.token, biometric=False)
    for question_id in invited.question_ids:
        assert (await put_answer(http, invited.token, question_id, recording)).status_code == 201
    submitted = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert submitted["errors"] == [] and submitted["invitation"]["status"] == "QUEUED"
    return invited


async def reports_of(interview_id: str) -> list[InterviewReport]:
    async with read_session() as session:
        return list(
            (
                await session.exec(select(InterviewReport).where(InterviewReport.interview_id == node_id(interview_id)))
            ).all()
        )


async def test_lost_jobs_are_queued_again_by_the_sweep_and_scored_once(gql, http, test_media, broker):
    """The Redis-restart drill: one interview QUEUED and one SCORING (its worker gone), their messages lost."""
    model = await teller_model(gql)
    recording = test_media.english_relevant_wav.read_bytes()
    queued = await submitted_interview(gql, http, model, recording)
    abandoned = await submitted_interview(gql, http, model, recording)
    broker.flush_all()  # the broker restarted and kept nothing
    assert await scoring_records.claim(node_id(abandoned.interview_id)) is not None  # then its worker died

    early = await sweep_lost_scoring_jobs()
    assert (early.requeued_ids, early.failed_ids) == ([], [])  # within the deadlines nothing is touched

    swept = await sweep_lost_scoring_jobs(now=utcnow() + LATER)
    assert sorted(swept.requeued_ids) == sorted([node_id(queued.interview_id), node_id(abandoned.interview_id)])
    assert swept.unsent_ids == [] and swept.failed_ids == []
    for invited in (queued, abandoned):
        interview = await fetch(Interview, invited.interview_id)
        assert interview.status.value == "queued" and interview.scoring_requeues == 1
        assert interview.status_reason.startswith("queued again: its scoring job was lost")
    assert broker.queues["scoring"].qsize() == 2
    again = await sweep_lost_scoring_jobs(now=utcnow() + timedelta(minutes=5))
    assert again.requeued_ids == []  # the deadline starts again at the requeue: one job per deadline, not per sweep
    workers.actors.score_interview.send(node_id(queued.interview_id))  # and the lost message turns up after all

    worker = start_worker()
    try:
        for invited in (queued, abandoned):
            interview = await wait_for_status(invited.interview_id, "scored", "failed")
            assert interview.status.value == "scored", interview.status_reason
        broker.join("scoring")
    finally:
        worker.stop()

    for invited in (queued, abandoned):
        reports = await reports_of(invited.interview_id)
        assert len(reports) == 1 and reports[0].total is not None
    assert (await fetch(Interview, queued.interview_id)).scoring_attempts == 1  # the late duplicate claimed nothing
    assert (await fetch(Interview, abandoned.interview_id)).scoring_attempts == 2
    assert (await sweep_lost_scoring_jobs(now=utcnow() + LATER)).requeued_ids == []
    async with read_session() as session:
        requeues = (await session.exec(select(AuditEvent).where(AuditEvent.action == "interview.requeue"))).all()
    assert sorted(event.details["from"] for event in requeues) == ["queued", "scoring"]


async def test_an_interview_whose_jobs_keep_getting_lost_fails_with_a_reason_and_is_rescorable(
    gql, http, test_media, broker
):
    model = await teller_model(gql)
    invited = await submitted_interview(gql, http, model, test_media.english_relevant_wav.read_bytes())
    broker.flush_all()
    limit = get_settings().scoring_sweep_max_requeues
    for round_number in range(1, limit + 1):
        swept = await sweep_lost_scoring_jobs(now=utcnow() + LATER * round_number)
        assert swept.requeued_ids == [node_id(invited.interview_id)]
        broker.flush_all()  # lost again
    swept = await sweep_lost_scoring_jobs(now=utcnow() + LATER * (limit + 1))
    assert swept.failed_ids == [node_id(invited.interview_id)] and swept.requeued_ids == []
    interview = await fetch(Interview, invited.interview_id)
    assert interview.status.value == "failed"
    assert interview.status_reason.startswith(f"scoring did not finish after its job was sent {limit + 1} times")

    rescored = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
    assert rescored["errors"] == [] and rescored["interview"]["status"] == "QUEUED"
    interview = await fetch(Interview, invited.interview_id)
    assert interview.scoring_requeues == 0 and broker.queues["scoring"].qsize() == 1


async def test_a_stuck_interview_is_rescorable_past_its_deadline_only(gql, http, test_media, broker):
    model = await teller_model(gql)
    invited = await submitted_interview(gql, http, model, test_media.english_relevant_wav.read_bytes())
    broker.flush_all()

    refused = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
    assert [error["code"] for error in refused["errors"]] == ["NOT_RESCORABLE"]
    assert "within its scoring deadline" in refused["errors"][0]["message"]

    async with unit_of_work() as uow:  # the QUEUED deadline has passed
        await uow.session.exec(
            update(Interview)
            .where(col(Interview.id) == node_id(invited.interview_id))
            .values(status_changed_at=utcnow() - LATER)
        )
    rescored = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
    assert rescored["errors"] == [] and rescored["interview"]["status"] == "QUEUED"
    assert broker.queues["scoring"].qsize() == 1
    interview = await fetch(Interview, invited.interview_id)
    assert interview.status_changed_at > utcnow() - timedelta(minutes=1)  # its deadline starts again


@pytest.mark.usefixtures("s3_media")
async def test_a_job_that_exhausts_its_retries_fails_the_interview_with_a_reason_then_it_is_rescored(
    gql, http, test_media, broker, monkeypatch
):
    """The media store is unreachable for longer than the job's retries (a transient error each time):
    ``on_retry_exhausted`` marks the interview FAILED with the error; once the store is back HR re-scores it."""
    model = await teller_model(gql)
    invited = await submitted_interview(gql, http, model, test_media.english_relevant_wav.read_bytes())
    broker.flush_all()
    endpoint = get_settings().s3_endpoint_url
    use_store_settings(monkeypatch, s3_endpoint_url=f"http://127.0.0.1:{processes.free_port()}", s3_max_attempts=1)
    workers.actors.score_interview.send_with_options(
        args=(node_id(invited.interview_id),), max_retries=1, min_backoff=100
    )
    worker = start_worker()
    try:
        interview = await wait_for_status(invited.interview_id, "failed", "scored", timeout=90)
        assert interview.status.value == "failed"
        assert interview.status_reason.startswith("scoring failed after 2 attempts (")
        assert "StorageUnavailable" in interview.status_reason and "re-score" in interview.status_reason
        assert interview.scoring_attempts == 2 and await reports_of(invited.interview_id) == []

        use_store_settings(monkeypatch, s3_endpoint_url=endpoint)  # the store is back
        rescored = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
        assert rescored["errors"] == []
        interview = await wait_for_status(invited.interview_id, "scored", "failed")
        assert interview.status.value == "scored", interview.status_reason
    finally:
        worker.stop()
    assert len(await reports_of(invited.interview_id)) == 1


async def test_the_embedded_gateway_sweeps_on_a_timer(gql, http, test_media, broker):
    """The embedded broker forgets its jobs when the gateway stops; the gateway's own timer sends them again."""
    model = await teller_model(gql)
    invited = await submitted_interview(gql, http, model, test_media.english_relevant_wav.read_bytes())
    broker.flush_all()  # the gateway restarted
    async with unit_of_work() as uow:
        await uow.session.exec(
            update(Interview)
            .where(col(Interview.id) == node_id(invited.interview_id))
            .values(status_changed_at=utcnow() - LATER)
        )
    timer = asyncio.create_task(sweep_periodically(interval_seconds=0.05, first_delay_seconds=0))
    try:
        for _ in range(200):
            if broker.queues["scoring"].qsize():
                break
            await asyncio.sleep(0.05)
    finally:
        timer.cancel()
    assert broker.queues["scoring"].qsize() == 1  # one job: the requeue restarted the deadline
    assert (await fetch(Interview, invited.interview_id)).scoring_requeues == 1
