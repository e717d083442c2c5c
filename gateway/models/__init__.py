"""All SQLModel tables, in one place. Never exposed to GraphQL directly: schema types map from them."""

from sqlmodel import SQLModel

from gateway.models.analytics import CandidateSelfReport, KpiImport, ReweightingProposal
from gateway.models.analytics_summary import RequisitionMonthSummary, RequisitionSummaryState
from gateway.models.audit import AuditEvent
from gateway.models.candidate import Application, ApplicationStageChange, Candidate, ConsentRecord
from gateway.models.competency import CompetencyModel, CompetencyModelVersion, Dimension, Question
from gateway.models.employee import Employee, OnboardingArchive
from gateway.models.interview import (
    Answer,
    DimensionScore,
    Interview,
    InterviewQuestion,
    InterviewReport,
    ReviewRequest,
)
from gateway.models.kpi import DimensionKpiLink, KpiAssignment, KpiDefinition, KpiPriority, KpiRecord
from gateway.models.notification import InterviewNotification
from gateway.models.requisition import Requisition

# Registers the flush hooks that keep the analytics counting columns (``counting``'s docstring).
from gateway.models import counting  # noqa: E402, F401  isort: skip
from gateway.models import kpi_outcomes  # noqa: E402, F401  isort: skip

metadata = SQLModel.metadata

__all__ = [
    "Answer",
    "Application",
    "ApplicationStageChange",
    "AuditEvent",
    "CandidateSelfReport",
    "Candidate",
    "CompetencyModel",
    "CompetencyModelVersion",
    "ConsentRecord",
    "Dimension",
    "DimensionKpiLink",
    "DimensionScore",
    "Employee",
    "Interview",
    "InterviewQuestion",
    "InterviewNotification",
    "InterviewReport",
    "KpiAssignment",
    "KpiDefinition",
    "KpiImport",
    "KpiPriority",
    "KpiRecord",
    "OnboardingArchive",
    "Question",
    "Requisition",
    "RequisitionMonthSummary",
    "RequisitionSummaryState",
    "ReviewRequest",
    "ReweightingProposal",
    "metadata",
]
