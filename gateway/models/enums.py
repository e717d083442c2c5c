"""Enumerations and the lifecycle state machines: declarations, no I/O."""

from __future__ import annotations

from enum import Enum


class RequisitionStatus(str, Enum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class BusinessLine(str, Enum):
    RETAIL = "retail"
    CORPORATE = "corporate"
    WEALTH = "wealth"
    TREASURY = "treasury"
    RISK = "risk"
    OPERATIONS = "operations"
    TECHNOLOGY = "technology"


class ApplicationStage(str, Enum):
    SCREENING = "screening"
    AI_INTERVIEW = "ai_interview"
    SECOND_INTERVIEW = "second_interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


_CLOSING = {ApplicationStage.REJECTED, ApplicationStage.WITHDRAWN}

APPLICATION_TRANSITIONS: dict[ApplicationStage, frozenset[ApplicationStage]] = {
    ApplicationStage.SCREENING: frozenset({ApplicationStage.AI_INTERVIEW, *_CLOSING}),
    ApplicationStage.AI_INTERVIEW: frozenset({ApplicationStage.SECOND_INTERVIEW, *_CLOSING}),
    ApplicationStage.SECOND_INTERVIEW: frozenset({ApplicationStage.OFFER, *_CLOSING}),
    ApplicationStage.OFFER: frozenset({ApplicationStage.HIRED, *_CLOSING}),
    ApplicationStage.HIRED: frozenset(),
    ApplicationStage.REJECTED: frozenset(),
    ApplicationStage.WITHDRAWN: frozenset(),
}
"""Forward-only pipeline; any open stage may end in rejected or withdrawn; end stages are final."""


def can_move_application(current: ApplicationStage, target: ApplicationStage) -> bool:
    return target in APPLICATION_TRANSITIONS[current]


class InterviewStatus(str, Enum):
    INVITED = "invited"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    QUEUED = "queued"
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"


INTERVIEW_TRANSITIONS: dict[InterviewStatus, frozenset[InterviewStatus]] = {
    InterviewStatus.INVITED: frozenset({InterviewStatus.IN_PROGRESS, InterviewStatus.FAILED}),
    InterviewStatus.IN_PROGRESS: frozenset({InterviewStatus.SUBMITTED, InterviewStatus.FAILED}),
    InterviewStatus.SUBMITTED: frozenset({InterviewStatus.QUEUED}),
    InterviewStatus.QUEUED: frozenset({InterviewStatus.SCORING, InterviewStatus.FAILED}),
    InterviewStatus.SCORING: frozenset({InterviewStatus.SCORED, InterviewStatus.FAILED, InterviewStatus.QUEUED}),
    InterviewStatus.SCORED: frozenset({InterviewStatus.QUEUED}),
    InterviewStatus.FAILED: frozenset({InterviewStatus.QUEUED, InterviewStatus.IN_PROGRESS}),
}
"""Scored and failed interviews may be queued again (rescore, re-submit after a bad upload)."""


def can_move_interview(current: InterviewStatus, target: InterviewStatus) -> bool:
    return target in INTERVIEW_TRANSITIONS[current]


class KpiDirection(str, Enum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class PeriodKind(str, Enum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class ConsentKind(str, Enum):
    DATA_PROCESSING = "data_processing"
    AI_PROCESSING = "ai_processing"
    BIOMETRIC = "biometric"


class BackgroundCheckStatus(str, Enum):
    PENDING = "pending"
    CLEAR = "clear"
    CONSIDER = "consider"
    FAILED = "failed"


class HumanDecision(str, Enum):
    ADVANCE = "advance"
    HOLD = "hold"
    REJECT = "reject"


class ReviewRequestKind(str, Enum):
    EXPLANATION = "explanation"
    HUMAN_REVIEW = "human_review"


class ReviewRequestStatus(str, Enum):
    OPEN = "open"
    RESOLVED = "resolved"


class ProposalStatus(str, Enum):
    PROPOSED = "proposed"
    APPLIED = "applied"
    REJECTED = "rejected"


class NotificationKind(str, Enum):
    """The e-mails a candidate receives about one interview: each at most once."""

    INVITATION = "invitation"
    REMINDER = "reminder"


class DeliveryStatus(str, Enum):
    """Where one candidate e-mail stands.

    ``queued`` → ``sending`` (claimed by one worker) → ``sent`` | ``failed`` | ``bounced``; a transient failure
    returns it to ``queued`` for the next attempt. ``opted_out`` (the candidate turned reminders off) and
    ``skipped`` (nothing left to remind of: submitted, expired, withdrawn) end it without sending.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"
    SKIPPED = "skipped"


DELIVERY_FINAL = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.OPTED_OUT,
        DeliveryStatus.SKIPPED,
    }
)
"""No e-mail is ever sent from these states again."""
