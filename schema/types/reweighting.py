"""Re-weighting proposals as GraphQL types: current and proposed weights, the evidence per KPI, suggestions.

The numbers come from ``resolvers.analytics.reweighting`` (stored on the proposal row when it is created).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from gateway import models
from gateway.models import enums
from resolvers.analytics import reweighting as rw
from schema.context import Info
from schema.enums import BusinessLine, KpiDirection
from schema.permissions import Resource
from schema.types.base import RowNode
from schema.types.competency import CompetencyModelVersion

ProposalStatus = strawberry.enum(enums.ProposalStatus, name="ProposalStatus")


@strawberry.type(description="A dimension's weight, current or proposed (fractions summing to 1).")
class DimensionWeight:
    dimension_key: str
    weight: float


ValidityEvidence = strawberry.enum(
    rw.Evidence,
    name="ValidityEvidence",
    description="What one dimension–KPI link says once r is shrunk by its uncertainty (the 95 % interval).",
)
WeightBasis = strawberry.enum(rw.Basis, name="WeightBasis", description="Why a dimension's weight moved or stayed.")


@strawberry.type(
    description="One linked KPI's validity for a dimension: r oriented so that positive means better performance "
    "(fewer errors for a lower-is-better KPI), its 95 % interval, and the conservative value the proposal used "
    "(the interval's end nearest 0; 0 when the interval includes 0: no evidence)."
)
class KpiValidity:
    kpi_id: relay.GlobalID
    kpi_key: str
    kpi_name: str
    kpi_name_zh: str
    direction: KpiDirection
    priority_share: float = strawberry.field(
        description="The KPI's share of HR's priorities in this proposal (0 when not used)."
    )
    r: float | None
    n: int
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    conservative_r: float | None
    evidence: ValidityEvidence
    explanation: str

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> KpiValidity:
        return cls(
            kpi_id=relay.GlobalID("KpiDefinition", str(entry["kpiId"])),
            kpi_key=entry["kpiKey"],
            kpi_name=entry["nameEn"],
            kpi_name_zh=entry["nameZh"],
            direction=enums.KpiDirection.LOWER_IS_BETTER
            if entry["lowerIsBetter"]
            else enums.KpiDirection.HIGHER_IS_BETTER,
            priority_share=entry["priorityShare"],
            r=entry.get("r"),
            n=entry.get("n", 0),
            ci_lower=entry.get("ciLower"),
            ci_upper=entry.get("ciUpper"),
            p_value=entry.get("pValue"),
            conservative_r=entry.get("conservativeR"),
            evidence=rw.Evidence(entry["evidence"]),
            explanation=entry["explanation"],
        )


def _basis(entry: dict[str, Any]) -> rw.Basis:
    """Proposals made before KPI priorities stored no basis: read it from what they did store."""
    if "basis" in entry:
        return rw.Basis(entry["basis"])
    if entry.get("enoughData"):
        return rw.Basis.MEASURED
    return rw.Basis.NOT_ENOUGH_DATA if entry.get("kpiKeys") else rw.Basis.NO_LINKED_KPI


@strawberry.type(
    description="Why a weight changes: each linked KPI's validity, their combination by HR's KPI priorities, and "
    "the sentence explaining it. `r`, `n`, `ciLower`, `ciUpper`, `pValue` and `enoughData` are those of the main "
    "link (largest priority share, then most hires); `kpis` has every link."
)
class WeightEvidence:
    dimension_key: str
    kpi_keys: list[str]
    current_weight: float
    proposed_weight: float
    change: float = strawberry.field(description="proposedWeight − currentWeight, rounded to 4 decimals.")
    basis: WeightBasis
    combined_validity: float | None = strawberry.field(
        description="Σ priority share × conservative r over the KPIs used; null when the weight is kept unmeasured."
    )
    kpis: list[KpiValidity]
    r: float | None
    n: int
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    enough_data: bool
    explanation: str

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> WeightEvidence:
        return cls(
            dimension_key=entry["dimensionKey"],
            kpi_keys=list(entry.get("kpiKeys", [])),
            current_weight=entry["currentWeight"],
            proposed_weight=entry["proposedWeight"],
            change=entry.get("change", round(entry["proposedWeight"] - entry["currentWeight"], 4)),
            basis=_basis(entry),
            combined_validity=entry.get("combinedValidity"),
            kpis=[KpiValidity.from_entry(item) for item in entry.get("kpis", [])],
            r=entry.get("r"),
            n=entry.get("n", 0),
            ci_lower=entry.get("ciLower"),
            ci_upper=entry.get("ciUpper"),
            p_value=entry.get("pValue"),
            enough_data=bool(entry.get("enoughData")),
            explanation=entry["explanation"],
        )


@strawberry.type(
    description="Advice on the question bank of a dimension that no KPI it counts for supports (no evidence that "
    "it predicts them, or evidence against)."
)
class QuestionSuggestion:
    dimension_key: str
    suggestion: str


@strawberry.type(description="The hires a proposal's validities were measured on (null: not narrowed).")
class ProposalCohort:
    period: str | None
    department: str | None
    business_line: BusinessLine | None


def _weights(weights: dict[str, float]) -> list[DimensionWeight]:
    return [DimensionWeight(dimension_key=key, weight=value) for key, value in weights.items()]


@strawberry.type(description="Proposed dimension weights for a competency model version, from measured validity.")
class ReweightingProposal(RowNode):
    table = models.ReweightingProposal
    resource = Resource.EMPLOYEE
    id: relay.NodeID[int]
    status: ProposalStatus
    decided_by: str | None
    decided_at: datetime | None
    notes: str
    created_at: datetime
    model_version_id: strawberry.Private[int]
    applied_version_id: strawberry.Private[int | None]
    current_weights_raw: strawberry.Private[dict[str, float]]
    proposed_weights_raw: strawberry.Private[dict[str, float]]
    evidence_raw: strawberry.Private[list[dict[str, Any]]]
    suggestions_raw: strawberry.Private[list[dict[str, Any]]]
    cohort_raw: strawberry.Private[dict[str, str]]
    row_attributes = {
        "cohort_raw": "cohort",
        "current_weights_raw": "current_weights",
        "proposed_weights_raw": "proposed_weights",
        "evidence_raw": "evidence",
        "suggestions_raw": "question_suggestions",
    }

    @strawberry.field(description="The hires the validities were measured on.")
    def cohort(self) -> ProposalCohort:
        line = self.cohort_raw.get("business_line")
        return ProposalCohort(
            period=self.cohort_raw.get("period"),
            department=self.cohort_raw.get("department"),
            business_line=enums.BusinessLine(line) if line else None,
        )

    @strawberry.field
    def current_weights(self) -> list[DimensionWeight]:
        return _weights(self.current_weights_raw)

    @strawberry.field
    def proposed_weights(self) -> list[DimensionWeight]:
        return _weights(self.proposed_weights_raw)

    @strawberry.field
    def evidence(self) -> list[WeightEvidence]:
        return [WeightEvidence.from_entry(entry) for entry in self.evidence_raw or []]

    @strawberry.field
    def question_suggestions(self) -> list[QuestionSuggestion]:
        return [
            QuestionSuggestion(dimension_key=item["dimensionKey"], suggestion=item["suggestion"])
            for item in self.suggestions_raw or []
        ]

    @strawberry.field(description="The version the proposal was measured on.")
    async def model_version(self, info: Info) -> CompetencyModelVersion:
        row = await info.context.loaders.by_id(models.CompetencyModelVersion).load(self.model_version_id)
        return CompetencyModelVersion.from_row(row)

    @strawberry.field(description="The version created when the proposal was applied.")
    async def applied_version(self, info: Info) -> CompetencyModelVersion | None:
        if self.applied_version_id is None:
            return None
        row = await info.context.loaders.by_id(models.CompetencyModelVersion).load(self.applied_version_id)
        return CompetencyModelVersion.from_optional_row(row)
