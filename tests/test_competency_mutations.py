"""Competency models, versions, KPIs and links: success and every error code, nothing half-written."""

from __future__ import annotations

from gateway.models import CompetencyModelVersion, Dimension, DimensionKpiLink
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import fetch, global_id, row_count


async def test_create_model_with_first_version(gql):
    payload = await gql.mutate(
        factories.COMPETENCY_MODEL_CREATE, "competencyModelCreate", input=factories.competency_model_input("teller")
    )
    assert payload["competencyModel"]["key"] == "teller"
    version = payload["version"]
    assert version["version"] == 1 and version["frozen"] is False
    weights = {edge["node"]["key"]: edge["node"]["weight"] for edge in version["dimensions"]["edges"]}
    assert weights == {"numeracy": 0.4, "service": 0.3, "risk_awareness": 0.3}
    assert await row_count(Dimension) == 3


async def test_weights_must_sum_to_one(gql):
    data = factories.competency_model_input(dimensions=factories.teller_dimensions((0.5, 0.3, 0.3)))
    errors = await refused(gql, factories.COMPETENCY_MODEL_CREATE, "competencyModelCreate", input=data)
    assert codes(errors) == ["WEIGHTS_DO_NOT_SUM_TO_ONE"]
    assert errors[0]["field"] == "dimensions"
    assert "1.1" in errors[0]["message"]


async def test_duplicate_model_key_is_refused(gql):
    await factories.create_model(gql, key="teller")
    errors = await refused(
        gql,
        factories.COMPETENCY_MODEL_CREATE,
        "competencyModelCreate",
        input=factories.competency_model_input("teller"),
    )
    assert codes(errors) == ["ALREADY_EXISTS"] and errors[0]["field"] == "key"


async def test_invalid_model_fields_name_the_field(gql):
    dimensions = factories.teller_dimensions()
    dimensions[1]["questions"] = []
    dimensions[2]["key"] = "Risk Awareness!"
    data = factories.competency_model_input(dimensions=dimensions)
    errors = await refused(gql, factories.COMPETENCY_MODEL_CREATE, "competencyModelCreate", input=data)
    assert {(error["field"], error["code"]) for error in errors} == {
        ("dimensions.1.questions", "INVALID"),
        ("dimensions.2.key", "INVALID"),
    }


async def test_duplicate_dimension_keys_are_refused(gql):
    dimensions = [factories.dimension("service", 0.5), factories.dimension("service", 0.5)]
    errors = await refused(
        gql,
        factories.COMPETENCY_MODEL_CREATE,
        "competencyModelCreate",
        input=factories.competency_model_input(dimensions=dimensions),
    )
    assert codes(errors) == ["INVALID"] and errors[0]["field"] == "dimensions"


async def test_new_version_numbers_up_and_leaves_the_old_one(gql):
    model = await factories.create_model(gql)
    payload = await gql.mutate(
        factories.VERSION_CREATE,
        "competencyModelVersionCreate",
        input={"modelId": model["model_id"], "dimensions": factories.teller_dimensions((0.2, 0.4, 0.4)), "notes": "v2"},
    )
    assert payload["version"]["version"] == 2
    first = await fetch(CompetencyModelVersion, model["version_id"])
    assert first.version == 1
    assert await row_count(Dimension) == 6


async def test_new_version_of_unknown_or_mistyped_model(gql):
    model = await factories.create_model(gql)
    dims = factories.teller_dimensions()
    unknown = await refused(
        gql,
        factories.VERSION_CREATE,
        "competencyModelVersionCreate",
        input={"modelId": global_id("CompetencyModel", 999), "dimensions": dims},
    )
    assert codes(unknown) == ["NOT_FOUND"] and unknown[0]["field"] == "modelId"
    wrong_type = await refused(
        gql,
        factories.VERSION_CREATE,
        "competencyModelVersionCreate",
        input={"modelId": model["version_id"], "dimensions": dims},
    )
    assert codes(wrong_type) == ["WRONG_TYPE"]
    garbage = await refused(
        gql,
        factories.VERSION_CREATE,
        "competencyModelVersionCreate",
        input={"modelId": "not-an-id", "dimensions": dims},
    )
    assert codes(garbage) == ["INVALID_ID"]
    bad_weights = await refused(
        gql,
        factories.VERSION_CREATE,
        "competencyModelVersionCreate",
        input={"modelId": model["model_id"], "dimensions": factories.teller_dimensions((0.1, 0.1, 0.1))},
    )
    assert codes(bad_weights) == ["WEIGHTS_DO_NOT_SUM_TO_ONE"]


async def test_draft_version_edit_keeps_kpi_links_of_kept_dimensions(gql):
    model = await factories.create_model(gql)
    kpi_id = await factories.create_kpi(gql)
    await factories.link(gql, model["dimension_ids"]["service"], kpi_id)
    await factories.link(gql, model["dimension_ids"]["numeracy"], kpi_id)
    dimensions = [factories.dimension("service", 0.6), factories.dimension("compliance", 0.4)]
    payload = await gql.mutate(
        factories.VERSION_UPDATE,
        "competencyModelVersionUpdate",
        input={"versionId": model["version_id"], "dimensions": dimensions, "notes": "reworked"},
    )
    keys = {edge["node"]["key"]: edge["node"] for edge in payload["version"]["dimensions"]["edges"]}
    assert set(keys) == {"service", "compliance"}
    assert keys["service"]["id"] == model["dimension_ids"]["service"]
    assert await row_count(DimensionKpiLink) == 1


async def test_pinned_version_is_frozen(gql):
    model = await factories.create_model(gql)
    await factories.create_requisition(gql, model["version_id"])
    errors = await refused(
        gql,
        factories.VERSION_UPDATE,
        "competencyModelVersionUpdate",
        input={"versionId": model["version_id"], "dimensions": factories.teller_dimensions((0.2, 0.4, 0.4))},
    )
    assert codes(errors) == ["VERSION_FROZEN"] and errors[0]["field"] == "versionId"
    unknown = await refused(
        gql,
        factories.VERSION_UPDATE,
        "competencyModelVersionUpdate",
        input={"versionId": global_id("CompetencyModelVersion", 999), "dimensions": factories.teller_dimensions()},
    )
    assert codes(unknown) == ["NOT_FOUND"]


async def test_kpi_definition_create_and_errors(gql):
    data = {
        "key": "error_rate",
        "nameZh": "差错率",
        "nameEn": "Error rate",
        "unit": "%",
        "direction": "LOWER_IS_BETTER",
        "periodKind": "MONTH",
    }
    payload = await gql.mutate(factories.KPI_CREATE, "kpiDefinitionCreate", input=data)
    assert payload["kpiDefinition"]["direction"] == "LOWER_IS_BETTER"
    duplicate = await refused(gql, factories.KPI_CREATE, "kpiDefinitionCreate", input=data)
    assert codes(duplicate) == ["ALREADY_EXISTS"]
    invalid = await refused(gql, factories.KPI_CREATE, "kpiDefinitionCreate", input={**data, "key": "x y", "unit": ""})
    assert {(error["field"], error["code"]) for error in invalid} == {("key", "INVALID"), ("unit", "INVALID")}


async def test_dimension_kpi_link_and_errors(gql):
    model = await factories.create_model(gql)
    kpi_id = await factories.create_kpi(gql)
    dimension_id = model["dimension_ids"]["risk_awareness"]
    payload = await factories.link(gql, dimension_id, kpi_id)
    assert payload["link"]["dimension"]["key"] == "risk_awareness"
    duplicate = await refused(
        gql, factories.LINK_CREATE, "dimensionKpiLinkCreate", input={"dimensionId": dimension_id, "kpiId": kpi_id}
    )
    assert codes(duplicate) == ["ALREADY_EXISTS"]
    missing = await refused(
        gql,
        factories.LINK_CREATE,
        "dimensionKpiLinkCreate",
        input={"dimensionId": global_id("Dimension", 999), "kpiId": kpi_id},
    )
    assert codes(missing) == ["NOT_FOUND"] and missing[0]["field"] == "dimensionId"
    missing_kpi = await refused(
        gql,
        factories.LINK_CREATE,
        "dimensionKpiLinkCreate",
        input={"dimensionId": dimension_id, "kpiId": global_id("KpiDefinition", 999)},
    )
    assert codes(missing_kpi) == ["NOT_FOUND"] and missing_kpi[0]["field"] == "kpiId"
    wrong = await refused(
        gql, factories.LINK_CREATE, "dimensionKpiLinkCreate", input={"dimensionId": kpi_id, "kpiId": kpi_id}
    )
    assert codes(wrong) == ["WRONG_TYPE"] and wrong[0]["field"] == "dimensionId"
