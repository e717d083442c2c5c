"""The four workloads (anchor at 10 and 50 connections, floor, mutation) with each system's request bodies,
shared by statement counting, wrk and the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .checks import check_mutations, mutation_bodies
from .queries import FLOOR, HRGATE_ANCHOR, POSTGRAPHILE_ANCHOR
from .servers import Server


@dataclass
class Workload:
    key: str
    label: str
    connections: int
    bodies: dict[str, list[dict[str, Any]]]


def build_workloads(hrgate: Server, postgraphile: Server) -> list[Workload]:
    anchor = {hrgate.name: [{"query": HRGATE_ANCHOR}], postgraphile.name: [{"query": POSTGRAPHILE_ANCHOR}]}
    floor = {hrgate.name: [{"query": FLOOR}], postgraphile.name: [{"query": FLOOR}]}
    mutations = mutation_bodies(hrgate, postgraphile)
    check_mutations([hrgate, postgraphile], mutations)
    return [
        Workload("anchor-10", "anchor query, 10 connections", 10, anchor),
        Workload("anchor-50", "anchor query, 50 connections", 50, anchor),
        Workload("floor-10", "`{ __typename }`, 10 connections", 10, floor),
        Workload("mutation-10", "mutation (requisition headcount), 10 connections", 10, mutations),
    ]
