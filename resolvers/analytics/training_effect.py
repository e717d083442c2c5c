"""Did the training work? A difference-in-differences estimate of a programme's effect on a KPI.

For each employee who completed the programme, the KPI's change from the period **before** the one the
completion falls in to the mean of the ``periods_after`` periods **after** it (the completion's own period,
half before and half after, counts for neither). The same change over the same periods for comparable
untrained employees (measured on the same KPI, not having completed the programme, optionally of one
department) is the counterfactual. Trained employees are grouped by completion period (cohorts); each cohort's
difference (trained mean change − untrained mean change) is weighted by its trained headcount.

The 95 % interval: the trained part's variance from the pooled within-cohort spread (trained employees are
distinct across cohorts); the untrained part's from each untrained employee's influence on the weighted mean,
which counts that one employee serves as control for several cohorts (their changes covary). The degrees of
freedom follow Welch–Satterthwaite. Below ``MIN_TRAINED`` trained or ``MIN_CONTROLS`` untrained employees with
a before and an after value there is no estimate, only the reason (never NaN).

Rows are streamed from one SQL statement ordered by employee; only per-cohort sums are kept (no ORM objects,
no id lists). Positive means the KPI's raw value rose more for trained employees; whether that is better
depends on the KPI's direction (``improved``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Employee, KpiAssignment, KpiDefinition, KpiRecord
from gateway.models.enums import KpiDirection, PeriodKind, PlanItemStatus
from gateway.models.training import DevelopmentPlanItem, TrainingProgramme
from resolvers.errors import DomainError, ErrorCode, not_found
from resolvers.services.periods import period_start

MIN_TRAINED = 5
MIN_CONTROLS = 5
MAX_PERIODS_AFTER = 8
_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


# --- periods as consecutive integers -------------------------------------------------------------------


def period_index(day: date, kind: PeriodKind) -> int:
    """The period containing ``day``, numbered so that consecutive periods are consecutive integers."""
    return (day.year * 12 + day.month - 1) // _MONTHS[kind]


def period_label(index: int, kind: PeriodKind) -> str:
    months = index * _MONTHS[kind]
    year, month = divmod(months, 12)
    if kind is PeriodKind.YEAR:
        return f"{year}"
    if kind is PeriodKind.QUARTER:
        return f"{year}-Q{month // 3 + 1}"
    return f"{year}-{month + 1:02d}"


def record_index(period: str, kind: PeriodKind) -> int | None:
    start = period_start(period, kind)
    return None if start is None else period_index(start, kind)


# --- sufficient statistics and the estimate (pure) -----------------------------------------------------


@dataclass
class Moments:
    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def centred_squares(self) -> float:
        return max(self.squares - self.total * self.total / self.n, 0.0) if self.n else 0.0


@dataclass
class PairSums:
    """Over untrained employees with a change in both cohorts g and h: n, Σ Δg, Σ Δh, Σ Δg·Δh."""

    n: int = 0
    first: float = 0.0
    second: float = 0.0
    product: float = 0.0


@dataclass
class EffectData:
    """What the stream leaves behind: per cohort (completion period index), trained and untrained moments."""

    trained: dict[int, Moments] = field(default_factory=dict)
    controls: dict[int, Moments] = field(default_factory=dict)
    pairs: dict[tuple[int, int], PairSums] = field(default_factory=dict)
    control_employees: int = 0
    trained_without_data: int = 0

    def add_control(self, changes: dict[int, float]) -> None:
        """One untrained employee's change for each cohort whose periods they have values for."""
        if not changes:
            return
        self.control_employees += 1
        cohorts = sorted(changes)
        for position, first in enumerate(cohorts):
            self.controls.setdefault(first, Moments()).add(changes[first])
            for second in cohorts[position:]:
                pair = self.pairs.setdefault((first, second), PairSums())
                pair.n += 1
                pair.first += changes[first]
                pair.second += changes[second]
                pair.product += changes[first] * changes[second]


@dataclass(frozen=True)
class CohortEffect:
    completion_period: str
    before_period: str
    after_periods: list[str]
    trained: int
    controls: int
    trained_change: float
    control_change: float


@dataclass(frozen=True)
class Effect:
    estimated: bool
    reason: str | None
    """Why there is no estimate (``estimated`` False), in words."""
    trained: int
    controls: int
    estimate: float | None = None
    standard_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    degrees_of_freedom: float | None = None
    cohorts: list[CohortEffect] = field(default_factory=list)


def estimate_effect(
    data: EffectData,
    kind: PeriodKind,
    periods_after: int,
    *,
    min_trained: int = MIN_TRAINED,
    min_controls: int = MIN_CONTROLS,
) -> Effect:
    """The weighted difference in differences over cohorts that have untrained employees to compare with."""
    from scipy import stats

    usable = sorted(cohort for cohort, moments in data.trained.items() if cohort in data.controls and moments.n)
    trained_total = sum(data.trained[cohort].n for cohort in usable)
    controls_used = {pair for pair in data.pairs if pair[0] in usable and pair[1] in usable}
    control_total = data.control_employees if usable else 0
    reasons = []
    if trained_total < min_trained:
        reasons.append(
            f"{trained_total} trained employee(s) with a KPI value before and after completion "
            f"(and untrained employees to compare with); at least {min_trained} needed"
        )
    if control_total < min_controls:
        reasons.append(
            f"{control_total} comparable untrained employee(s) with values over the same periods; "
            f"at least {min_controls} needed"
        )
    if not reasons and trained_total - len(usable) < 1:
        reasons.append("every trained employee completed in a different period: no spread within a period to measure")
    if reasons:
        return Effect(False, "; ".join(reasons), trained_total, control_total)

    weights = {cohort: data.trained[cohort].n / trained_total for cohort in usable}
    estimate = sum(weights[c] * (data.trained[c].mean - data.controls[c].mean) for c in usable)
    pooled = sum(data.trained[c].centred_squares for c in usable) / (trained_total - len(usable))
    trained_variance = sum(weights[c] ** 2 * pooled / data.trained[c].n for c in usable)
    # Σ_j ψ_j², ψ_j = Σ_{g ∋ j} w_g (Δ_jg − m_g) / n_g, expanded over cohort pairs (diagonal once, others twice).
    influence = 0.0
    for first, second in controls_used:
        pair = data.pairs[(first, second)]
        mean_first, mean_second = data.controls[first].mean, data.controls[second].mean
        cross = pair.product - mean_second * pair.first - mean_first * pair.second + mean_first * mean_second * pair.n
        scale = weights[first] * weights[second] / (data.controls[first].n * data.controls[second].n)
        influence += scale * cross * (1 if first == second else 2)
    control_variance = max(influence, 0.0) * control_total / (control_total - 1)
    variance = trained_variance + control_variance
    df_trained, df_controls = trained_total - len(usable), control_total - 1
    denominator = trained_variance**2 / df_trained + control_variance**2 / df_controls
    degrees = variance**2 / denominator if denominator > 0 else float(df_trained + df_controls)
    standard_error = math.sqrt(variance)
    half_width = float(stats.t.ppf(0.975, degrees)) * standard_error
    cohorts = [
        CohortEffect(
            completion_period=period_label(c, kind),
            before_period=period_label(c - 1, kind),
            after_periods=[period_label(c + step, kind) for step in range(1, periods_after + 1)],
            trained=data.trained[c].n,
            controls=data.controls[c].n,
            trained_change=data.trained[c].mean,
            control_change=data.controls[c].mean,
        )
        for c in usable
    ]
    return Effect(
        True,
        None,
        trained_total,
        control_total,
        estimate=estimate,
        standard_error=standard_error,
        ci_low=estimate - half_width,
        ci_high=estimate + half_width,
        degrees_of_freedom=degrees,
        cohorts=cohorts,
    )


def change(values: dict[int, float], cohort: int, periods_after: int) -> float | None:
    """Mean of the after-periods present minus the before-period's value; None without both."""
    before = values.get(cohort - 1)
    after = [values[cohort + step] for step in range(1, periods_after + 1) if cohort + step in values]
    if before is None or not after:
        return None
    return sum(after) / len(after) - before


def accumulate(
    employees: Iterable[tuple[dict[int, float], int | None]], cohorts: Iterable[int], periods_after: int
) -> EffectData:
    """Per employee: KPI values by period index and the completion period (None: untrained). Pure."""
    data = EffectData()
    ordered = sorted(set(cohorts))
    for values, completion in employees:
        _reduce(data, values, completion, ordered, periods_after)
    return data


def _reduce(
    data: EffectData, values: dict[int, float], completion: int | None, cohorts: list[int], periods_after: int
) -> None:
    """Fold one employee into the sums: a control's change per cohort, or a trained employee's own change."""
    if completion is None:
        data.add_control({c: delta for c in cohorts if (delta := change(values, c, periods_after)) is not None})
        return
    delta = change(values, completion, periods_after)
    if delta is None:
        data.trained_without_data += 1
    else:
        data.trained.setdefault(completion, Moments()).add(delta)


# --- reading (SQL, streamed) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeKpiEffect:
    programme_id: int
    kpi_id: int
    kpi_key: str
    direction: KpiDirection
    periods_after: int
    department: str | None
    effect: Effect

    @property
    def improved(self) -> bool | None:
        """Whether the interval lies wholly on the KPI's better side (None: no estimate or it includes 0)."""
        effect = self.effect
        if not effect.estimated or effect.ci_low is None or effect.ci_high is None:
            return None
        better_up = self.direction is KpiDirection.HIGHER_IS_BETTER
        if effect.ci_low > 0:
            return better_up
        if effect.ci_high < 0:
            return not better_up
        return None


async def programme_kpi_effect(
    programme_id: int,
    kpi_id: int,
    *,
    session: AsyncSession,
    periods_after: int = 2,
    department: str | None = None,
) -> ProgrammeKpiEffect:
    """Trained employees' KPI change against comparable untrained employees' (module docstring)."""
    if not 1 <= periods_after <= MAX_PERIODS_AFTER:
        raise DomainError.single("periodsAfter", f"1 to {MAX_PERIODS_AFTER} periods", ErrorCode.INVALID)
    if await session.get(TrainingProgramme, programme_id) is None:
        raise not_found("programmeId", "programme")
    kpi = await session.get(KpiDefinition, kpi_id)
    if kpi is None:
        raise not_found("kpiId", "KPI")
    kind = kpi.period_kind
    completed = (DevelopmentPlanItem.programme_id == programme_id) & (
        DevelopmentPlanItem.status == PlanItemStatus.COMPLETED
    )
    completion_days = (
        await session.exec(select(col(DevelopmentPlanItem.completed_on)).where(completed).distinct())
    ).all()
    cohorts = {period_index(day, kind) for day in completion_days if day is not None}

    statement = (
        select(KpiAssignment.employee_id, KpiRecord.period, KpiRecord.actual, DevelopmentPlanItem.completed_on)
        .select_from(KpiRecord)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .outerjoin(
            DevelopmentPlanItem,
            (col(DevelopmentPlanItem.employee_id) == KpiAssignment.employee_id) & completed,
        )
        .where(KpiAssignment.kpi_id == kpi_id)
        .order_by(col(KpiAssignment.employee_id), col(KpiRecord.period))
    )
    if department is not None:
        statement = statement.join(Employee, col(Employee.id) == KpiAssignment.employee_id).where(
            Employee.department == department
        )

    # Streamed and folded employee by employee: only one employee's values are held at a time.
    data = EffectData()
    ordered = sorted(cohorts)
    current: int | None = None
    values: dict[int, float] = {}
    completion: int | None = None
    async for employee_id, period, actual, completed_on in await session.stream(statement):
        if employee_id != current and current is not None:
            _reduce(data, values, completion, ordered, periods_after)
            values = {}
        current = employee_id
        completion = period_index(completed_on, kind) if completed_on is not None else None
        index = record_index(period, kind)
        if index is not None:
            values[index] = actual
    if current is not None:
        _reduce(data, values, completion, ordered, periods_after)
    return ProgrammeKpiEffect(
        programme_id,
        kpi_id,
        kpi.key,
        kpi.direction,
        periods_after,
        department,
        estimate_effect(data, kind, periods_after),
    )
