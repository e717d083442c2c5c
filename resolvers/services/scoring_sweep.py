"""The scoring sweep: interviews whose scoring job was lost are queued again, so a broker outage delays
scoring but never loses it.

A job is lost when the broker dropped its message (Redis restarted: it keeps nothing on disk), when a submit
could not reach the broker (the submission is committed, the send is logged), or when a job died without
leaving a mark (a database outage longer than its retries). ``scoring_deadlines.job_lost`` decides; the sweep
moves such an interview back to QUEUED (a worker still on a SCORING one stops at its next step, ``ClaimLost``),
commits, then sends one job. It is idempotent with the workers: the claim is a compare-and-set, so a message
that was only late, not lost, and the sweep's second one produce one report.

An interview queued again ``HRGATE_SCORING_SWEEP_MAX_REQUEUES`` times without finishing is marked FAILED with a
reason; ``interviewRescore`` queues it again once someone has looked.

Gateways on the embedded broker run the sweep on a timer (``workers.scoring_sweep.schedule_sweep``); production
runs ``hrgate scoring-sweep`` from cron. Two sweeps at once are harmless: rows are locked with SKIP LOCKED on
PostgreSQL, and SQLite serialises writers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import col, select

from gateway import jobs
from gateway.db import unit_of_work
from gateway.metrics import record_scoring_outcome
from gateway.models import Interview
from gateway.models.base import utcnow
from gateway.models.enums import InterviewStatus
from gateway.settings import get_settings
from resolvers.services.audit import SYSTEM, record_audit
from resolvers.services.candidate_interview import SCORING_ACTOR
from resolvers.services.interview_status import move_interview
from resolvers.services.scoring_deadlines import SCORING_SWEEP, deadlines

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
"""Interviews handled per sweep; a larger backlog is finished by the next runs."""
REQUEUED_REASON = "queued again: its scoring job was lost (a broker or worker outage); scoring resumes shortly"


def exhausted_reason(requeues: int) -> str:
    return (
        f"scoring did not finish after its job was sent {requeues + 1} times; "
        "a recruiter can re-score it once the cause is fixed"
    )


@dataclass
class ScoringSweepResult:
    requeued_ids: list[int] = field(default_factory=list)
    """Queued again and a job sent."""
    unsent_ids: list[int] = field(default_factory=list)
    """Queued again, but the broker took no job: left for the next sweep, which tries again at once."""
    failed_ids: list[int] = field(default_factory=list)
    """Marked FAILED: their jobs were lost too often."""


async def sweep_lost_scoring_jobs(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> ScoringSweepResult:
    """Queue again (and send a job for) every interview whose job is lost; fail those lost too often."""
    now = now or utcnow()
    settings = get_settings()
    since = sa.func.coalesce(Interview.status_changed_at, Interview.submitted_at, Interview.created_at)
    lost = sa.or_(
        *(sa.and_(col(Interview.status) == status, since <= now - deadline) for status, deadline in deadlines().items())
    )
    result = ScoringSweepResult()
    previous: dict[int, datetime | None] = {}
    async with unit_of_work() as uow:
        interviews = (
            await uow.session.exec(
                select(Interview)
                .where(lost, col(Interview.submitted_at).is_not(None))
                .order_by(since)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for interview in interviews:
            was = interview.status
            if interview.scoring_requeues >= settings.scoring_sweep_max_requeues:
                move_interview(
                    interview, InterviewStatus.FAILED, uow=uow, reason=exhausted_reason(interview.scoring_requeues)
                )
                submitted_at = interview.submitted_at
                uow.after_commit(
                    lambda submitted_at=submitted_at: record_scoring_outcome("failed", submitted_at=submitted_at)
                )
                result.failed_ids.append(interview.id)
                action = "interview.failed"
            else:
                previous[interview.id] = interview.status_changed_at
                move_interview(interview, InterviewStatus.QUEUED, uow=uow, reason=REQUEUED_REASON)
                interview.status_changed_at = now
                interview.scoring_requeues += 1
                result.requeued_ids.append(interview.id)
                action = "interview.requeue"
            record_audit(
                session=uow.session,
                actor=SYSTEM,
                action=action,
                entity_type="Interview",
                entity_id=interview.id,
                details={"from": was.value, "requeues": interview.scoring_requeues},
            )
    for interview_id in list(result.requeued_ids):
        if not jobs.send_or_defer(SCORING_ACTOR, interview_id, deferred_to=SCORING_SWEEP):
            result.requeued_ids.remove(interview_id)
            result.unsent_ids.append(interview_id)
    if result.unsent_ids:
        await _undo_requeues(result.unsent_ids, previous)
    if result.requeued_ids or result.unsent_ids or result.failed_ids:
        logger.warning(
            "scoring sweep: %d interview(s) queued again, %d left for the next sweep (broker unavailable), "
            "%d failed after too many lost jobs",
            len(result.requeued_ids),
            len(result.unsent_ids),
            len(result.failed_ids),
        )
    return result


async def _undo_requeues(interview_ids: list[int], previous: dict[int, datetime | None]) -> None:
    """A requeue whose job the broker did not take does not count: the interview keeps its old clock, so the
    next sweep tries again at once, and the broker's outage uses up none of its requeues."""
    async with unit_of_work() as uow:
        for interview_id in interview_ids:
            await uow.session.exec(
                update(Interview)
                .where(col(Interview.id) == interview_id, col(Interview.status) == InterviewStatus.QUEUED)
                .values(status_changed_at=previous[interview_id], scoring_requeues=Interview.scoring_requeues - 1)
            )
