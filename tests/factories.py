"""Test data, made through the public GraphQL mutations (one place, not copy-pasted dicts)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.graphql_client import GraphQLClient

_sequence = itertools.count(1)

ERRORS = "errors { field message code }"

COMPETENCY_MODEL_CREATE = f"""
mutation($input: CompetencyModelCreateInput!) {{
  competencyModelCreate(input: $input) {{
    competencyModel {{ id key nameZh nameEn }}
    version {{ id version frozen dimensions {{ edges {{ node {{ id key weight questions {{ edges {{ node {{ id }} }} }} }} }} }} }}
    {ERRORS}
  }}
}}"""

VERSION_CREATE = f"""
mutation($input: CompetencyModelVersionCreateInput!) {{
  competencyModelVersionCreate(input: $input) {{ version {{ id version frozen }} {ERRORS} }}
}}"""

VERSION_UPDATE = f"""
mutation($input: CompetencyModelVersionUpdateInput!) {{
  competencyModelVersionUpdate(input: $input) {{
    version {{ id version notes dimensions {{ edges {{ node {{ id key weight }} }} }} }} {ERRORS}
  }}
}}"""

KPI_CREATE = f"""
mutation($input: KpiDefinitionCreateInput!) {{
  kpiDefinitionCreate(input: $input) {{ kpiDefinition {{ id key direction periodKind }} {ERRORS} }}
}}"""

LINK_CREATE = f"""
mutation($input: DimensionKpiLinkCreateInput!) {{
  dimensionKpiLinkCreate(input: $input) {{ link {{ id dimension {{ key }} kpi {{ key }} }} {ERRORS} }}
}}"""

REQUISITION_CREATE = f"""
mutation($input: RequisitionCreateInput!) {{
  requisitionCreate(input: $input) {{ requisition {{ id title status headcount competencyModelVersion {{ id frozen }} }} {ERRORS} }}
}}"""

REQUISITION_UPDATE = f"""
mutation($input: RequisitionUpdateInput!) {{
  requisitionUpdate(input: $input) {{ requisition {{ id title department status headcount }} {ERRORS} }}
}}"""

REQUISITION_CLOSE = f"""
mutation($input: RequisitionCloseInput!) {{
  requisitionClose(input: $input) {{ requisition {{ id status closedAt closeReason }} {ERRORS} }}
}}"""

CANDIDATE_CREATE = f"""
mutation($input: CandidateCreateInput!) {{
  candidateCreate(input: $input) {{
    candidate {{ id fullName email consents {{ edges {{ node {{ kind granted noticeVersion }} }} }} }} {ERRORS}
  }}
}}"""

APPLICATION_CREATE = f"""
mutation($input: ApplicationCreateInput!) {{
  applicationCreate(input: $input) {{ application {{ id stage }} {ERRORS} }}
}}"""

APPLICATION_MOVE = f"""
mutation($input: ApplicationMoveStageInput!) {{
  applicationMoveStage(input: $input) {{
    application {{ id stage stageHistory {{ edges {{ node {{ fromStage toStage reason }} }} }} }} {ERRORS}
  }}
}}"""

INTERVIEW_INVITE = f"""
mutation($input: InterviewInviteInput!) {{
  interviewInvite(input: $input) {{
    interview {{ id status expiresAt questions {{ totalCount edges {{ node {{ position question {{ id }} }} }} }} }}
    invitationToken invitationUrl {ERRORS}
  }}
}}"""

EMPLOYEE_HIRE = f"""
mutation($input: EmployeeHireInput!) {{
  employeeHire(input: $input) {{
    employee {{
      id employeeNumber department positionTitle
      onboardingArchive {{ resumeText backgroundCheck {{ status provider }} interviewReport {{ id }} }}
      kpiAssignments {{ edges {{ node {{ id kpi {{ key }} dimension {{ key }} }} }} }}
    }}
    {ERRORS}
  }}
}}"""

KPI_RECORD_CREATE = f"""
mutation($input: KpiRecordCreateInput!) {{
  kpiRecordCreate(input: $input) {{ kpiRecord {{ id period actual target }} {ERRORS} }}
}}"""


def question(topic: str = "cash count") -> dict[str, Any]:
    return {
        "promptZh": f"请描述你如何处理{topic}的问题。",
        "promptEn": f"Describe how you would handle a {topic} problem.",
        "timeLimitSeconds": 120,
        "rubricKeywords": ["核对", "verify"],
        "excellentAnswers": [f"I would verify the {topic} twice and explain calmly to the customer."],
    }


def dimension(key: str, weight: float, name: str | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "nameZh": f"{name or key}维度",
        "nameEn": name or key.replace("_", " ").title(),
        "weight": weight,
        "questions": [question(key.replace("_", " "))],
    }


def teller_dimensions(weights: tuple[float, float, float] = (0.4, 0.3, 0.3)) -> list[dict[str, Any]]:
    keys = ("numeracy", "service", "risk_awareness")
    return [dimension(key, weight) for key, weight in zip(keys, weights, strict=True)]


def competency_model_input(key: str | None = None, **overrides: Any) -> dict[str, Any]:
    data = {
        "key": key or f"teller_{next(_sequence)}",
        "nameZh": "柜员",
        "nameEn": "Teller",
        "dimensions": teller_dimensions(),
    }
    data.update(overrides)
    return data


async def create_model(gql: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    payload = await gql.mutate(
        COMPETENCY_MODEL_CREATE, "competencyModelCreate", input=competency_model_input(**overrides)
    )
    version = payload["version"]
    dimensions = [edge["node"] for edge in version["dimensions"]["edges"]]
    return {
        "model_id": payload["competencyModel"]["id"],
        "version_id": version["id"],
        "dimension_ids": {dimension["key"]: dimension["id"] for dimension in dimensions},
        "question_ids": [q["node"]["id"] for d in dimensions for q in d["questions"]["edges"]],
    }


async def create_kpi(gql: GraphQLClient, key: str | None = None, period_kind: str = "QUARTER") -> str:
    payload = await gql.mutate(
        KPI_CREATE,
        "kpiDefinitionCreate",
        input={
            "key": key or f"kpi_{next(_sequence)}",
            "nameZh": "差错率",
            "nameEn": "Error rate",
            "unit": "%",
            "direction": "LOWER_IS_BETTER",
            "periodKind": period_kind,
        },
    )
    return payload["kpiDefinition"]["id"]


async def link(gql: GraphQLClient, dimension_id: str, kpi_id: str) -> dict[str, Any]:
    return await gql.mutate(LINK_CREATE, "dimensionKpiLinkCreate", input={"dimensionId": dimension_id, "kpiId": kpi_id})


async def create_requisition(gql: GraphQLClient, version_id: str, **overrides: Any) -> str:
    data = {
        "title": "Branch Teller",
        "department": "Retail Banking",
        "businessLine": "RETAIL",
        "headcount": 2,
        "competencyModelVersionId": version_id,
    }
    data.update(overrides)
    payload = await gql.mutate(REQUISITION_CREATE, "requisitionCreate", input=data)
    return payload["requisition"]["id"]


async def create_candidate(gql: GraphQLClient, **overrides: Any) -> str:
    number = next(_sequence)
    data = {
        "fullName": f"王小明{number}",
        "email": f"candidate{number}@mail.example",
        "resumeText": "3 years as teller",
    }
    data.update(overrides)
    payload = await gql.mutate(CANDIDATE_CREATE, "candidateCreate", input=data)
    return payload["candidate"]["id"]


async def apply(gql: GraphQLClient, candidate_id: str, requisition_id: str) -> str:
    payload = await gql.mutate(
        APPLICATION_CREATE, "applicationCreate", input={"candidateId": candidate_id, "requisitionId": requisition_id}
    )
    return payload["application"]["id"]


async def move(gql: GraphQLClient, application_id: str, stage: str) -> dict[str, Any]:
    return await gql.mutate(
        APPLICATION_MOVE, "applicationMoveStage", input={"applicationId": application_id, "stage": stage}
    )


async def invite(gql: GraphQLClient, application_id: str) -> dict[str, Any]:
    return await gql.mutate(INTERVIEW_INVITE, "interviewInvite", input={"applicationId": application_id})


async def application_at_offer(gql: GraphQLClient, requisition_id: str) -> str:
    application_id = await apply(gql, await create_candidate(gql), requisition_id)
    await invite(gql, application_id)
    await move(gql, application_id, "SECOND_INTERVIEW")
    await move(gql, application_id, "OFFER")
    return application_id


def hire_input(application_id: str, employee_number: str | None = None) -> dict[str, Any]:
    return {
        "applicationId": application_id,
        "employeeNumber": employee_number or f"E{next(_sequence):05d}",
        "startDate": "2026-03-01",
        "backgroundCheck": {"status": "CLEAR", "provider": "TrustCheck"},
    }


async def hire(gql: GraphQLClient, application_id: str) -> dict[str, Any]:
    return (await gql.mutate(EMPLOYEE_HIRE, "employeeHire", input=hire_input(application_id)))["employee"]
