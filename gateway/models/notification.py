"""E-mails to candidates: one delivery row per interview and kind (invitation, reminder).

The row is written in the transaction that creates the interview (so nothing is lost if the broker or a
worker fails), and a worker claims it with a compare-and-set before sending (so nothing is sent twice).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import UTCDateTime, created_at_field, enum_field, timestamp_field, utcnow
from gateway.models.enums import DeliveryStatus, NotificationKind


class InterviewNotification(SQLModel, table=True):
    """One e-mail to the candidate about an interview, and how its delivery went."""

    __tablename__ = "interview_notification"
    __table_args__ = (
        sa.UniqueConstraint("interview_id", "kind"),
        sa.Index("ix_interview_notification_status_due_at", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    kind: NotificationKind = enum_field(NotificationKind)
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.QUEUED)
    recipient: str = Field(max_length=320)
    """The candidate's address when the e-mail was queued."""
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    """Not sent before this (a reminder: the configured hours before the invitation expires)."""
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """How many times a worker claimed it (each SMTP attempt counts)."""
    status_reason: str | None = Field(default=None, sa_type=sa.Text)
    """Why it failed, bounced or was skipped (the server's reply, e.g. ``550 5.1.1 user unknown``), or the
    last transient failure while it waits for a retry."""
    message_id: str = Field(max_length=255)
    """The ``Message-ID`` header, fixed when queued: a receiving system sees one message whatever happens."""
    sealed_link: str | None = Field(default=None, sa_type=sa.Text)
    """The invitation token, encrypted with ``HRGATE_INVITATION_LINK_KEY``; cleared once the e-mail reached a
    final state (the database keeps only the token's hash after that)."""
    claimed_at: datetime | None = timestamp_field()
    sent_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True, sa_column_kwargs={"onupdate": utcnow}
    )
