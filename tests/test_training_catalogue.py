"""The training catalogue: programmes linked to competency dimensions, upserted by HR or by the LMS
(``learning:write``), refused when a dimension belongs to another model version; development thresholds."""

from __future__ import annotations

from sqlmodel import select

from gateway.db import read_session
from gateway.models import AuditEvent
from gateway.models.training import TrainingProgramme, TrainingProgrammeDimension
from resolvers.services.audit import person, service
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import row_count
from tests.graphql_client import GraphQLClient

UPSERT = f"""
mutation($input: TrainingProgrammeUpsertInput!) {{
  trainingProgrammeUpsert(input: $input) {{
    created
    programme {{
      id key nameZh nameEn description provider durationHours deliveryMode
      modelVersion {{ id version }}
      dimensions {{ key }}
    }}
    {factories.ERRORS}
  }}
}}"""

PROGRAMMES = "{ trainingProgrammes(first: 10) { totalCount edges { node { key nameEn dimensions { key } } } } }"

THRESHOLD = f"""
mutation($input: DimensionDevelopmentThresholdSetInput!) {{
  dimensionDevelopmentThresholdSet(input: $input) {{ dimension {{ key developmentThreshold }} {factories.ERRORS} }}
}}"""


def programme_input(model: dict, *dimension_keys: str, key: str = "FIN-101", **overrides) -> dict:
    data = {
        "key": key,
        "nameZh": "数据处理与核算",
        "nameEn": "Data handling for tellers",
        "description": "Counting, reconciling and spotting anomalies in ledger figures.",
        "provider": "Bank academy",
        "durationHours": 12,
        "deliveryMode": "BLENDED",
        "modelVersionId": model["version_id"],
        "dimensionIds": [model["dimension_ids"][name] for name in dimension_keys or ("numeracy",)],
    }
    data.update(overrides)
    return data


async def test_hr_creates_then_updates_a_programme_by_its_course_code(gql):
    model = await factories.create_model(gql)
    created = await gql.mutate(UPSERT, "trainingProgrammeUpsert", input=programme_input(model, "numeracy", "service"))
    assert created["created"] is True
    programme = created["programme"]
    assert programme["key"] == "FIN-101" and programme["deliveryMode"] == "BLENDED"
    assert programme["durationHours"] == 12 and programme["modelVersion"]["id"] == model["version_id"]
    assert sorted(item["key"] for item in programme["dimensions"]) == ["numeracy", "service"]

    updated = await gql.mutate(
        UPSERT,
        "trainingProgrammeUpsert",
        input=programme_input(model, "numeracy", "risk_awareness", provider="Partner college", durationHours=16),
    )
    assert updated["created"] is False and updated["programme"]["id"] == programme["id"]
    assert updated["programme"]["provider"] == "Partner college"
    assert sorted(item["key"] for item in updated["programme"]["dimensions"]) == ["numeracy", "risk_awareness"]
    assert await row_count(TrainingProgramme) == 1
    assert await row_count(TrainingProgrammeDimension) == 2

    listed = (await gql(PROGRAMMES))["trainingProgrammes"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["nameEn"] == "Data handling for tellers"
    async with read_session() as session:
        actions = (
            await session.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "TrainingProgramme"))
        ).all()
    assert actions == ["training_programme.create", "training_programme.update"]


async def test_the_lms_pushes_its_catalogue_with_learning_write(gql):
    model = await factories.create_model(gql)
    lms = GraphQLClient(service("lms-1", ["learning:write"]))
    payload = await lms.mutate(UPSERT, "trainingProgrammeUpsert", input=programme_input(model, key="lms:stress.2026"))
    assert payload["created"] is True
    again = await lms.mutate(UPSERT, "trainingProgrammeUpsert", input=programme_input(model, key="lms:stress.2026"))
    assert again["created"] is False  # the same push again duplicates nothing
    assert await row_count(TrainingProgramme) == 1
    # the LMS reads the catalogue (reference data) but no employee data
    assert (await lms(PROGRAMMES))["trainingProgrammes"]["totalCount"] == 1
    result = await lms.execute("{ employees(first: 1) { totalCount } }")
    assert [error.extensions["code"] for error in result.errors] == ["FORBIDDEN"]


async def test_only_hr_admins_and_the_lms_write_the_catalogue(gql):
    model = await factories.create_model(gql)
    for actor in (
        person("rec-1", ["recruiter"]),
        person("audit-1", ["auditor"]),
        service("erp-5", ["kpi:write"]),
        service("erp-6", ["competency:write"]),
        service("hr-bi", ["employees:read"]),
    ):
        result = await GraphQLClient(actor).execute(UPSERT, input=programme_input(model))
        assert [error.extensions["code"] for error in result.errors] == ["FORBIDDEN"], actor
    assert await row_count(TrainingProgramme) == 0


async def test_a_dimension_of_another_model_version_is_refused(gql):
    model = await factories.create_model(gql)
    version_2 = await gql.mutate(
        factories.VERSION_CREATE,
        "competencyModelVersionCreate",
        input={"modelId": model["model_id"], "dimensions": factories.teller_dimensions((0.2, 0.4, 0.4))},
    )
    other_model = await factories.create_model(gql)
    errors = await refused(
        gql,
        UPSERT,
        "trainingProgrammeUpsert",
        input=programme_input(
            model,
            modelVersionId=version_2["version"]["id"],
            dimensionIds=[model["dimension_ids"]["numeracy"], other_model["dimension_ids"]["service"]],
        ),
    )
    assert codes(errors) == ["DIMENSION_NOT_IN_VERSION", "DIMENSION_NOT_IN_VERSION"]
    assert [error["field"] for error in errors] == ["dimensionIds.0", "dimensionIds.1"]
    assert "version 1, not to the programme's" in errors[0]["message"]


async def test_bad_programme_input_is_refused_field_by_field(gql):
    model = await factories.create_model(gql)
    cases = [
        (programme_input(model, key="has space"), "key", "INVALID"),
        (programme_input(model, durationHours=0), "durationHours", "INVALID"),
        (programme_input(model, nameEn=""), "nameEn", "INVALID"),
        (programme_input(model, dimensionIds=[]), "dimensionIds", "REQUIRED"),
        (programme_input(model, dimensionIds=["not-an-id"]), "dimensionIds.0", "INVALID_ID"),
        (programme_input(model, dimensionIds=[model["version_id"]]), "dimensionIds.0", "WRONG_TYPE"),
    ]
    for data, field, code in cases:
        errors = await refused(gql, UPSERT, "trainingProgrammeUpsert", input=data)
        assert (errors[0]["field"], errors[0]["code"]) == (field, code), errors


async def test_a_development_threshold_is_set_at_creation_and_on_a_frozen_version(gql):
    dimensions = factories.teller_dimensions()
    dimensions[0]["developmentThreshold"] = 60
    model = await factories.create_model(gql, dimensions=dimensions)
    await factories.create_requisition(gql, model["version_id"])  # pins (freezes) the version
    payload = await gql.mutate(
        THRESHOLD,
        "dimensionDevelopmentThresholdSet",
        input={"dimensionId": model["dimension_ids"]["service"], "threshold": 55},
    )
    assert payload["dimension"] == {"key": "service", "developmentThreshold": 55.0}
    version = await gql(
        "query($id: ID!) { node(id: $id) { ... on CompetencyModelVersion { frozen dimensions { edges { node { key "
        "developmentThreshold } } } } } }",
        id=model["version_id"],
    )
    node = version["node"]
    assert node["frozen"] is True
    assert {edge["node"]["key"]: edge["node"]["developmentThreshold"] for edge in node["dimensions"]["edges"]} == {
        "numeracy": 60.0,
        "service": 55.0,
        "risk_awareness": None,
    }
    errors = await refused(
        gql,
        THRESHOLD,
        "dimensionDevelopmentThresholdSet",
        input={"dimensionId": model["dimension_ids"]["service"], "threshold": 120},
    )
    assert codes(errors) == ["INVALID"]
