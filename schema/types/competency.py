"""Competency models, versions, dimensions and questions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gateway import models
from schema.context import Info
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.read_specs import ChildList, FromColumns, RowReference, compiled
from schema.types.base import RowNode

if TYPE_CHECKING:
    from schema.types.kpi import KpiDefinition


@strawberry.type(description="A job profile such as teller; its content lives in immutable versions.")
class CompetencyModel(RowNode):
    table = models.CompetencyModel
    id: relay.NodeID[int]
    key: str
    name_zh: str
    name_en: str
    description: str
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When the row last changed (incremental sync).")

    @strawberry.field(metadata=compiled(ChildList(models.CompetencyModelVersion, "model_id")))
    async def versions(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[CompetencyModelVersion]:
        return await child_connection(
            info,
            models.CompetencyModelVersion,
            models.CompetencyModelVersion.model_id,
            self.id,
            CompetencyModelVersion.from_row,
            first=first,
            after=after,
        )


@strawberry.type(description="One version of a competency model; frozen once a requisition pins it.")
class CompetencyModelVersion(RowNode):
    table = models.CompetencyModelVersion
    id: relay.NodeID[int]
    version: int
    notes: str
    frozen_at: datetime | None
    created_at: datetime
    model_id: strawberry.Private[int]

    @strawberry.field(
        description="True once a requisition pinned this version: it can no longer change.",
        metadata=compiled(FromColumns(("frozen_at",), lambda frozen_at: frozen_at is not None)),
    )
    def frozen(self) -> bool:
        return self.frozen_at is not None

    @strawberry.field(metadata=compiled(RowReference(parent_column="model_id")))
    async def model(self, info: Info) -> CompetencyModel:
        return CompetencyModel.from_row(await info.context.loaders.by_id(models.CompetencyModel).load(self.model_id))

    @strawberry.field(
        metadata=compiled(ChildList(models.Dimension, "model_version_id")),
        description="Weighted dimensions, in display order; weights sum to 1.",
    )
    async def dimensions(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Dimension]:
        return await child_connection(
            info,
            models.Dimension,
            models.Dimension.model_version_id,
            self.id,
            Dimension.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="How much each linked KPI counts when re-weighting proposals combine validities (set by HR "
        "with `competencyModelVersionKpiPrioritiesSet`; equal when unset)."
    )
    async def kpi_priorities(self, info: Info) -> list[KpiPriority]:
        priorities = await info.context.loaders.kpi_priorities().load(self.id)
        return [
            KpiPriority(kpi_id=item.kpi_id, priority=item.priority, share=item.share, is_default=item.is_default)
            for item in priorities
        ]


@strawberry.type(description="A KPI's priority on a competency model version: it steers re-weighting proposals only.")
class KpiPriority:
    kpi_id: strawberry.Private[int]
    priority: float = strawberry.field(
        description="As HR set it (relative, ≥ 0), 1 by default, 0 for a linked KPI left out of a set."
    )
    share: float = strawberry.field(description="The priority over the sum of the version's priorities (0 to 1).")
    is_default: bool = strawberry.field(description="True while HR has set no priorities on the version.")

    @strawberry.field
    async def kpi(self, info: Info) -> Annotated[KpiDefinition, strawberry.lazy("schema.types.kpi")]:
        from schema.types.kpi import KpiDefinition

        return KpiDefinition.from_row(await info.context.loaders.by_id(models.KpiDefinition).load(self.kpi_id))


@strawberry.type(description="A weighted competency, e.g. numeracy 40 %, with its questions and linked KPIs.")
class Dimension(RowNode):
    table = models.Dimension
    id: relay.NodeID[int]
    key: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    weight: float
    position: int
    development_threshold: float | None = strawberry.field(
        description="Interview scores below this recommend training for the dimension (null: the default, 50)."
    )
    model_version_id: strawberry.Private[int]

    @strawberry.field(metadata=compiled(RowReference(parent_column="model_version_id")))
    async def model_version(self, info: Info) -> CompetencyModelVersion:
        row = await info.context.loaders.by_id(models.CompetencyModelVersion).load(self.model_version_id)
        return CompetencyModelVersion.from_row(row)

    @strawberry.field(metadata=compiled(ChildList(models.Question, "dimension_id")))
    async def questions(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Question]:
        return await child_connection(
            info, models.Question, models.Question.dimension_id, self.id, Question.from_row, first=first, after=after
        )

    @strawberry.field(
        metadata=compiled(ChildList(models.DimensionKpiLink, "dimension_id")),
        description="KPIs this dimension should predict.",
    )
    async def kpi_links(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[DimensionKpiLink]:
        return await child_connection(
            info,
            models.DimensionKpiLink,
            models.DimensionKpiLink.dimension_id,
            self.id,
            DimensionKpiLink.from_row,
            first=first,
            after=after,
        )


@strawberry.type(description="A link stating that a dimension should predict a KPI.")
class DimensionKpiLink(RowNode):
    table = models.DimensionKpiLink
    id: relay.NodeID[int]
    created_at: datetime
    dimension_id: strawberry.Private[int]
    kpi_id: strawberry.Private[int]

    @strawberry.field(metadata=compiled(RowReference(parent_column="dimension_id")))
    async def dimension(self, info: Info) -> Dimension:
        return Dimension.from_row(await info.context.loaders.by_id(models.Dimension).load(self.dimension_id))

    @strawberry.field(metadata=compiled(RowReference(parent_column="kpi_id")))
    async def kpi(self, info: Info) -> Annotated[KpiDefinition, strawberry.lazy("schema.types.kpi")]:
        from schema.types.kpi import KpiDefinition

        return KpiDefinition.from_row(await info.context.loaders.by_id(models.KpiDefinition).load(self.kpi_id))


@strawberry.type(description="An interview question measuring one dimension, with rubric keywords and model answers.")
class Question(RowNode):
    table = models.Question
    id: relay.NodeID[int]
    prompt_zh: str
    prompt_en: str
    time_limit_seconds: int
    rubric_keywords: list[str]
    excellent_answers: list[str]
    position: int
    dimension_id: strawberry.Private[int]

    @strawberry.field(metadata=compiled(RowReference(parent_column="dimension_id")))
    async def dimension(self, info: Info) -> Dimension:
        return Dimension.from_row(await info.context.loaders.by_id(models.Dimension).load(self.dimension_id))
