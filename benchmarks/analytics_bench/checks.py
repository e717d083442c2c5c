"""Checks of each answer against the generated data: a fast answer that contradicts the data proves nothing, so
such an answer is an error, like a GraphQL error or an ``errors`` entry in the payload.

Only what any correct implementation must show is checked: counts the data fixes, a histogram adding up, every
linked pair answered, the planted correlations clearly positive, an interval around its prediction.
"""

from __future__ import annotations

from typing import Any

from .expected import Expected
from .shape import PLANTED_LINKS, PREDICTED_KPI

PLANTED_MINIMUM_R = 0.2


def _equal(problems: list[str], what: str, got: Any, wanted: Any) -> None:
    if got != wanted:
        problems.append(f"{what} is {got!r}, the data says {wanted!r}")


def _funnel(problems: list[str], analytics: dict[str, Any], *, scored: int, hired: int, keys: list[str]) -> None:
    totals = analytics["totals"]
    _equal(problems, "totals.n", totals["n"], scored)
    if not totals["enoughData"] or totals["mean"] is None:
        problems.append(f"totals withheld: {totals['note']}")
    _equal(problems, "the histogram's counts summed", sum(item["count"] for item in totals["bins"]), totals["n"])
    reached = {rate["stage"].lower(): rate["reached"] for rate in analytics["passRates"]}
    _equal(problems, "passRates reached at hired", reached.get("hired"), hired)
    _equal(problems, "dimension keys", sorted(item["dimensionKey"] for item in analytics["dimensions"]), sorted(keys))
    problems.extend(f"no mean for {item['dimensionKey']}" for item in analytics["dimensions"] if item["mean"] is None)


def check_hiring(payload: dict[str, Any], expected: Expected) -> list[str]:
    analytics, problems = payload["analytics"], []
    if analytics is None:
        return ["analytics is null"]
    _equal(problems, "applicationCount", analytics["applicationCount"], expected.version_applications)
    _equal(problems, "requisitionCount", analytics["requisitionCount"], expected.version_requisitions)
    _funnel(problems, analytics, scored=expected.version_scored, hired=expected.version_hired,
            keys=expected.dimension_keys)  # fmt: skip
    return problems


def check_requisition(payload: dict[str, Any], expected: Expected) -> list[str]:
    analytics, problems = payload["analytics"], []
    if analytics is None:
        return ["analytics is null"]
    _funnel(problems, analytics, scored=expected.large_scored, hired=expected.large_hired,
            keys=expected.dimension_keys)  # fmt: skip
    return problems


def check_correlations(payload: dict[str, Any], expected: Expected) -> list[str]:
    correlations, problems = payload["correlations"], []
    if correlations is None:
        return ["correlations is null"]
    answered = {(item["dimensionKey"], item["kpiKey"]): item for item in correlations}
    _equal(problems, "linked pairs answered", sorted(answered), sorted(expected.links))
    for pair in PLANTED_LINKS:
        item = answered.get(pair)
        if item is None:
            continue
        for method in ("pearson", "spearman"):
            estimate = item[method]
            if estimate["r"] is None or estimate["r"] < PLANTED_MINIMUM_R:
                problems.append(
                    f"{pair[0]} → {pair[1]} {method} r = {estimate['r']} (n = {estimate['n']}): the planted effect "
                    f"gives r ≥ {PLANTED_MINIMUM_R} (oriented)"
                )
    return problems


def check_prediction(payload: dict[str, Any], expected: Expected) -> list[str]:
    prediction, problems = payload["prediction"], []
    if prediction is None:
        return ["prediction is null"]
    if not prediction["enoughData"] or prediction["prediction"] is None:
        return [f"no prediction: {prediction['note']}"]
    if not 0 < prediction["n"] <= expected.hires_with_predicted_kpi:
        problems.append(f"n = {prediction['n']}, but {expected.hires_with_predicted_kpi} hires have {PREDICTED_KPI}")
    lower, value, upper = prediction["predictionLower"], prediction["prediction"], prediction["predictionUpper"]
    if lower is None or upper is None or not lower <= value <= upper:
        problems.append(f"the interval [{lower}, {upper}] does not hold the prediction {value}")
    return problems


def payload_problems(body: dict[str, Any], field: str, expected: Expected, check) -> list[str]:  # noqa: ANN001
    """GraphQL errors, then the payload's errors, then the figures."""
    if body.get("errors"):
        return [f"GraphQL errors: {body['errors']}"]
    payload = (body.get("data") or {}).get(field)
    if payload is None:
        return [f"no {field} in the answer"]
    if payload.get("errors"):
        return [f"payload errors: {payload['errors']}"]
    return check(payload, expected)
