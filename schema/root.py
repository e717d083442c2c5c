"""The root schema: Query, Mutation and (later) Subscription, with every node type registered."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.analytics_query import AnalyticsQuery
from schema.document_cache import DOCUMENT_CACHES
from schema.error_logging import HrSchema
from schema.input_guard import NulCharacterGuard
from schema.limits import LIMITS
from schema.live_fanout import SharedEventExecutor
from schema.mutations.analytics import AnalyticsMutations
from schema.mutations.competency import CompetencyMutations
from schema.mutations.decisions import DecisionMutations
from schema.mutations.interview import InterviewMutations
from schema.mutations.kpi_import import KpiImportMutations
from schema.mutations.privacy import PrivacyMutations, PrivacyQuery
from schema.mutations.recruiting import RecruitingMutations
from schema.mutations.training import TrainingMutations
from schema.mutations.webhooks import WebhookMutations, WebhookQuery
from schema.mutations.workforce import WorkforceMutations
from schema.production import ProductionErrorMasking, ProductionValidation
from schema.query import Query
from schema.read_planner import CompiledReads
from schema.subscription import Subscription
from schema.types.candidate import ApplicationStageChange, ConsentRecord
from schema.types.competency import Question
from schema.types.employee import OnboardingArchive
from schema.types.interview import Answer, DimensionScore, InterviewQuestion, InterviewReport
from schema.types.kpi import KpiAssignment, KpiRecord
from schema.types.notification import InterviewNotification
from schema.types.reweighting import ReweightingProposal
from schema.types.training import DevelopmentPlanItem, DevelopmentRecommendation, TrainingProgramme
from schema.types.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@strawberry.type
class Mutation(
    CompetencyMutations,
    RecruitingMutations,
    InterviewMutations,
    WorkforceMutations,
    PrivacyMutations,
    AnalyticsMutations,
    KpiImportMutations,
    DecisionMutations,
    TrainingMutations,
    WebhookMutations,
):
    pass


@strawberry.type(name="Query")
class RootQuery(Query, PrivacyQuery, AnalyticsQuery, WebhookQuery):
    pass


NODE_TYPES = [
    Answer,
    ApplicationStageChange,
    ConsentRecord,
    DevelopmentPlanItem,
    DevelopmentRecommendation,
    DimensionScore,
    InterviewNotification,
    InterviewQuestion,
    InterviewReport,
    KpiAssignment,
    KpiRecord,
    OnboardingArchive,
    Question,
    ReweightingProposal,
    TrainingProgramme,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
]


def build_schema() -> strawberry.Schema:
    """One schema per process (relay fields cannot be shared by two); production hardening is per request."""
    return HrSchema(
        query=RootQuery,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=[
            *LIMITS,
            *DOCUMENT_CACHES,
            NulCharacterGuard,
            ProductionValidation,
            ProductionErrorMasking,
            CompiledReads,
        ],
        config=StrawberryConfig(batching_config={"max_operations": 5}),
        execution_context_class=SharedEventExecutor,
    )


schema = build_schema()
