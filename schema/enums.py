"""Domain enums exposed to GraphQL under stable names."""

from __future__ import annotations

import strawberry

from gateway.models import enums
from resolvers.errors import ErrorCode as DomainErrorCode

RequisitionStatus = strawberry.enum(enums.RequisitionStatus, name="RequisitionStatus")
BusinessLine = strawberry.enum(enums.BusinessLine, name="BusinessLine")
ApplicationStage = strawberry.enum(enums.ApplicationStage, name="ApplicationStage")
InterviewStatus = strawberry.enum(enums.InterviewStatus, name="InterviewStatus")
KpiDirection = strawberry.enum(enums.KpiDirection, name="KpiDirection")
PeriodKind = strawberry.enum(enums.PeriodKind, name="PeriodKind")
ConsentKind = strawberry.enum(enums.ConsentKind, name="ConsentKind")
BackgroundCheckStatus = strawberry.enum(enums.BackgroundCheckStatus, name="BackgroundCheckStatus")
HumanDecision = strawberry.enum(enums.HumanDecision, name="HumanDecision")
ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Why a mutation input was refused.")
NotificationKind = strawberry.enum(
    enums.NotificationKind, name="NotificationKind", description="Which e-mail to the candidate."
)
DeliveryStatus = strawberry.enum(
    enums.DeliveryStatus,
    name="DeliveryStatus",
    description=(
        "Where a candidate e-mail stands: QUEUED (waiting, or waiting for a retry), SENDING, SENT, FAILED or"
        " BOUNCED (with the reason), OPTED_OUT (the candidate turned reminders off), SKIPPED (nothing to send:"
        " submitted, expired, withdrawn or erased)."
    ),
)
