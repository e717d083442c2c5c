"""When an interview waiting for scoring has lost its job: the deadlines the scoring sweep and
``interviewRescore`` share.

A job is presumed lost when the interview stayed QUEUED longer than ``HRGATE_SCORING_QUEUED_DEADLINE_SECONDS``
(no worker claimed it: the broker dropped the message, or the submit could not reach the broker) or SCORING
longer than ``HRGATE_SCORING_SCORING_DEADLINE_SECONDS`` (its worker and every redelivery are gone).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.models import Interview
from gateway.models.base import utcnow
from gateway.models.enums import InterviewStatus
from gateway.settings import get_settings

SCORING_SWEEP = "the scoring sweep"
"""How logs name the remedy for a job the broker did not take."""


def deadlines() -> dict[InterviewStatus, timedelta]:
    """How long an interview may wait in each status before its job is presumed lost."""
    settings = get_settings()
    return {
        InterviewStatus.QUEUED: timedelta(seconds=settings.scoring_queued_deadline_seconds),
        InterviewStatus.SCORING: timedelta(seconds=settings.scoring_scoring_deadline_seconds),
    }


def job_lost(interview: Interview, *, now: datetime | None = None) -> bool:
    """The interview waits in QUEUED or SCORING past its deadline."""
    deadline = deadlines().get(interview.status)
    if deadline is None:
        return False
    since = interview.status_changed_at or interview.submitted_at or interview.created_at
    return since <= (now or utcnow()) - deadline
