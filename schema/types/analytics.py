"""Analytics answers as GraphQL types: funnel, distributions, validity, utility, predictions, adverse impact.

Re-weighting proposals have their own module, ``schema.types.reweighting``.

Numbers come from ``resolvers.analytics.statistics``; where a sample is under the minimum n the
statistic is null and ``enoughData`` false, with a ``note`` saying why.
"""

from __future__ import annotations

import strawberry
from strawberry import relay

from gateway.models import enums
from resolvers.analytics import reports
from resolvers.analytics import statistics as st
from resolvers.analytics.prediction import PerformancePrediction as PerformancePredictionData
from resolvers.analytics.queries import EmployeeKpiResult as EmployeeKpiResultData
from resolvers.analytics.utility import SelectionUtility as SelectionUtilityData
from resolvers.analytics.utility import UtilityStatus
from resolvers.analytics.utility_queries import UtilityScope
from schema.analytics_utility import read_selection_utilities
from schema.context import Info
from schema.enums import KpiDirection
from schema.mutations.common import UserError

SelectionUtilityStatus = strawberry.enum(
    UtilityStatus, name="SelectionUtilityStatus", description="Why a selection utility figure is given or not."
)


@strawberry.type(description="One histogram bin [lower, upper) of interview totals.")
class HistogramBin:
    lower: float
    upper: float
    count: int


@strawberry.type(
    description="Histogram and five-number summary with mean and standard deviation (null when empty, and withheld "
    "with `enoughData: false` for groups under the minimum size, HRGATE_ANALYTICS_MIN_GROUP_SIZE, default 5)."
)
class ScoreDistribution:
    bins: list[HistogramBin]
    n: int
    mean: float | None
    standard_deviation: float | None
    minimum: float | None
    quartile_1: float | None
    median: float | None
    quartile_3: float | None
    maximum: float | None
    enough_data: bool = strawberry.field(
        description="False when fewer candidates than the minimum group size were scored: then only n is given."
    )
    note: str | None = strawberry.field(description="Why the statistics are withheld.")

    @classmethod
    def from_data(cls, data: st.Distribution) -> ScoreDistribution:
        values = dict(data.__dict__)
        values["bins"] = [HistogramBin(lower=b.lower, upper=b.upper, count=b.count) for b in data.bins]
        return cls(**values)


@strawberry.type(description="Applications that reached a stage, as a share of all and of the previous stage.")
class StagePassRate:
    stage: str
    reached: int
    share_of_applications: float | None
    rate_from_previous: float | None


@strawberry.type(description="Mean interview score of one dimension across the requisition's latest reports.")
class DimensionMean:
    dimension_key: str
    n: int
    mean: float | None
    standard_deviation: float | None
    enough_data: bool = strawberry.field(
        description="False when fewer candidates than the minimum group size were scored: then only n is given."
    )
    note: str | None = strawberry.field(description="Why the statistics are withheld.")

    @classmethod
    def from_data(cls, data: st.DimensionMean) -> DimensionMean:
        return cls(
            dimension_key=data.key,
            n=data.n,
            mean=data.mean,
            standard_deviation=data.standard_deviation,
            enough_data=data.enough_data,
            note=data.note,
        )


_STRONGEST = (
    "The top dimensions by mean, strongest first: min(3, n ÷ 2 rounded down) of the n dimensions with a mean, "
    "so never a weakest one too (with an odd n the middle dimension is in neither list)."
)
_WEAKEST = "The bottom dimensions by mean, weakest first: as many as strongestDimensions, never one of them."


def _funnel(data: reports.RequisitionAnalytics) -> dict:
    """The fields a requisition's and a cohort's analytics share."""
    return {
        "pass_rates": [StagePassRate(**rate.__dict__) for rate in data.pass_rates],
        "totals": ScoreDistribution.from_data(data.totals),
        "dimensions": [DimensionMean.from_data(item) for item in data.dimension_means],
        "strongest_dimensions": [DimensionMean.from_data(item) for item in data.strongest],
        "weakest_dimensions": [DimensionMean.from_data(item) for item in data.weakest],
    }


@strawberry.type(
    description="A requisition's funnel, the distribution of interview totals, strongest/weakest dimensions."
)
class RequisitionAnalytics:
    requisition_id: relay.GlobalID
    pass_rates: list[StagePassRate]
    totals: ScoreDistribution
    dimensions: list[DimensionMean]
    strongest_dimensions: list[DimensionMean] = strawberry.field(description=_STRONGEST)
    weakest_dimensions: list[DimensionMean] = strawberry.field(description=_WEAKEST)

    @classmethod
    def from_data(cls, data: reports.RequisitionAnalytics) -> RequisitionAnalytics:
        return cls(
            requisition_id=relay.GlobalID("Requisition", str(data.requisition_id)),
            **_funnel(data),
        )


@strawberry.type(description="A correlation with n, 95 % Fisher-z interval and p-value; null under the minimum n.")
class CorrelationEstimate:
    method: str
    n: int
    r: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    enough_data: bool
    note: str

    @classmethod
    def from_data(cls, data: st.Correlation) -> CorrelationEstimate:
        return cls(**data.__dict__)


@strawberry.type(
    description="Interview scores of one dimension against hires' results on a linked KPI "
    "(oriented: positive r means higher score, better performance, also for lower-is-better KPIs)."
)
class DimensionKpiCorrelation:
    dimension_key: str
    kpi_id: relay.GlobalID
    kpi_key: str
    pearson: CorrelationEstimate
    spearman: CorrelationEstimate

    @classmethod
    def from_data(cls, data: reports.DimensionKpiCorrelation) -> DimensionKpiCorrelation:
        return cls(
            dimension_key=data.dimension_key,
            kpi_id=relay.GlobalID("KpiDefinition", str(data.kpi_id)),
            kpi_key=data.kpi_key,
            pearson=CorrelationEstimate.from_data(data.pearson),
            spearman=CorrelationEstimate.from_data(data.spearman),
        )


@strawberry.type(
    description="Brogden–Cronbach–Gleser utility: the expected KPI gain per hire of selecting top-down by the "
    "interview total instead of at random, ΔU = r · SD_y · φ(z_c) / SR with z_c = Φ⁻¹(1 − SR). Gains are in "
    "the KPI's raw unit and oriented (positive = better: more of a higher-is-better KPI, less of a "
    "lower-is-better one); null unless `status` is OK or NO_SELECTION. r is measured among hires "
    "(range-restricted, uncorrected): a conservative estimate."
)
class SelectionUtility:
    kpi_id: relay.GlobalID
    kpi_key: str
    kpi_name: str
    kpi_name_zh: str
    unit: str
    direction: KpiDirection
    status: SelectionUtilityStatus
    enough_data: bool = strawberry.field(description="True when status is OK or NO_SELECTION (a gain of 0).")
    note: str
    n: int = strawberry.field(description="Hires with a scored interview and a KPI result: the validity's sample.")
    applicants: int = strawberry.field(
        description="Applications to the version's requisitions whose latest report has a total."
    )
    hires: int = strawberry.field(description="Of those, the hired (stage hired, or an employee made from it).")
    selection_ratio: float | None = strawberry.field(
        description="The ratio used: selectionRatio, or hires ÷ applicants."
    )
    selection_ratio_given: bool
    validity: float | None = strawberry.field(
        description="Pearson r of the interview total against the raw KPI result, oriented: positive = better."
    )
    validity_ci_lower: float | None = strawberry.field(description="95 % Fisher-z interval of the validity.")
    validity_ci_upper: float | None
    validity_p_value: float | None
    kpi_mean: float | None = strawberry.field(description="The hires' mean KPI result, raw unit.")
    kpi_standard_deviation: float | None = strawberry.field(
        description="SD_y: the hires' KPI spread (n − 1), raw unit."
    )
    cutoff_z: float | None = strawberry.field(description="z_c = Φ⁻¹(1 − SR); null at SR = 1.")
    mean_selected_z: float | None = strawberry.field(
        description="φ(z_c) / SR: the mean standard interview score of those selected."
    )
    gain_per_hire: float | None
    gain_ci_lower: float | None = strawberry.field(description="The validity's 95 % interval carried through ΔU.")
    gain_ci_upper: float | None
    explanation: str
    explanation_zh: str

    @classmethod
    def from_data(cls, data: SelectionUtilityData) -> SelectionUtility:
        values = {name: value for name, value in data.__dict__.items() if name != "kpi"}
        return cls(
            kpi_id=relay.GlobalID("KpiDefinition", str(data.kpi.kpi_id)),
            kpi_key=data.kpi.key,
            kpi_name=data.kpi.name_en,
            kpi_name_zh=data.kpi.name_zh,
            unit=data.kpi.unit,
            direction=(
                enums.KpiDirection.LOWER_IS_BETTER if data.kpi.lower_is_better else enums.KpiDirection.HIGHER_IS_BETTER
            ),
            enough_data=data.enough_data,
            **values,
        )


@strawberry.type
class SelectionUtilityResult:
    utility: SelectionUtility | None = None
    errors: list[UserError]


@strawberry.type(description="A dimension score (0–100) from the latest interview report.")
class DimensionScoreValue:
    dimension_key: str
    score: float | None


@strawberry.type(description="An employee's KPI over the selected periods (means), with attainment against target.")
class EmployeeKpiResult:
    kpi_id: relay.GlobalID
    kpi_key: str
    direction: KpiDirection
    periods: int
    actual: float
    target: float | None
    attainment: float | None = strawberry.field(
        description="1.0 = on target, more is better whatever the KPI's direction; null without a target."
    )

    @classmethod
    def from_data(cls, data: EmployeeKpiResultData) -> EmployeeKpiResult:
        return cls(
            kpi_id=relay.GlobalID("KpiDefinition", str(data.kpi_id)),
            kpi_key=data.kpi_key,
            direction=data.direction,
            periods=data.periods,
            actual=data.actual,
            target=data.target,
            attainment=data.attainment,
        )


@strawberry.type(description="A dimension beside a KPI it should predict: HIGH_SCORE_LOW_KPI and the like.")
class AbilityPerformanceGap:
    dimension_key: str
    kpi_key: str
    score: float | None
    attainment: float | None
    flag: str = strawberry.field(
        description="high_score_low_kpi (review the process), low_score_low_kpi (a training need), "
        "low_score_high_kpi, consistent, or unknown (no score or no target)."
    )
    explanation: str


@strawberry.type(description="An employee's interview dimension scores beside their KPI results.")
class EmployeeAbilityPerformance:
    employee_id: relay.GlobalID
    dimension_scores: list[DimensionScoreValue]
    kpis: list[EmployeeKpiResult]
    gaps: list[AbilityPerformanceGap]

    @classmethod
    def from_data(cls, data: reports.AbilityPerformance) -> EmployeeAbilityPerformance:
        return cls(
            employee_id=relay.GlobalID("Employee", str(data.employee_id)),
            dimension_scores=[DimensionScoreValue(dimension_key=k, score=v) for k, v in sorted(data.scores.items())],
            kpis=[EmployeeKpiResult.from_data(item) for item in data.kpis],
            gaps=[AbilityPerformanceGap(**gap.__dict__) for gap in data.gaps],
        )


@strawberry.type(description="A regression coefficient: KPI units per interview point of one dimension.")
class DimensionCoefficient:
    dimension_key: str
    coefficient: float


@strawberry.type(description="The lowest and highest score of one dimension among the hires a model was fitted on.")
class DimensionRange:
    dimension_key: str
    minimum: float
    maximum: float


@strawberry.type(
    description="Linear regression from dimension scores to a KPI, k-fold cross-validated against predicting the mean; "
    "with scores given, a prediction and its 95 % least-squares prediction interval in the KPI's unit, which widens "
    "with the candidate's distance from the hires (leverage) and is flagged when a score lies outside their range."
)
class PerformancePrediction:
    n: int
    enough_data: bool
    note: str
    coefficients: list[DimensionCoefficient]
    intercept: float | None
    cv_rmse: float | None
    baseline_rmse: float | None
    beats_baseline: bool | None
    prediction: float | None
    prediction_lower: float | None
    prediction_upper: float | None
    residual_sd: float | None = strawberry.field(description="The residual standard deviation s of the fit.")
    hire_ranges: list[DimensionRange] = strawberry.field(
        description="Per dimension, the range of the hires' scores: predictions outside it are extrapolations."
    )
    leverage: float | None = strawberry.field(
        description="How far the given scores lie from the hires (1/n at their centre); the interval grows with it."
    )
    extrapolated: bool | None = strawberry.field(
        description="True when a given score lies outside the hires' range (the note names it)."
    )

    @classmethod
    def from_data(cls, data: PerformancePredictionData) -> PerformancePrediction:
        return cls(
            n=data.n,
            enough_data=data.enough_data,
            note=data.note,
            coefficients=[DimensionCoefficient(dimension_key=k, coefficient=v) for k, v in data.coefficients.items()],
            intercept=data.intercept,
            cv_rmse=data.cv_rmse,
            baseline_rmse=data.baseline_rmse,
            beats_baseline=data.beats_baseline,
            prediction=data.prediction,
            prediction_lower=data.prediction_lower,
            prediction_upper=data.prediction_upper,
            residual_sd=data.residual_sd,
            hire_ranges=[
                DimensionRange(dimension_key=key, minimum=low, maximum=high)
                for key, (low, high) in data.hire_ranges.items()
            ],
            leverage=data.leverage,
            extrapolated=data.extrapolated,
        )


@strawberry.type(
    description="Selection rate and impact ratio of one group (or intersection, keys joined by ×). A group under "
    "HRGATE_ANALYTICS_MIN_GROUP_SIZE applicants gives its number of applicants only (`withheld`); so does the "
    "smallest other group of a line (a key, or a row or column of an intersection) where one group alone would "
    "be withheld, so that no candidate's outcome can be worked out by subtraction."
)
class GroupSelection:
    group_key: str
    group_value: str
    applicants: int
    selected: int | None = strawberry.field(description="Null when withheld.")
    selection_rate: float | None
    impact_ratio: float | None = strawberry.field(description="This group's rate ÷ the reference group's.")
    flagged: bool = strawberry.field(description="Impact ratio under four fifths (0.8); false when withheld.")
    small_sample: bool
    fisher_p_value: float | None = strawberry.field(
        description="Two-sided Fisher's exact test against referenceValue (null for the reference itself or a "
        "withheld group)."
    )
    reference_value: str | None = strawberry.field(
        description="The group of the same key with the highest selection rate among those shown (never a withheld "
        "one, so no withheld rate reaches another group's ratio)."
    )
    enough_data: bool = strawberry.field(
        description="False: fewer applicants than HRGATE_ANALYTICS_MIN_GROUP_SIZE, too few to judge."
    )
    note: str | None
    withheld: bool = strawberry.field(
        description="True: selected, rate, ratio and tests withheld (too few to judge, or to protect such a group)."
    )
    z_statistic: float | None = strawberry.field(
        description="Pooled two-proportion z against the reference, when every expected count is at least 5."
    )
    p_value: float | None = strawberry.field(
        description="Two-sided p of significanceTest: the two-proportion z-test for large groups, Fisher's exact "
        "test otherwise."
    )
    significance_test: str | None = strawberry.field(description="two_proportion_z or fisher_exact.")


@strawberry.input(description="A score (0–100) for one dimension of the version, for a prediction.")
class DimensionScoreInput:
    dimension_key: str
    score: float


@strawberry.type
class RequisitionAnalyticsResult:
    analytics: RequisitionAnalytics | None = None
    errors: list[UserError]


@strawberry.type
class DimensionKpiCorrelationsResult:
    correlations: list[DimensionKpiCorrelation] | None = None
    errors: list[UserError]
    utility_scope: strawberry.Private[UtilityScope | None] = None

    @strawberry.field(
        description="Beside the correlations, per linked KPI: the gain per hire of selecting by the interview total "
        "(Brogden–Cronbach–Gleser), computed only when asked for, at the argument selectionRatio or the "
        "requisitions' own. Null when the correlations are."
    )
    async def selection_utility(self, info: Info) -> list[SelectionUtility] | None:
        if self.utility_scope is None:
            return None
        answer, _ = await read_selection_utilities(info, self.utility_scope)
        return [SelectionUtility.from_data(item) for item in answer.utilities] if answer is not None else None


@strawberry.type
class EmployeeAbilityPerformanceResult:
    ability_performance: EmployeeAbilityPerformance | None = None
    errors: list[UserError]


@strawberry.type
class PerformancePredictionResult:
    prediction: PerformancePrediction | None = None
    errors: list[UserError]


@strawberry.type
class AdverseImpactResult:
    groups: list[GroupSelection] | None = None
    errors: list[UserError]


@strawberry.type(description="Pass rates, score distribution and dimension means over a cohort of requisitions.")
class HiringAnalytics:
    requisition_count: int
    application_count: int
    pass_rates: list[StagePassRate]
    totals: ScoreDistribution
    dimensions: list[DimensionMean]
    strongest_dimensions: list[DimensionMean] = strawberry.field(description=_STRONGEST)
    weakest_dimensions: list[DimensionMean] = strawberry.field(description=_WEAKEST)

    @classmethod
    def from_data(cls, data: reports.CohortAnalytics) -> HiringAnalytics:
        return cls(
            requisition_count=data.requisition_count,
            application_count=data.application_count,
            **_funnel(data),
        )


@strawberry.type
class HiringAnalyticsResult:
    analytics: HiringAnalytics | None = None
    errors: list[UserError]
