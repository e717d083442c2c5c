"""Mutations on competency models and KPIs."""

from __future__ import annotations

import strawberry

from resolvers.services import competency as competency_service
from resolvers.services import kpi as kpi_service
from resolvers.services import kpi_priorities as kpi_priorities_service
from schema.context import Info
from schema.enums import KpiDirection, PeriodKind
from schema.ids import decode_id
from schema.mutations.common import UserError, run_mutation
from schema.mutations.inputs import input_data
from schema.permissions import Action, can_write
from schema.types.competency import CompetencyModel, CompetencyModelVersion, DimensionKpiLink
from schema.types.kpi import KpiDefinition


@strawberry.input(description="A question measuring a dimension.")
class QuestionInput:
    prompt_zh: str
    prompt_en: str
    time_limit_seconds: int = 120
    rubric_keywords: list[str] = strawberry.field(default_factory=list)
    excellent_answers: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A weighted dimension; the weights of a version must sum to 1.")
class DimensionInput:
    key: str
    name_zh: str
    name_en: str
    weight: float
    questions: list[QuestionInput]
    description_zh: str = ""
    description_en: str = ""
    development_threshold: float | None = strawberry.field(
        default=None,
        description="Interview scores below this (0–100) recommend training for the dimension; default 50.",
    )


@strawberry.input
class CompetencyModelCreateInput:
    key: str
    name_zh: str
    name_en: str
    dimensions: list[DimensionInput]
    description: str = ""
    notes: str = ""


@strawberry.type
class CompetencyModelCreatePayload:
    competency_model: CompetencyModel | None = None
    version: CompetencyModelVersion | None = None
    errors: list[UserError]


@strawberry.input
class CompetencyModelVersionCreateInput:
    model_id: strawberry.ID
    dimensions: list[DimensionInput]
    notes: str = ""


@strawberry.input(description="Replace the content of a version that no requisition has pinned yet.")
class CompetencyModelVersionUpdateInput:
    version_id: strawberry.ID
    dimensions: list[DimensionInput]
    notes: str = ""


@strawberry.type
class CompetencyModelVersionPayload:
    version: CompetencyModelVersion | None = None
    errors: list[UserError]


@strawberry.input
class KpiDefinitionCreateInput:
    key: str
    name_zh: str
    name_en: str
    unit: str
    direction: KpiDirection
    period_kind: PeriodKind


@strawberry.type
class KpiDefinitionCreatePayload:
    kpi_definition: KpiDefinition | None = None
    errors: list[UserError]


@strawberry.input
class DimensionKpiLinkCreateInput:
    dimension_id: strawberry.ID
    kpi_id: strawberry.ID


@strawberry.type
class DimensionKpiLinkCreatePayload:
    link: DimensionKpiLink | None = None
    errors: list[UserError]


@strawberry.input(
    description="A KPI linked to the version and its relative priority (≥ 0; 3 and 1 mean 75 % and 25 %)."
)
class KpiPriorityInput:
    kpi_id: strawberry.ID
    priority: float


@strawberry.input(
    description="The version's KPI priorities, replacing any set before; a linked KPI left out counts 0, and an "
    "empty list restores equal priorities."
)
class CompetencyModelVersionKpiPrioritiesSetInput:
    model_version_id: strawberry.ID
    priorities: list[KpiPriorityInput]


def _content(input: CompetencyModelVersionCreateInput | CompetencyModelVersionUpdateInput) -> dict:
    return {"notes": input.notes, "dimensions": input_data(input.dimensions)}


@strawberry.type
class CompetencyMutations:
    @strawberry.mutation(
        description="Create a competency model with its first version.",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def competency_model_create(
        self, info: Info, input: CompetencyModelCreateInput
    ) -> CompetencyModelCreatePayload:
        async def operation(uow):
            return await competency_service.create_competency_model(
                input_data(input), session=uow.session, actor=info.context.actor
            )

        result, errors = await run_mutation(operation)
        if result is None:
            return CompetencyModelCreatePayload(errors=errors)
        model, version = result
        return CompetencyModelCreatePayload(
            competency_model=CompetencyModel.from_row(model),
            version=CompetencyModelVersion.from_row(version),
            errors=[],
        )

    @strawberry.mutation(
        description="Add the next version of a competency model.",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def competency_model_version_create(
        self, info: Info, input: CompetencyModelVersionCreateInput
    ) -> CompetencyModelVersionPayload:
        async def operation(uow):
            model_id = decode_id(input.model_id, "CompetencyModel", "modelId")
            return await competency_service.create_version(
                _content(input), model_id, session=uow.session, actor=info.context.actor
            )

        version, errors = await run_mutation(operation)
        return CompetencyModelVersionPayload(version=CompetencyModelVersion.from_optional_row(version), errors=errors)

    @strawberry.mutation(
        description="Edit a version that is not pinned yet (pinned versions are frozen).",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def competency_model_version_update(
        self, info: Info, input: CompetencyModelVersionUpdateInput
    ) -> CompetencyModelVersionPayload:
        async def operation(uow):
            version_id = decode_id(input.version_id, "CompetencyModelVersion", "versionId")
            return await competency_service.update_version(
                _content(input), version_id, session=uow.session, actor=info.context.actor
            )

        version, errors = await run_mutation(operation)
        return CompetencyModelVersionPayload(version=CompetencyModelVersion.from_optional_row(version), errors=errors)

    @strawberry.mutation(
        description="Set how much each linked KPI counts when re-weighting proposals combine validities per KPI. "
        "Allowed on frozen versions: priorities steer proposals only, never scoring. Audited.",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def competency_model_version_kpi_priorities_set(
        self, info: Info, input: CompetencyModelVersionKpiPrioritiesSetInput
    ) -> CompetencyModelVersionPayload:
        async def operation(uow):
            version_id = decode_id(input.model_version_id, "CompetencyModelVersion", "modelVersionId")
            priorities = [
                (decode_id(item.kpi_id, "KpiDefinition", f"priorities.{index}.kpiId"), item.priority)
                for index, item in enumerate(input.priorities)
            ]
            return await kpi_priorities_service.set_kpi_priorities(
                version_id, priorities, session=uow.session, actor=info.context.actor
            )

        version, errors = await run_mutation(operation)
        return CompetencyModelVersionPayload(version=CompetencyModelVersion.from_optional_row(version), errors=errors)

    @strawberry.mutation(
        description="Define a KPI.",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def kpi_definition_create(self, info: Info, input: KpiDefinitionCreateInput) -> KpiDefinitionCreatePayload:
        async def operation(uow):
            return await kpi_service.create_kpi_definition(
                input_data(input), session=uow.session, actor=info.context.actor
            )

        kpi, errors = await run_mutation(operation)
        return KpiDefinitionCreatePayload(kpi_definition=KpiDefinition.from_optional_row(kpi), errors=errors)

    @strawberry.mutation(
        description="Link a dimension to a KPI it should predict.",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def dimension_kpi_link_create(
        self, info: Info, input: DimensionKpiLinkCreateInput
    ) -> DimensionKpiLinkCreatePayload:
        async def operation(uow):
            dimension_id = decode_id(input.dimension_id, "Dimension", "dimensionId")
            kpi_id = decode_id(input.kpi_id, "KpiDefinition", "kpiId")
            return await kpi_service.link_dimension_to_kpi(
                dimension_id, kpi_id, session=uow.session, actor=info.context.actor
            )

        link, errors = await run_mutation(operation)
        return DimensionKpiLinkCreatePayload(link=DimensionKpiLink.from_optional_row(link), errors=errors)
