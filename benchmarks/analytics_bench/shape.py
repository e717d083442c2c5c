"""What the synthetic bank looks like: competency model versions, dimensions, KPIs, their links, the planted
effects of dimension scores on KPI results, and how the counts scale with ``--applications``.

Declarations only (no I/O), so the generator's SQL and the benchmark's expectations read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

GENERATOR_VERSION = 1
"""Bumped whenever the generated rows change, so an older fill is not mistaken for a current one."""

SCHEMA_REVISION = "0004"
"""The alembic revision whose tables the generator writes. The database is migrated to it, filled, then migrated
to head like any production database, so later migrations add and fill their own columns (derived ones too)."""

SCORE_MEAN, SCORE_SD = 65.0, 12.0
"""Dimension scores: a general factor (loading 0.5) plus a specific one, scaled to mean 65, sd 12, clipped 0–100."""


@dataclass(frozen=True)
class DimensionSpec:
    key: str
    name_zh: str
    name_en: str
    weight: float


@dataclass(frozen=True)
class VersionSpec:
    model_key: str
    version: int
    requisition_share: int
    """Out of 20 requisitions (the large requisition aside, which always uses the main version)."""
    dimensions: tuple[DimensionSpec, ...]
    links: tuple[tuple[str, str], ...]
    """(dimension key, KPI key): the dimension should predict the KPI; hiring assigns the KPI."""


@dataclass(frozen=True)
class KpiSpec:
    key: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    target: float
    employee_noise: float
    """Sd of a lasting per-employee deviation, as a share of the target (higher-is-better) or in log units."""
    period_noise: float
    """Sd of the quarter-to-quarter deviation, same units."""


MODELS = (("bench-teller", "柜员", "Teller"), ("bench-rm", "客户经理", "Relationship manager"))

_NUMERACY = DimensionSpec("numeracy", "数字能力", "Numeracy", 0.3)
_SERVICE = DimensionSpec("service", "服务意识", "Service orientation", 0.25)
_COMPLIANCE = DimensionSpec("compliance", "合规意识", "Compliance", 0.25)
_ACCURACY = DimensionSpec("accuracy", "细致准确", "Accuracy", 0.2)

VERSIONS = (
    # The main version: the large requisition and 14 of every 20 others, so most applications.
    VersionSpec("bench-teller", 2, 14, (_NUMERACY, _SERVICE, _COMPLIANCE, _ACCURACY),
                (("service", "bench_sales"), ("numeracy", "bench_sales"), ("accuracy", "bench_error_rate"),
                 ("compliance", "bench_error_rate"))),
    VersionSpec("bench-teller", 1, 3,
                (DimensionSpec("numeracy", "数字能力", "Numeracy", 0.4), DimensionSpec("service", "服务意识",
                 "Service orientation", 0.35), DimensionSpec("compliance", "合规意识", "Compliance", 0.25)),
                (("service", "bench_sales"), ("numeracy", "bench_error_rate"))),
    VersionSpec("bench-rm", 1, 3,
                (DimensionSpec("communication", "沟通表达", "Communication", 0.3),
                 DimensionSpec("sales_drive", "营销意愿", "Sales drive", 0.3),
                 DimensionSpec("product_knowledge", "产品知识", "Product knowledge", 0.2),
                 DimensionSpec("risk_awareness", "风险意识", "Risk awareness", 0.2)),
                (("sales_drive", "bench_sales"), ("communication", "bench_sales"),
                 ("risk_awareness", "bench_error_rate"))),
)  # fmt: skip
MAIN_VERSION = VERSIONS[0]
MAX_DIMENSIONS = 4
"""The generator draws four latent scores per application; a version uses the first as many as it has."""

KPIS = (
    KpiSpec("bench_sales", "季度营销额", "Quarterly sales", "万元", "higher_is_better", 100.0, 0.15, 0.08),
    KpiSpec("bench_error_rate", "操作差错率", "Error rate", "%", "lower_is_better", 1.0, 0.3, 0.15),
)
PREDICTED_KPI = "bench_sales"

EFFECTS = {
    ("service", "bench_sales"): 0.12,
    ("sales_drive", "bench_sales"): 0.12,
    ("communication", "bench_sales"): 0.05,
    ("accuracy", "bench_error_rate"): -0.25,
    ("compliance", "bench_error_rate"): -0.10,
    ("numeracy", "bench_error_rate"): -0.08,
    ("risk_awareness", "bench_error_rate"): -0.20,
}
"""Planted effect of one sd of a dimension score on a KPI: a share of the target for sales, log units for the error
rate (so a negative effect means fewer errors). Unlisted pairs have none (numeracy → sales is a linked dimension
that predicts sales only through its correlation with service)."""

PLANTED_LINKS = (("service", "bench_sales"), ("accuracy", "bench_error_rate"))
"""Links of the main version whose oriented correlation must come out clearly positive (checked, r ≥ 0.2)."""

DEPARTMENTS = (("Retail Banking", "retail"), ("Corporate Banking", "corporate"), ("Wealth Management", "wealth"),
               ("Operations", "operations"), ("Risk", "risk"), ("Treasury", "treasury"),
               ("Technology", "technology"), ("Retail Banking Shanghai", "retail"))  # fmt: skip
CITIES = ("Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Chengdu", "Hangzhou", "Wuhan", "Nanjing")
PIPELINE_VERSION, RESCORED_PIPELINE_VERSION = "bench-2026.1", "bench-2026.2"
STAGES = ("screening", "ai_interview", "second_interview", "offer", "hired")


@dataclass(frozen=True)
class Scale:
    """Counts derived from ``--applications`` (N): N/10 in the large requisition, N/5 hires, about N/5 candidates
    applying twice, 3 % re-interviewed."""

    applications: int
    requisitions: int
    seed: float = 0.42
    """``setseed`` argument: the same scale and seed give the same rows."""
    reinterview_share: float = 0.03
    missing_score_share: float = 0.005
    """Dimension scores left null (insufficient evidence)."""

    @property
    def hires(self) -> int:
        return self.applications // 5

    @property
    def first_time_candidates(self) -> int:
        """C: application c ≤ C is candidate c's first; application g > C is candidate g − C's second. C ends
        in 5, so a candidate's two applications never both fall on the large requisition (every tenth)."""
        return (self.applications - self.applications // 5) // 10 * 10 + 5

    def validate(self) -> str | None:
        if any(len(spec.dimensions) > MAX_DIMENSIONS for spec in VERSIONS):
            return f"a version of shape.VERSIONS has more than {MAX_DIMENSIONS} dimensions"
        if self.applications < 1000:
            return "--applications must be at least 1,000"
        if not 3 <= self.requisitions <= self.applications // 10:
            return "--requisitions must be between 3 and a tenth of --applications"
        return None
