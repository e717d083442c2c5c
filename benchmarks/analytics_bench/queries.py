"""The four GraphQL documents the benchmark times, each selecting its full useful payload (bins, pass rates, means,
correlations with intervals, the prediction with its interval) and the payload's ``errors``, and the variables
that point them at the generated data."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .checks import check_correlations, check_hiring, check_prediction, check_requisition
from .expected import Expected

_FUNNEL_FRAGMENTS = """
fragment Distribution on ScoreDistribution {
  n mean standardDeviation minimum quartile1 median quartile3 maximum enoughData note
  bins { lower upper count }
}
fragment Mean on DimensionMean { dimensionKey n mean standardDeviation enoughData note }
"""

HIRING = (
    """query HiringAnalytics($version: ID!) {
  hiringAnalytics(modelVersionId: $version) {
    analytics {
      requisitionCount applicationCount
      passRates { stage reached shareOfApplications rateFromPrevious }
      totals { ...Distribution }
      dimensions { ...Mean } strongestDimensions { ...Mean } weakestDimensions { ...Mean }
    }
    errors { field message code }
  }
}"""
    + _FUNNEL_FRAGMENTS
)

REQUISITION = (
    """query RequisitionAnalytics($requisition: ID!) {
  requisitionAnalytics(requisitionId: $requisition) {
    analytics {
      requisitionId
      passRates { stage reached shareOfApplications rateFromPrevious }
      totals { ...Distribution }
      dimensions { ...Mean } strongestDimensions { ...Mean } weakestDimensions { ...Mean }
    }
    errors { field message code }
  }
}"""
    + _FUNNEL_FRAGMENTS
)

CORRELATIONS = """query DimensionKpiCorrelations($version: ID!) {
  dimensionKpiCorrelations(modelVersionId: $version) {
    correlations { dimensionKey kpiId kpiKey pearson { ...Estimate } spearman { ...Estimate } }
    errors { field message code }
  }
}
fragment Estimate on CorrelationEstimate { method n r ciLower ciUpper pValue enoughData note }
"""

PREDICTION = """query PerformancePrediction($version: ID!, $kpi: ID!, $scores: [DimensionScoreInput!]) {
  performancePrediction(modelVersionId: $version, kpiId: $kpi, dimensionScores: $scores) {
    prediction {
      n enoughData note coefficients { dimensionKey coefficient } intercept cvRmse baselineRmse beatsBaseline
      prediction predictionLower predictionUpper
    }
    errors { field message code }
  }
}"""

CANDIDATE_SCORES = (72.0, 68.0, 75.0, 61.0, 70.0)
"""The new candidate's dimension scores, in the version's dimension order (inside the hires' range)."""


def global_id(type_name: str, row_id: int) -> str:
    """strawberry's relay global ID: base64 of ``Type:id``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    document: str
    variables: dict[str, Any]
    field: str
    """The root field whose payload is checked."""
    check: Callable[[dict[str, Any], Expected], list[str]]
    """Problems with a payload free of errors (figures that contradict the data); empty when it is right."""


def build_cases(expected: Expected) -> list[Case]:
    version = global_id("CompetencyModelVersion", expected.main_version_id)
    scores = [{"dimensionKey": key, "score": score}
              for key, score in zip(expected.dimension_keys, CANDIDATE_SCORES, strict=False)]  # fmt: skip
    return [
        Case("hiring", f"`hiringAnalytics` (main version, {expected.version_applications:,} applications)", HIRING,
             {"version": version}, "hiringAnalytics", check_hiring),
        Case("requisition", f"`requisitionAnalytics` ({expected.large_applications:,} applications)", REQUISITION,
             {"requisition": global_id("Requisition", expected.large_requisition_id)}, "requisitionAnalytics",
             check_requisition),
        Case("correlations", f"`dimensionKpiCorrelations` (main version, {len(expected.links)} links)",
             CORRELATIONS, {"version": version}, "dimensionKpiCorrelations", check_correlations),
        Case("prediction", f"`performancePrediction` (sales, up to {expected.hires_with_predicted_kpi:,} hires)",
             PREDICTION, {"version": version, "kpi": global_id("KpiDefinition", expected.predicted_kpi_id),
                          "scores": scores}, "performancePrediction", check_prediction),
    ]  # fmt: skip
