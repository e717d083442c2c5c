"""Selection utility (Brogden–Cronbach–Gleser): what selecting by the interview total gains per hire on a KPI.

ΔU per hire = r_xy · SD_y · φ(z_c) / SR, with z_c = Φ⁻¹(1 − SR): the expected KPI of those selected top-down
by the interview total, minus that of a random pick, at selection ratio SR. Pure maths over sufficient
statistics (n and centred sums of squares and cross-products, computed by the database in
``resolvers.analytics.utility_queries``); scipy is imported inside the function that computes.

The validity r_xy is measured among hires only (range-restricted, uncorrected) and SD_y is the KPI's spread
among hires, so the figure is a conservative estimate of the gain over applicants. Its interval carries the
Fisher-z interval of r through the formula (SD_y and SR taken as known).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

from resolvers.analytics.statistics import CONFIDENCE_LEVEL, MIN_SAMPLE_SIZE


class UtilityStatus(str, Enum):
    """Why a utility figure is (or is not) given; every state but OK and NO_SELECTION has no gain."""

    OK = "ok"
    NO_HIRES = "no_hires"
    """No hire with a scored interview on the version's requisitions: no selection ratio and no validity."""
    NO_KPI_RESULTS = "no_kpi_results"
    """Hires, but none with a scored interview and a result on the KPI (in the period)."""
    TOO_FEW_HIRES = "too_few_hires"
    """Fewer hires with a score and a KPI result than the minimum sample size."""
    NO_VARIATION = "no_variation"
    """Every hire has the same interview total, or the same KPI result: no validity to measure."""
    NO_SELECTION = "no_selection"
    """A selection ratio of 1 (everyone is hired): selecting by the score cannot beat random selection."""


@dataclass(frozen=True)
class PairedMoments:
    """Sufficient statistics of (interview total x, KPI result y) over hires: n, means, centred sums.

    ``sxx = Σ(x − x̄)²``, ``syy = Σ(y − ȳ)²``, ``sxy = Σ(x − x̄)(y − ȳ)``; ``x_constant``/``y_constant`` say
    that every value was equal (minimum = maximum in SQL), so zero variance is decided exactly, not by a
    rounding residue.
    """

    n: int
    mean_x: float
    mean_y: float
    sxx: float
    syy: float
    sxy: float
    x_constant: bool
    y_constant: bool

    @classmethod
    def empty(cls) -> PairedMoments:
        return cls(0, 0.0, 0.0, 0.0, 0.0, 0.0, True, True)


@dataclass(frozen=True)
class KpiFacts:
    """What the wording needs of the KPI: names, unit and direction."""

    kpi_id: int
    key: str
    name_en: str
    name_zh: str
    unit: str
    lower_is_better: bool


@dataclass(frozen=True)
class SelectionUtility:
    """The expected KPI gain per hire of selecting by the interview total instead of at random.

    Gains are in the KPI's raw unit and oriented: positive means better performance (more sales, or for a
    lower-is-better KPI, that much less of it). None wherever ``status`` says there is no figure.
    """

    kpi: KpiFacts
    status: UtilityStatus
    note: str
    n: int
    """Hires with a scored interview and a KPI result: the sample of the validity and of SD_y."""
    applicants: int
    """Applications to the version's requisitions whose latest report has a total."""
    hires: int
    """Of those, the hired ones (stage hired, or an employee made from the application)."""
    selection_ratio: float | None
    selection_ratio_given: bool
    """True: the caller's selectionRatio; false: hires ÷ applicants."""
    validity: float | None = None
    validity_ci_lower: float | None = None
    validity_ci_upper: float | None = None
    validity_p_value: float | None = None
    kpi_mean: float | None = None
    kpi_standard_deviation: float | None = None
    cutoff_z: float | None = None
    """z_c = Φ⁻¹(1 − SR): the standard score above which candidates are selected (None at SR = 1)."""
    mean_selected_z: float | None = None
    """φ(z_c) / SR: the mean standard interview score of those selected (0 at SR = 1)."""
    gain_per_hire: float | None = None
    gain_ci_lower: float | None = None
    gain_ci_upper: float | None = None
    explanation: str = ""
    explanation_zh: str = ""

    @property
    def enough_data(self) -> bool:
        return self.status in (UtilityStatus.OK, UtilityStatus.NO_SELECTION)


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _decimals(gain: float, lower: float, upper: float) -> int:
    """Two significant figures of the largest magnitude (2.1, 0.31, 12, 1,234), and enough for the interval's
    ends to differ (10.8 to 11.1, not 11 to 11); at most six decimals."""
    largest = max(abs(gain), abs(lower), abs(upper))
    if largest == 0 or not math.isfinite(largest):
        return 1
    digits = 1 - math.floor(math.log10(largest))
    width = upper - lower
    if width > 0 and math.isfinite(width):
        digits = max(digits, -math.floor(math.log10(width)))
    return max(0, min(6, digits))


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.3g} %"


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}".rstrip()


def _words(result: SelectionUtility) -> tuple[str, str]:
    """English and Chinese sentences for an answer with a gain (the interval in the sentence's own terms)."""
    kpi = result.kpi
    ratio = _percent(result.selection_ratio or 1.0)
    if result.status is UtilityStatus.NO_SELECTION:
        return (
            f"At a selection ratio of {ratio} everyone is hired: selecting by the interview total gains nothing "
            f"on {kpi.name_en} over random selection.",
            f"录用比例为 {ratio} 时所有人都被录用：按面试总分选拔与随机选拔在{kpi.name_zh}上没有差别。",
        )
    gain, lower, upper = result.gain_per_hire or 0.0, result.gain_ci_lower or 0.0, result.gain_ci_upper or 0.0
    better = gain >= 0
    if not better:  # "loses 0.4 (0.1 to 0.7)" reads better than "gains −0.4 (−0.7 to −0.1)"
        lower, upper = -upper, -lower
    digits = _decimals(gain, lower, upper)
    amount = _with_unit(_number(abs(gain), digits), kpi.unit)
    interval_en = f"95 % CI {_number(lower, digits)} to {_number(upper, digits)}"
    interval_zh = f"95 % 置信区间 {_number(lower, digits)} 至 {_number(upper, digits)}"
    lead_en = f"Selecting by the interview total at a selection ratio of {ratio}"
    if kpi.lower_is_better:
        english = (
            f"{lead_en} {'lowers' if better else 'raises'} {kpi.name_en} by about {amount} per hire ({interval_en}) "
            f"compared with random selection (lower is better{'' if better else ': worse than random'})."
        )
    else:
        english = (
            f"{lead_en} {'gains' if better else 'loses'} about {amount} per hire on {kpi.name_en} ({interval_en}) "
            f"over random selection{'' if better else ': worse than random'}."
        )
    higher = better != kpi.lower_is_better
    chinese = (
        f"按面试总分以 {ratio} 的录用比例选拔，每位录用者的{kpi.name_zh}比随机选拔平均{'高' if higher else '低'}约 "
        f"{amount}（{interval_zh}{'，越低越好' if kpi.lower_is_better else ''}）。"
    )
    if result.gain_ci_lower is not None and result.gain_ci_upper is not None:
        if result.gain_ci_lower <= 0 <= result.gain_ci_upper:
            english += " The interval includes zero: no evidence that selecting by the total beats random selection."
            chinese += "区间包含零：没有证据表明按总分选拔优于随机选拔。"
    return english, chinese


def selection_utility(
    kpi: KpiFacts,
    moments: PairedMoments,
    *,
    applicants: int,
    hires: int,
    selection_ratio: float | None = None,
    min_n: int = MIN_SAMPLE_SIZE,
    confidence: float = CONFIDENCE_LEVEL,
) -> SelectionUtility:
    """The Brogden–Cronbach–Gleser gain per hire, its interval, and why there is none when there is none.

    ``selection_ratio`` (0 < SR ≤ 1) overrides hires ÷ applicants. The validity is Pearson's r of the interview
    total against the KPI's raw result, negated for a lower-is-better KPI (positive = better performance);
    its interval is Fisher's z, ``tanh(atanh(r) ± z_(1−α/2)/√(n−3))``; its p-value the two-sided t-test with
    n − 2 degrees of freedom (as ``scipy.stats.pearsonr``). SD_y is the sample SD (n − 1) among hires.
    """
    from scipy import stats

    given = selection_ratio is not None
    if given and not (0 < selection_ratio <= 1):  # type: ignore[operator]
        raise ValueError("selection_ratio must be in (0, 1]")
    ratio = selection_ratio if given else (hires / applicants if applicants and hires else None)
    base = SelectionUtility(
        kpi=kpi,
        status=UtilityStatus.OK,
        note="",
        n=moments.n,
        applicants=applicants,
        hires=hires,
        selection_ratio=ratio,
        selection_ratio_given=given,
    )
    minimum = max(min_n, 4)

    def without_gain(status: UtilityStatus, note: str) -> SelectionUtility:
        return replace(base, status=status, note=note)

    if moments.n == 0:
        if hires == 0:
            return without_gain(
                UtilityStatus.NO_HIRES,
                "no hire with a scored interview on the version's requisitions: nothing to measure",
            )
        return without_gain(
            UtilityStatus.NO_KPI_RESULTS,
            f"no hire with a scored interview has a {kpi.name_en} result: no validity to measure",
        )
    if moments.n < minimum:
        return without_gain(UtilityStatus.TOO_FEW_HIRES, f"not enough data (n = {moments.n}, need {minimum})")
    if moments.x_constant or moments.sxx <= 0:
        return without_gain(UtilityStatus.NO_VARIATION, "no variation in the hires' interview totals")
    if moments.y_constant or moments.syy <= 0:
        return without_gain(UtilityStatus.NO_VARIATION, f"no variation in the hires' {kpi.name_en} results")

    n = moments.n
    raw_r = max(-1.0, min(1.0, moments.sxy / math.sqrt(moments.sxx * moments.syy)))
    r = -raw_r if kpi.lower_is_better else raw_r
    critical = float(stats.norm.ppf(0.5 + confidence / 2))
    fisher_z = math.atanh(max(-0.999999, min(0.999999, r)))
    half_width = critical / math.sqrt(n - 3)
    r_lower, r_upper = math.tanh(fisher_z - half_width), math.tanh(fisher_z + half_width)
    if abs(r) == 1.0:
        p_value = 0.0
    else:
        t_statistic = r * math.sqrt((n - 2) / (1 - r * r))
        p_value = float(2 * stats.t.sf(abs(t_statistic), n - 2))
    sd_y = math.sqrt(moments.syy / (n - 1))
    measured = replace(
        base,
        validity=r,
        validity_ci_lower=r_lower,
        validity_ci_upper=r_upper,
        validity_p_value=p_value,
        kpi_mean=moments.mean_y,
        kpi_standard_deviation=sd_y,
    )
    if ratio is None:
        return replace(
            measured,
            status=UtilityStatus.NO_HIRES,
            note="no hire among the scored applicants of the version's requisitions: no selection ratio "
            "(give selectionRatio)",
        )
    if ratio >= 1.0:
        result = replace(
            measured,
            status=UtilityStatus.NO_SELECTION,
            note="a selection ratio of 1 selects everyone: no gain over random selection",
            mean_selected_z=0.0,
            gain_per_hire=0.0,
            gain_ci_lower=0.0,
            gain_ci_upper=0.0,
        )
    else:
        cutoff = float(stats.norm.isf(ratio))
        mean_selected = float(stats.norm.pdf(cutoff)) / ratio
        scale = sd_y * mean_selected
        result = replace(
            measured,
            cutoff_z=cutoff,
            mean_selected_z=mean_selected,
            gain_per_hire=r * scale,
            gain_ci_lower=r_lower * scale,
            gain_ci_upper=r_upper * scale,
        )
    english, chinese = _words(result)
    return replace(result, explanation=english, explanation_zh=chinese)
