"""Training and development mutations: the catalogue, recommendations, plan items, completions, departures.

``TrainingMutations`` joins the root ``Mutation``. The rules are in ``resolvers.services.training``,
``resolvers.services.development`` and ``resolvers.services.training_completion_import``.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from gateway.models.enums import RecommendationKind
from resolvers.errors import DomainError, FieldError
from resolvers.errors import ErrorCode as DomainErrorCode
from resolvers.services import development as development_service
from resolvers.services import kpi_import as kpi_import_service
from resolvers.services import training as training_service
from resolvers.services import training_completion_import as completion_import_service
from schema.context import Info
from schema.enums import ErrorCode
from schema.ids import decode_id, encode_id
from schema.mutations.common import UserError, run_mutation
from schema.mutations.inputs import input_data
from schema.permissions import Action, can_write
from schema.types.competency import Dimension
from schema.types.employee import Employee
from schema.types.training import (
    DeliveryMode,
    DevelopmentPlanItem,
    DevelopmentRecommendation,
    PlanItemStatus,
    TrainingProgramme,
)


@strawberry.input(description="A programme by its LMS course code: created the first time, updated after.")
class TrainingProgrammeUpsertInput:
    key: str = strawberry.field(description="The LMS's course code, e.g. FIN-101 (letters, digits, _ . : -).")
    name_zh: str
    name_en: str
    provider: str
    duration_hours: float
    delivery_mode: DeliveryMode
    model_version_id: strawberry.ID = strawberry.field(
        description="The competency model version whose dimensions the programme develops."
    )
    dimension_ids: list[strawberry.ID] = strawberry.field(
        description="Dimensions of that version (1–20); they replace the programme's previous ones."
    )
    description: str = ""


@strawberry.type
class TrainingProgrammeUpsertPayload:
    programme: TrainingProgramme | None = None
    created: bool | None = None
    errors: list[UserError]


@strawberry.input
class DimensionDevelopmentThresholdSetInput:
    dimension_id: strawberry.ID
    threshold: float | None = strawberry.field(
        description="0–100: interview scores below it recommend training; null restores the default (50)."
    )


@strawberry.type
class DimensionDevelopmentThresholdSetPayload:
    dimension: Dimension | None = None
    errors: list[UserError]


@strawberry.input
class DevelopmentRecommendationsGenerateInput:
    employee_id: strawberry.ID
    period: str | None = strawberry.field(
        default=None, description="Only KPI results of this period (2026, 2026-Q3, 2026-09); all by default."
    )


@strawberry.type
class DevelopmentRecommendationsGeneratePayload:
    recommendations: list[DevelopmentRecommendation] | None = None
    errors: list[UserError]


@strawberry.input(description="Accept into the plan; a different programme, due date and notes make it an edit.")
class DevelopmentRecommendationAcceptInput:
    recommendation_id: strawberry.ID
    due_date: date
    programme_id: strawberry.ID | None = strawberry.field(
        default=None, description="Another programme than the one recommended (training only)."
    )
    notes: str = ""


@strawberry.input
class DevelopmentRecommendationRejectInput:
    recommendation_id: strawberry.ID
    reason: str


@strawberry.type
class DevelopmentRecommendationPayload:
    recommendation: DevelopmentRecommendation | None = None
    plan_item: DevelopmentPlanItem | None = None
    errors: list[UserError]


@strawberry.input(description="A programme HR adds to an employee's plan without a recommendation.")
class DevelopmentPlanItemCreateInput:
    employee_id: strawberry.ID
    programme_id: strawberry.ID
    due_date: date
    notes: str = ""


@strawberry.input(description="Change the due date, the status (not to COMPLETED: record a completion) or notes.")
class DevelopmentPlanItemUpdateInput:
    plan_item_id: strawberry.ID
    due_date: date | None = None
    status: PlanItemStatus | None = None
    notes: str | None = None


@strawberry.type
class DevelopmentPlanItemPayload:
    plan_item: DevelopmentPlanItem | None = None
    errors: list[UserError]


@strawberry.input(description="HR records that an employee completed a programme of their plan.")
class TrainingCompletionRecordInput:
    employee_id: strawberry.ID
    programme_id: strawberry.ID
    completed_on: date


@strawberry.input(description="One completion reported by the LMS.")
class TrainingCompletionImportRowInput:
    employee_number: str
    programme_key: str
    completed_on: date


@strawberry.input
class TrainingCompletionsImportInput:
    idempotency_key: str = strawberry.field(
        description="The LMS's batch id (≤ 200 characters): the same key and rows again return the first result."
    )
    completions: list[TrainingCompletionImportRowInput] = strawberry.field(description="At most 5,000 rows.")


@strawberry.type(description="Why one row of a completions import was refused.")
class TrainingCompletionImportRowError:
    row: int = strawberry.field(description="1-based position in completions.")
    field: str | None
    message: str
    code: ErrorCode


@strawberry.type(description="What a completions import wrote and refused; a replay of the same key returns it.")
class TrainingCompletionImport:
    idempotency_key: str
    replayed: bool
    rows_received: int
    rows_written: int
    rows_unchanged: int = strawberry.field(description="Completions already recorded on the same day.")
    rows_refused: int
    plan_item_ids: list[relay.GlobalID] = strawberry.field(description="The plan items completed now, in row order.")
    row_errors: list[TrainingCompletionImportRowError]
    created_at: datetime

    @classmethod
    def from_result(
        cls, result: completion_import_service.CompletionImportResult | None
    ) -> TrainingCompletionImport | None:
        if result is None:
            return None
        return cls(
            idempotency_key=result.idempotency_key,
            replayed=result.replayed,
            rows_received=result.rows_received,
            rows_written=result.rows_written,
            rows_unchanged=result.rows_unchanged,
            rows_refused=result.rows_refused,
            plan_item_ids=[encode_id("DevelopmentPlanItem", item_id) for item_id in result.plan_item_ids],
            row_errors=[
                TrainingCompletionImportRowError(
                    row=error.row, field=error.field, message=error.message, code=error.code
                )
                for error in result.row_errors
            ],
            created_at=result.created_at,
        )


@strawberry.type
class TrainingCompletionsImportPayload:
    completion_import: TrainingCompletionImport | None = None
    errors: list[UserError]


@strawberry.input(description="The employee's last day; their open plan items are cancelled.")
class EmployeeDepartureRecordInput:
    employee_id: strawberry.ID
    departed_on: date


@strawberry.type
class EmployeeDepartureRecordPayload:
    employee: Employee | None = None
    errors: list[UserError]


def _decoded_ids(values: list[strawberry.ID], type_name: str, field: str) -> list[int]:
    ids, errors = [], []
    for position, value in enumerate(values):
        try:
            ids.append(decode_id(value, type_name, f"{field}.{position}"))
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    return ids


@strawberry.type
class TrainingMutations:
    @strawberry.mutation(
        description="Create or update a training programme by its LMS course code (HR, or the LMS with "
        "learning:write); its dimensions must belong to the named competency model version.",
        permission_classes=can_write(Action.TRAINING_CATALOGUE),
    )
    async def training_programme_upsert(
        self, info: Info, input: TrainingProgrammeUpsertInput
    ) -> TrainingProgrammeUpsertPayload:
        async def operation(uow):
            version_id = decode_id(input.model_version_id, "CompetencyModelVersion", "modelVersionId")
            dimension_ids = _decoded_ids(input.dimension_ids, "Dimension", "dimensionIds")
            data = {
                key: value
                for key, value in input_data(input).items()
                if key not in ("model_version_id", "dimension_ids")
            }
            return await training_service.upsert_programme(
                data,
                model_version_id=version_id,
                dimension_ids=dimension_ids,
                session=uow.session,
                actor=info.context.actor,
            )

        result, errors = await run_mutation(operation, retry_on_conflict=True)
        if result is None:
            return TrainingProgrammeUpsertPayload(errors=errors)
        programme, created = result
        return TrainingProgrammeUpsertPayload(
            programme=TrainingProgramme.from_row(programme), created=created, errors=[]
        )

    @strawberry.mutation(
        description="Set the interview score below which a dimension recommends training (frozen versions too: "
        "it steers recommendations, never scoring).",
        permission_classes=can_write(Action.COMPETENCY),
    )
    async def dimension_development_threshold_set(
        self, info: Info, input: DimensionDevelopmentThresholdSetInput
    ) -> DimensionDevelopmentThresholdSetPayload:
        async def operation(uow):
            dimension_id = decode_id(input.dimension_id, "Dimension", "dimensionId")
            return await training_service.set_development_threshold(
                dimension_id, input.threshold, session=uow.session, actor=info.context.actor
            )

        dimension, errors = await run_mutation(operation)
        return DimensionDevelopmentThresholdSetPayload(dimension=Dimension.from_optional_row(dimension), errors=errors)

    @strawberry.mutation(
        description="Recommend programmes (low interview scores, low score and missed KPI) and process reviews "
        "(high score, missed KPI) from the employee's evidence; returns the open recommendations.",
        permission_classes=can_write(Action.DEVELOPMENT_PLAN),
    )
    async def development_recommendations_generate(
        self, info: Info, input: DevelopmentRecommendationsGenerateInput
    ) -> DevelopmentRecommendationsGeneratePayload:
        async def operation(uow):
            employee_id = decode_id(input.employee_id, "Employee", "employeeId")
            return await development_service.generate_recommendations(
                employee_id, session=uow.session, actor=info.context.actor, period=input.period
            )

        rows, errors = await run_mutation(operation, retry_on_conflict=True)
        return DevelopmentRecommendationsGeneratePayload(
            recommendations=[DevelopmentRecommendation.from_row(row) for row in rows] if rows is not None else None,
            errors=errors,
        )

    @strawberry.mutation(
        description="Accept a recommendation into the employee's plan (optionally edited).",
        permission_classes=can_write(Action.DEVELOPMENT_PLAN),
    )
    async def development_recommendation_accept(
        self, info: Info, input: DevelopmentRecommendationAcceptInput
    ) -> DevelopmentRecommendationPayload:
        async def operation(uow):
            recommendation_id = decode_id(input.recommendation_id, "DevelopmentRecommendation", "recommendationId")
            programme_id = (
                decode_id(input.programme_id, "TrainingProgramme", "programmeId") if input.programme_id else None
            )
            return await development_service.accept_recommendation(
                recommendation_id,
                due_date=input.due_date,
                programme_id=programme_id,
                notes=input.notes,
                session=uow.session,
                actor=info.context.actor,
            )

        result, errors = await run_mutation(operation)
        if result is None:
            return DevelopmentRecommendationPayload(errors=errors)
        recommendation, item = result
        return DevelopmentRecommendationPayload(
            recommendation=DevelopmentRecommendation.from_row(recommendation),
            plan_item=DevelopmentPlanItem.from_row(item),
            errors=[],
        )

    @strawberry.mutation(
        description="Reject a recommendation with a reason; generating again does not bring it back.",
        permission_classes=can_write(Action.DEVELOPMENT_PLAN),
    )
    async def development_recommendation_reject(
        self, info: Info, input: DevelopmentRecommendationRejectInput
    ) -> DevelopmentRecommendationPayload:
        async def operation(uow):
            recommendation_id = decode_id(input.recommendation_id, "DevelopmentRecommendation", "recommendationId")
            return await development_service.reject_recommendation(
                recommendation_id, reason=input.reason, session=uow.session, actor=info.context.actor
            )

        recommendation, errors = await run_mutation(operation)
        return DevelopmentRecommendationPayload(
            recommendation=DevelopmentRecommendation.from_optional_row(recommendation), errors=errors
        )

    @strawberry.mutation(
        description="Add a programme to an employee's plan (not for an employee who left or was erased).",
        permission_classes=can_write(Action.DEVELOPMENT_PLAN),
    )
    async def development_plan_item_create(
        self, info: Info, input: DevelopmentPlanItemCreateInput
    ) -> DevelopmentPlanItemPayload:
        async def operation(uow):
            employee_id = decode_id(input.employee_id, "Employee", "employeeId")
            programme_id = decode_id(input.programme_id, "TrainingProgramme", "programmeId")
            return await development_service.add_plan_item(
                employee_id,
                kind=RecommendationKind.TRAINING,
                programme_id=programme_id,
                due_date=input.due_date,
                notes=input.notes,
                session=uow.session,
                actor=info.context.actor,
            )

        item, errors = await run_mutation(operation)
        return DevelopmentPlanItemPayload(plan_item=DevelopmentPlanItem.from_optional_row(item), errors=errors)

    @strawberry.mutation(
        description="Change a plan item's due date, status or notes.",
        permission_classes=can_write(Action.DEVELOPMENT_PLAN),
    )
    async def development_plan_item_update(
        self, info: Info, input: DevelopmentPlanItemUpdateInput
    ) -> DevelopmentPlanItemPayload:
        async def operation(uow):
            item_id = decode_id(input.plan_item_id, "DevelopmentPlanItem", "planItemId")
            return await development_service.update_plan_item(
                item_id,
                due_date=input.due_date,
                status=input.status,
                notes=input.notes,
                session=uow.session,
                actor=info.context.actor,
            )

        item, errors = await run_mutation(operation)
        return DevelopmentPlanItemPayload(plan_item=DevelopmentPlanItem.from_optional_row(item), errors=errors)

    @strawberry.mutation(
        description="Record one completion of a programme in the employee's plan (the same one again changes nothing).",
        permission_classes=can_write(Action.TRAINING_COMPLETION),
    )
    async def training_completion_record(
        self, info: Info, input: TrainingCompletionRecordInput
    ) -> DevelopmentPlanItemPayload:
        async def operation(uow):
            employee_id = decode_id(input.employee_id, "Employee", "employeeId")
            programme_id = decode_id(input.programme_id, "TrainingProgramme", "programmeId")
            return await development_service.record_completion(
                employee_id, programme_id, input.completed_on, session=uow.session, actor=info.context.actor
            )

        item, errors = await run_mutation(operation)
        return DevelopmentPlanItemPayload(plan_item=DevelopmentPlanItem.from_optional_row(item), errors=errors)

    @strawberry.mutation(
        description="Import completions from the LMS: good rows complete plan items, bad rows are reported by row; "
        "idempotent by key and by employee × programme.",
        permission_classes=can_write(Action.TRAINING_COMPLETION),
    )
    async def training_completions_import(
        self, info: Info, input: TrainingCompletionsImportInput
    ) -> TrainingCompletionsImportPayload:
        async def operation(uow):
            if len(input.completions) > kpi_import_service.MAX_ROWS:
                raise kpi_import_service.too_many_rows("completions")
            content = [
                [row.employee_number, row.programme_key, row.completed_on.isoformat()] for row in input.completions
            ]
            rows = [
                completion_import_service.CompletionRow(
                    row=position,
                    employee_number=row.employee_number.strip(),
                    programme_key=row.programme_key.strip(),
                    completed_on=row.completed_on,
                    errors=[]
                    if row.employee_number.strip() and row.programme_key.strip()
                    else [FieldError(None, "employeeNumber and programmeKey are required", DomainErrorCode.REQUIRED)],
                )
                for position, row in enumerate(input.completions, start=1)
            ]
            return await completion_import_service.import_completions(
                rows,
                idempotency_key=input.idempotency_key,
                fingerprint=kpi_import_service.request_fingerprint("completions", content),
                session=uow.session,
                actor=info.context.actor,
            )

        result, errors = await run_mutation(operation, retry_on_conflict=True)
        return TrainingCompletionsImportPayload(
            completion_import=TrainingCompletionImport.from_result(result), errors=errors
        )

    @strawberry.mutation(
        description="Record an employee's last day; their open plan items are cancelled.",
        permission_classes=can_write(Action.HIRE),
    )
    async def employee_departure_record(
        self, info: Info, input: EmployeeDepartureRecordInput
    ) -> EmployeeDepartureRecordPayload:
        async def operation(uow):
            employee_id = decode_id(input.employee_id, "Employee", "employeeId")
            return await development_service.record_departure(
                employee_id, input.departed_on, session=uow.session, actor=info.context.actor
            )

        employee, errors = await run_mutation(operation)
        return EmployeeDepartureRecordPayload(employee=Employee.from_optional_row(employee), errors=errors)
