"""The same-rows check: both systems must return the same 100 leaf rows for the anchor query, list the same
mutation targets and apply the mutation, before anything is measured (a faster wrong answer proves nothing)."""

from __future__ import annotations

from typing import Any

import httpx

from .errors import BenchmarkError
from .queries import (
    HRGATE_ANCHOR,
    HRGATE_MUTATION,
    HRGATE_MUTATION_TARGETS,
    POSTGRAPHILE_ANCHOR,
    POSTGRAPHILE_MUTATION,
    POSTGRAPHILE_MUTATION_TARGETS,
)
from .servers import Server


def hrgate_rows(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for requisition in data["requisitions"]["edges"]:
        for application in requisition["node"]["applications"]["edges"]:
            node = application["node"]
            interview = node["latestInterview"]
            report = interview and interview["report"]
            rows.append(_leaf(requisition["node"]["title"], node["candidate"], interview, report))
    return rows


def postgraphile_rows(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for requisition in data["allRequisitions"]["nodes"]:
        for application in requisition["applicationsByRequisitionId"]["nodes"]:
            interviews = application["interviewsByApplicationId"]["nodes"]
            interview = interviews[0] if interviews else None
            report = interview and interview["interviewReportByInterviewId"]
            rows.append(_leaf(requisition["title"], application["candidateByCandidateId"], interview, report))
    return rows


def _leaf(title: str, candidate: dict[str, Any], interview: dict[str, Any] | None, report: dict[str, Any] | None):  # noqa: ANN202
    def number(value: float | None) -> float | None:
        return None if value is None else round(float(value), 6)

    return (
        title,
        candidate["fullName"],
        candidate["email"],
        interview["status"].lower() if interview else None,
        number(report["total"]) if report else None,
        number(report["percentile"]) if report else None,
    )


def check_same_rows(hrgate: Server, postgraphile: Server) -> int:
    with httpx.Client(timeout=60) as client:
        ours = hrgate_rows(hrgate.post(client, HRGATE_ANCHOR))
        theirs = postgraphile_rows(postgraphile.post(client, POSTGRAPHILE_ANCHOR))
    if ours != theirs:
        differences = [f"  hrgate {a}\n  PostGraphile {b}" for a, b in zip(ours, theirs, strict=False) if a != b]
        raise BenchmarkError(
            f"the anchor query answers differ (hrgate {len(ours)} rows, PostGraphile {len(theirs)}):\n"
            + "\n".join(differences[:5])
        )
    if len(ours) != 100 or any(None in row for row in ours):
        raise BenchmarkError(f"the anchor query should give 100 complete leaf rows, got {len(ours)}: {ours[:3]}")
    return len(ours)


def mutation_bodies(hrgate: Server, postgraphile: Server) -> dict[str, list[dict[str, Any]]]:
    """Requisitions 21–100 (outside the anchor page), each request moving the next one's headcount."""
    with httpx.Client(timeout=60) as client:
        ours = [edge["node"] for edge in hrgate.post(client, HRGATE_MUTATION_TARGETS)["requisitions"]["edges"]][20:]
        theirs = postgraphile.post(client, POSTGRAPHILE_MUTATION_TARGETS)["allRequisitions"]["nodes"][20:]
    if [row["title"] for row in ours] != [row["title"] for row in theirs] or len(ours) != 80:
        raise BenchmarkError("the two systems list different requisitions 21–100")
    return {
        hrgate.name: [
            {"query": HRGATE_MUTATION, "variables": {"input": {"id": row["id"], "headcount": 1 + index % 5}}}
            for index, row in enumerate(ours)
        ],
        postgraphile.name: [
            {"query": POSTGRAPHILE_MUTATION, "variables": {"id": row["id"], "headcount": 1 + index % 5}}
            for index, row in enumerate(theirs)
        ],
    }


def check_mutations(servers: list[Server], bodies: dict[str, list[dict[str, Any]]]) -> None:
    with httpx.Client(timeout=60) as client:
        for server in servers:
            body = bodies[server.name][0]
            data = server.post(client, body["query"], body["variables"])
            payload = data.get("requisitionUpdate") or data.get("updateRequisitionById")
            if not payload or payload.get("errors") or payload["requisition"]["headcount"] != 1:
                raise BenchmarkError(f"{server.name}'s mutation did not apply: {data}")
