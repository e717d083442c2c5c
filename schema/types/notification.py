"""Candidate e-mails about an interview and how their delivery went (read by HR on the interview)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gateway import models
from schema.enums import DeliveryStatus, NotificationKind
from schema.permissions import Resource
from schema.types.base import RowNode


@strawberry.type(description="One e-mail to the candidate (the invitation or the reminder) and its delivery status.")
class InterviewNotification(RowNode):
    table = models.InterviewNotification
    resource = Resource.CANDIDATE
    id: relay.NodeID[int]
    kind: NotificationKind
    status: DeliveryStatus
    status_reason: str | None = strawberry.field(
        description="Why it failed, bounced or was skipped (e.g. the server's reply), or the last transient failure."
    )
    recipient: str = strawberry.field(description="The address it was (or will be) sent to.")
    due_at: datetime = strawberry.field(description="Not sent before this (reminders: before the deadline).")
    attempts: int
    sent_at: datetime | None = strawberry.field(description="When the mail server accepted it.")
    created_at: datetime
    updated_at: datetime
