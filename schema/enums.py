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
