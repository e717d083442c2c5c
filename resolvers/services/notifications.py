"""E-mails that reach candidates: the invitation, and one reminder before the invitation expires.

The rules, in one place:

- ``queue_candidate_mail`` runs in the transaction that creates the interview: it writes one delivery row per
  kind (invitation due now, reminder due ``HRGATE_REMINDER_HOURS_BEFORE_EXPIRY`` before expiry) holding the
  sealed token, and sends the invitation's job after commit. A row is written before anything is sent, so a
  broker or worker failure loses nothing: ``sweep`` sends jobs for due rows nobody picked up.
- ``deliver`` (the job) claims a row with a compare-and-set (``queued → sending``); only one worker can win,
  and a redelivered or duplicate job finds the row taken or finished and does nothing. Nothing is ever sent
  from a final state (``DELIVERY_FINAL``), so no e-mail goes out twice.
- A transient failure (timeout, no connection, 4xx) puts the row back to ``queued`` and asks for a retry
  (the actor backs off exponentially); the last attempt, a permanent refusal (5xx) or a refused recipient
  (``bounced``) end it with the reason. A worker that dies mid-send leaves ``sending``; after the claim
  lease the sweep ends it as ``failed`` (interrupted) instead of sending again, since the server may already
  have accepted it.
- A reminder is skipped when the interview was submitted, expired or withdrawn; the candidate can opt out.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import Enum

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import jobs
from gateway.db import UnitOfWork, read_session, unit_of_work
from gateway.invitation_links import LinkKeyError, seal, unseal
from gateway.mail import MailTransport, PermanentMailError, RecipientRejected, TransientMailError
from gateway.models import (
    Application,
    Candidate,
    Interview,
    InterviewNotification,
    InterviewQuestion,
    Question,
    Requisition,
)
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, DeliveryStatus, InterviewStatus, NotificationKind
from gateway.settings import Settings
from resolvers.services.audit import record_audit
from resolvers.services.candidate_interview import candidate_actor, open_invitation
from resolvers.services.invitations import invitation_url
from resolvers.services.mail_templates import MailContent, render

logger = logging.getLogger(__name__)

SEND_ACTOR = "notification_send"
CLAIM_LEASE = timedelta(minutes=15)
"""A claim older than this belongs to a worker that died (the actor's time limit is far shorter)."""
SWEEP_GRACE = timedelta(minutes=15)
"""The sweep leaves a queued row alone this long after it last changed: its own job (or retry, whose backoff
is capped below this) is still coming."""
SWEEP_BATCH = 500
REMINDABLE = (InterviewStatus.INVITED, InterviewStatus.IN_PROGRESS, InterviewStatus.FAILED)
"""Statuses in which the candidate still has something to do (a failed interview reopens for re-upload)."""
INTERRUPTED = (
    "interrupted while sending (the worker stopped); not sent again, because the mail server may already have"
    " accepted it"
)


class Outcome(str, Enum):
    """What one ``deliver`` call did."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    BOUNCED = "bounced"
    SKIPPED = "skipped"
    NOT_CLAIMED = "not_claimed"
    """Someone else has it, it is finished, or it is not due yet: nothing was done."""


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reason: str | None = None


@dataclass(frozen=True)
class SweepResult:
    enqueued_ids: list[int] = field(default_factory=list)
    interrupted_ids: list[int] = field(default_factory=list)


def _message_id(interview_id: int, kind: NotificationKind, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "hrgate.invalid"
    return f"<hrgate-interview-{interview_id}-{kind.value}-{secrets.token_hex(6)}@{domain}>"


async def queue_candidate_mail(
    interview: Interview, token: str, *, uow: UnitOfWork, settings: Settings
) -> list[InterviewNotification]:
    """Queue the invitation (sent after commit) and the reminder (sent by the sweep when due)."""
    session = uow.session
    application = await session.get(Application, interview.application_id)
    assert application is not None
    candidate = await session.get(Candidate, application.candidate_id)
    assert candidate is not None
    now = utcnow()
    sealed = seal(token, settings=settings)
    reminder_due = interview.expires_at - timedelta(hours=settings.reminder_hours_before_expiry)
    reminder_too_late = reminder_due <= now
    rows = [
        InterviewNotification(
            interview_id=interview.id,
            kind=NotificationKind.INVITATION,
            recipient=candidate.email,
            due_at=now,
            message_id=_message_id(interview.id, NotificationKind.INVITATION, settings.mail_from),
            sealed_link=sealed,
        ),
        InterviewNotification(
            interview_id=interview.id,
            kind=NotificationKind.REMINDER,
            status=DeliveryStatus.SKIPPED if reminder_too_late else DeliveryStatus.QUEUED,
            status_reason=(
                f"the invitation is open for less than {settings.reminder_hours_before_expiry} hours: no reminder"
                if reminder_too_late
                else None
            ),
            recipient=candidate.email,
            due_at=reminder_due,
            message_id=_message_id(interview.id, NotificationKind.REMINDER, settings.mail_from),
            sealed_link=None if reminder_too_late else sealed,
        ),
    ]
    session.add_all(rows)
    await session.flush()
    invitation_id = rows[0].id
    uow.after_commit(lambda: jobs.send(SEND_ACTOR, invitation_id))
    return rows


async def _claim(notification_id: int, now: datetime) -> bool:
    async with unit_of_work() as uow:
        result = await uow.session.exec(
            update(InterviewNotification)
            .where(
                col(InterviewNotification.id) == notification_id,
                col(InterviewNotification.status) == DeliveryStatus.QUEUED,
                col(InterviewNotification.due_at) <= now,
            )
            .values(
                status=DeliveryStatus.SENDING,
                attempts=col(InterviewNotification.attempts) + 1,
                claimed_at=now,
                updated_at=now,
            )
        )
        return result.rowcount == 1


async def _finish(
    notification_id: int,
    status: DeliveryStatus,
    *,
    reason: str | None,
    recipient: str | None = None,
    sent_at: datetime | None = None,
) -> None:
    """Record the result of a claimed row (only the claim holder's ``sending`` row is changed)."""
    values: dict[str, object] = {"status": status, "status_reason": reason, "updated_at": utcnow()}
    if status is not DeliveryStatus.QUEUED:
        values["sealed_link"] = None  # final: the database keeps no way to open the interview
    if recipient is not None:
        values["recipient"] = recipient
    if sent_at is not None:
        values["sent_at"] = sent_at
    async with unit_of_work() as uow:
        result = await uow.session.exec(
            update(InterviewNotification)
            .where(
                col(InterviewNotification.id) == notification_id,
                col(InterviewNotification.status) == DeliveryStatus.SENDING,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            logger.warning("notification %s was no longer ours to finish (status %s)", notification_id, status.value)


@dataclass(frozen=True)
class _Prepared:
    content: MailContent | None
    skip_reason: str | None = None
    failure: str | None = None


async def _prepare(notification_id: int, *, session: AsyncSession, settings: Settings, now: datetime) -> _Prepared:
    """The message to send, or why none should be sent (decided from the data as it is now)."""
    row = await session.get(InterviewNotification, notification_id)
    assert row is not None
    interview = await session.get(Interview, row.interview_id)
    assert interview is not None
    application = await session.get(Application, interview.application_id)
    assert application is not None
    candidate = await session.get(Candidate, application.candidate_id)
    requisition = await session.get(Requisition, application.requisition_id)
    assert candidate is not None and requisition is not None
    if candidate.erased_at is not None or row.sealed_link is None:
        return _Prepared(None, skip_reason="the candidate's personal data was erased")
    if interview.expires_at <= now:
        return _Prepared(None, skip_reason="the invitation expired before the e-mail was sent")
    if application.stage is not ApplicationStage.AI_INTERVIEW:
        return _Prepared(None, skip_reason=f"the application moved on ({application.stage.value}): no longer invited")
    if row.kind is NotificationKind.REMINDER and interview.status not in REMINDABLE:
        return _Prepared(None, skip_reason=f"the interview was already submitted ({interview.status.value})")
    try:
        token = unseal(row.sealed_link, settings=settings)
    except LinkKeyError as error:
        return _Prepared(None, failure=str(error))
    limits = (
        await session.exec(
            select(Question.time_limit_seconds)
            .join(InterviewQuestion, col(InterviewQuestion.question_id) == Question.id)
            .where(InterviewQuestion.interview_id == interview.id)
            .order_by(col(InterviewQuestion.position))
        )
    ).all()
    return _Prepared(
        MailContent(
            kind=row.kind,
            candidate_name=candidate.full_name,
            recipient=candidate.email,
            sender=settings.mail_from,
            message_id=row.message_id,
            requisition_title=requisition.title,
            invitation_url=invitation_url(settings.public_base_url, token),
            expires_at=interview.expires_at,
            question_time_limits_seconds=tuple(limits),
            reminder_hours_before_expiry=settings.reminder_hours_before_expiry,
        )
    )


def _looks_like_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain and not any(character.isspace() for character in address))


async def deliver(
    notification_id: int,
    *,
    transport: MailTransport,
    settings: Settings,
    last_attempt: bool = True,
    now: datetime | None = None,
) -> Delivery:
    """Send one queued e-mail at most once; see the module's docstring for the states."""
    now = now or utcnow()
    if not await _claim(notification_id, now):
        return Delivery(Outcome.NOT_CLAIMED)
    handed_over = False
    try:
        async with read_session() as session:  # closed before the server is spoken to; the row stays ``sending``
            prepared = await _prepare(notification_id, session=session, settings=settings, now=now)
        if prepared.skip_reason is not None:
            await _finish(notification_id, DeliveryStatus.SKIPPED, reason=prepared.skip_reason)
            return Delivery(Outcome.SKIPPED, prepared.skip_reason)
        if prepared.failure is not None or prepared.content is None:
            await _finish(notification_id, DeliveryStatus.FAILED, reason=prepared.failure)
            return Delivery(Outcome.FAILED, prepared.failure)
        content = prepared.content
        if not _looks_like_address(content.recipient):
            reason = f"not a deliverable e-mail address: {content.recipient!r}"
            await _finish(notification_id, DeliveryStatus.BOUNCED, reason=reason, recipient=content.recipient)
            return Delivery(Outcome.BOUNCED, reason)
        message = render(content, now=utcnow())
        handed_over = True
        try:
            await asyncio.to_thread(transport.send, message)
        except RecipientRejected as error:
            await _finish(notification_id, DeliveryStatus.BOUNCED, reason=error.reason, recipient=content.recipient)
            return Delivery(Outcome.BOUNCED, error.reason)
        except PermanentMailError as error:
            await _finish(notification_id, DeliveryStatus.FAILED, reason=error.reason, recipient=content.recipient)
            return Delivery(Outcome.FAILED, error.reason)
        except TransientMailError as error:
            if last_attempt:
                reason = f"gave up after the last attempt: {error.reason}"
                await _finish(notification_id, DeliveryStatus.FAILED, reason=reason, recipient=content.recipient)
                return Delivery(Outcome.FAILED, reason)
            await _finish(notification_id, DeliveryStatus.QUEUED, reason=f"will retry: {error.reason}")
            return Delivery(Outcome.RETRY, error.reason)
        await _finish(notification_id, DeliveryStatus.SENT, reason=None, recipient=content.recipient, sent_at=utcnow())
        return Delivery(Outcome.SENT)
    except Exception as error:
        if not handed_over:  # nothing reached the server: give the row back for the retry, or end it on the last
            reason = f"an internal error stopped it: {type(error).__name__}: {error}"
            status = DeliveryStatus.FAILED if last_attempt else DeliveryStatus.QUEUED
            await _finish(notification_id, status, reason=reason if last_attempt else f"will retry: {reason}")
        raise


async def sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """Send jobs for due rows nobody picked up (reminders, lost jobs), end interrupted sends, and skip the
    reminders of interviews already submitted or expired."""
    now = now or utcnow()
    async with unit_of_work() as uow:
        session = uow.session
        interrupted = list(
            (
                await session.exec(
                    select(InterviewNotification.id)
                    .where(
                        col(InterviewNotification.status) == DeliveryStatus.SENDING,
                        col(InterviewNotification.claimed_at) < now - CLAIM_LEASE,
                    )
                    .limit(batch)
                )
            ).all()
        )
        if interrupted:
            await session.exec(
                update(InterviewNotification)
                .where(
                    col(InterviewNotification.id).in_(interrupted),
                    col(InterviewNotification.status) == DeliveryStatus.SENDING,
                )
                .values(status=DeliveryStatus.FAILED, status_reason=INTERRUPTED, sealed_link=None, updated_at=now)
            )
        for reason, interviews in (
            (
                "the interview was already submitted: nothing to remind of",
                select(Interview.id).where(col(Interview.status).not_in(REMINDABLE)),
            ),
            ("the invitation expired", select(Interview.id).where(col(Interview.expires_at) <= now)),
        ):  # set-based, so HR reads the reminder's fate soon after submission, not only once it falls due
            await session.exec(
                update(InterviewNotification)
                .where(
                    col(InterviewNotification.kind) == NotificationKind.REMINDER,
                    col(InterviewNotification.status) == DeliveryStatus.QUEUED,
                    col(InterviewNotification.interview_id).in_(interviews),
                )
                .values(status=DeliveryStatus.SKIPPED, status_reason=reason, sealed_link=None, updated_at=now)
            )
        due = list(
            (
                await session.exec(
                    select(InterviewNotification.id)
                    .where(
                        col(InterviewNotification.status) == DeliveryStatus.QUEUED,
                        col(InterviewNotification.due_at) <= now,
                        col(InterviewNotification.updated_at) <= now - SWEEP_GRACE,
                    )
                    .order_by(col(InterviewNotification.due_at), col(InterviewNotification.id))
                    .limit(batch)
                )
            ).all()
        )
        if due:  # touched, so the next sweep leaves them to these jobs for the grace period
            await session.exec(
                update(InterviewNotification).where(col(InterviewNotification.id).in_(due)).values(updated_at=now)
            )
        for notification_id in due:
            uow.after_commit(lambda notification_id=notification_id: jobs.send(SEND_ACTOR, notification_id))
    return SweepResult(enqueued_ids=due, interrupted_ids=interrupted)


async def opt_out_of_reminders(token: str, *, uow: UnitOfWork) -> tuple[Interview, DeliveryStatus | None]:
    """The candidate turns reminders off (with the invitation token); a reminder already sent stays sent."""
    interview, _application = await open_invitation(token, session=uow.session, allowed=tuple(InterviewStatus))
    await uow.session.exec(
        update(InterviewNotification)
        .where(
            col(InterviewNotification.interview_id) == interview.id,
            col(InterviewNotification.kind) == NotificationKind.REMINDER,
            col(InterviewNotification.status) == DeliveryStatus.QUEUED,
        )
        .values(
            status=DeliveryStatus.OPTED_OUT,
            status_reason="the candidate turned reminders off",
            sealed_link=None,
            updated_at=utcnow(),
        )
    )
    reminder = (
        await uow.session.exec(
            select(InterviewNotification.status).where(
                InterviewNotification.interview_id == interview.id,
                InterviewNotification.kind == NotificationKind.REMINDER,
            )
        )
    ).first()
    record_audit(
        session=uow.session,
        actor=candidate_actor(interview),
        action="interview.reminders_opt_out",
        entity_type="Interview",
        entity_id=interview.id,
        details={"reminder_status": reminder.value if reminder is not None else None},
    )
    return interview, reminder
