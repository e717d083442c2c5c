"""The nested HR-portal query costs a fixed number of SQL statements, whatever the page size."""

from __future__ import annotations

from datetime import timedelta

from gateway.db import get_engine
from gateway.models import Application, Candidate, Interview, InterviewReport, Requisition
from gateway.models.base import utcnow
from gateway.models.enums import BusinessLine
from schema.context import Context
from schema.root import schema
from tests import factories
from tests.db_helpers import insert, node_id
from tests.graphql_client import HR_ADMIN

NESTED_QUERY = """
query($first: Int!) {
  requisitions(first: $first) {
    totalCount
    edges { node {
      id title
      competencyModelVersion { version dimensions(first: 3) { edges { node { key weight } } } }
      applications(first: 3) {
        totalCount
        edges { node {
          stage
          candidate { fullName email }
          latestInterview { status report { total percentile dimensionScores(first: 3) { edges { node { score } } } } }
        } }
      }
    } }
  }
}"""


async def _populate(gql, requisitions: int, applications_each: int) -> None:
    model = await factories.create_model(gql)
    version_id = node_id(model["version_id"])
    rows = await insert(
        *[
            Requisition(
                title=f"Teller {index}",
                department="Retail",
                business_line=BusinessLine.RETAIL,
                headcount=3,
                competency_model_version_id=version_id,
            )
            for index in range(requisitions)
        ]
    )
    candidates = await insert(
        *[
            Candidate(full_name=f"候选人{index}", email=f"c{index}@mail.example")
            for index in range(requisitions * applications_each)
        ]
    )
    applications = await insert(
        *[
            Application(candidate_id=candidates[index].id, requisition_id=rows[index // applications_each].id)
            for index in range(len(candidates))
        ]
    )
    interviews = await insert(
        *[
            Interview(
                application_id=application.id,
                token_hash=f"{application.id:064d}",
                expires_at=utcnow() + timedelta(days=1),
            )
            for application in applications
        ]
    )
    await insert(
        *[
            InterviewReport(
                interview_id=interview.id,
                requisition_id=applications[index].requisition_id,
                total=50 + index % 50,
                pipeline_version="test",
            )
            for index, interview in enumerate(interviews)
        ]
    )


async def _statements_for(count_statements, first: int, *, compiled: bool) -> int:
    before = count_statements.count
    result = await schema.execute(
        NESTED_QUERY, variable_values={"first": first}, context_value=Context(actor=HR_ADMIN, compiled_reads=compiled)
    )
    assert result.errors is None, result.errors
    assert result.extensions["cost"]["requested"] <= result.extensions["cost"]["maximum"]
    data = result.data
    requisitions = data["requisitions"]["edges"]
    assert len(requisitions) == first
    for edge in requisitions:
        applications = edge["node"]["applications"]["edges"]
        assert len(applications) == 3
        assert all(app["node"]["latestInterview"]["report"]["total"] >= 50 for app in applications)
    return count_statements.count - before


async def test_statement_count_does_not_grow_with_page_size(gql, count_statements):
    await _populate(gql, requisitions=20, applications_each=3)
    # The DataLoader path: page + totalCount, version, dimensions, applications page + count, candidates,
    # interviews, reports, scores, and one insert auditing every report read (one per loader batch).
    small = await _statements_for(count_statements, first=2, compiled=False)
    large = await _statements_for(count_statements, first=20, compiled=False)
    assert small == large, count_statements.statements[-large:]
    assert large <= 11
    # The read compiler: one SELECT for the whole answer, one INSERT … SELECT auditing the reports it read
    # (SQLite's parser refuses statements nested this deep: there the query falls back, still bounded).
    small = await _statements_for(count_statements, first=2, compiled=True)
    large = await _statements_for(count_statements, first=20, compiled=True)
    assert small == large
    if get_engine().dialect.name == "postgresql":
        assert large == 2, count_statements.statements[-large:]
