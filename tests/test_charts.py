"""Charts: the pure renderers (PNG and SVG, Chinese and English, missing values) and the HTTP routes."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree

import httpx
import pytest
from matplotlib import image as mpimg
from sqlmodel import select
from starlette.applications import Starlette

from gateway.auth import build_verifier
from gateway.chart_routes import chart_routes
from gateway.db import read_session
from gateway.models import Application, AuditEvent, Interview, InterviewReport
from gateway.settings import get_settings
from resolvers import charts
from resolvers.analytics.statistics import distribution
from resolvers.charts import HISTOGRAM_SIZE_PX, RADAR_SIZE_PX, render_histogram, render_radar
from tests import factories
from tests.db_helpers import fetch, global_id, insert
from tests.tokens import bearer, hr_admin_headers, person_token, service_token

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
AXES = [
    ("数理能力", "Numeracy", 78.0),
    ("客户服务", "Service", None),
    ("风险意识", "Risk awareness", 64.5),
    ("沟通表达", "Communication", 88.0),
]
RADAR = [
    {"key": key, "label_zh": zh, "label_en": en, "value": value}
    for key, (zh, en, value) in zip(["numeracy", "service", "risk", "communication"], AXES, strict=True)
]
MANAGER, OTHER_MANAGER = "manager-1", "manager-2"


def _png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(PNG_MAGIC)
    pixels = mpimg.imread(io.BytesIO(body), format="png")
    return pixels.shape[1], pixels.shape[0]


def _svg_text(body: bytes) -> str:
    """The SVG, after checking it parses as XML with an ``<svg>`` root (labels are kept as comments)."""
    root = ElementTree.fromstring(body)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return body.decode()


def _labels(svg: str) -> list[str]:
    """The texts drawn in the SVG (matplotlib draws glyphs as paths and names each text in a comment)."""
    return re.findall(r"<!-- (.*?) -->", svg, flags=re.DOTALL)


def _glyph_fonts(svg: str) -> set[str]:
    """Fonts whose glyph outlines the SVG embeds (matplotlib names them ``<PostScript name>-<glyph>``)."""
    return {match.group(1) for match in re.finditer(r'<path id="([A-Za-z][\w-]*?)-[0-9a-f]+"', svg)}


def test_a_cjk_font_is_installed_for_chinese_charts():
    """The project installs fonts-noto-cjk (scripts/install-system-packages); nothing may skip."""
    assert charts.cjk_font_family() is not None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_radar_png_has_the_expected_size(language):
    assert _png_size(render_radar(AXES, language=language, fmt="png")) == RADAR_SIZE_PX


def test_radar_svg_in_chinese_draws_chinese_glyphs():
    svg = _svg_text(render_radar(AXES, language="zh", fmt="svg"))
    for label in ("数理能力", "客户服务", "风险意识", "沟通表达", "证据不足"):
        assert label in svg
    assert "Numeracy" not in svg
    assert _glyph_fonts(svg) - {"DejaVuSans"}, "Chinese labels must come from a CJK font, not DejaVu's boxes"


def test_radar_svg_in_english():
    svg = _svg_text(render_radar(AXES, language="en", fmt="svg"))
    for label in ("Numeracy", "Service", "Risk awareness", "Communication", "insufficient evidence", "78", "64"):
        assert label in svg
    assert "数理能力" not in svg


def test_radar_falls_back_to_english_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(charts, "cjk_font_family", lambda: None)
    svg = _svg_text(render_radar(AXES, language="zh", fmt="svg"))
    assert "Numeracy" in svg and "insufficient evidence" in svg
    assert "数理能力" not in svg and "证据不足" not in svg
    assert _glyph_fonts(svg) <= {"DejaVuSans"}


def test_radar_handles_missing_out_of_range_and_empty_axes():
    all_missing = [("数理能力", "Numeracy", None), ("客户服务", "Service", None), ("风险意识", "Risk", None)]
    svg = _svg_text(render_radar(all_missing, language="en", fmt="svg"))
    assert svg.count("insufficient evidence") == 3
    clamped = _svg_text(render_radar([("a", "Alpha", 140.0), ("b", "Beta", -5.0)], language="en", fmt="svg"))
    assert {"Alpha", "100", "Beta", "0"} <= set(_labels(clamped)) and not any(
        "140" in text for text in _labels(clamped)
    )
    assert _png_size(render_radar([], language="zh", fmt="png")) == RADAR_SIZE_PX
    assert _png_size(render_radar([("数理能力", "Numeracy", 50.0)], language="zh", fmt="png")) == RADAR_SIZE_PX


def test_renderers_refuse_an_unknown_format():
    with pytest.raises(ValueError, match="png or svg"):
        render_radar(AXES, language="en", fmt="gif")  # type: ignore[arg-type]


def test_histogram_png_and_svg_annotate_n_and_median():
    scores = distribution([55, 61, 70, 72, 73, 80, 81, 90, 45, 66])
    assert _png_size(render_histogram(scores, title="柜员 Branch Teller", fmt="png")) == HISTOGRAM_SIZE_PX
    svg = _svg_text(render_histogram(scores, title="Branch Teller", fmt="svg"))
    assert "Branch Teller" in svg and "n = 10" in svg and "median = 71.0" in svg
    chinese = _svg_text(render_histogram(scores, title="柜员", fmt="svg", language="zh"))
    assert "柜员" in chinese and "中位数 = 71.0" in chinese


def test_histogram_of_no_scores_says_so():
    svg = _svg_text(render_histogram(distribution([]), title="Empty", fmt="svg"))
    assert "n = 0" in svg and "no scored interviews yet" in svg


def test_renders_are_independent_of_each_other():
    first = render_radar(AXES, language="zh", fmt="png")
    render_histogram(distribution([50, 60]), title="Between", fmt="png", language="en")
    render_radar(AXES[:2], language="en", fmt="svg")
    assert render_radar(AXES, language="zh", fmt="png") == first


# --- the routes over HTTP ---------------------------------------------------------------------------


@pytest.fixture
async def client():
    app = Starlette(routes=chart_routes(build_verifier(get_settings(), [])))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as http:
        yield http


async def _report(gql, manager: str) -> tuple[str, str]:
    """A requisition managed by ``manager`` with one scored report; (report ID, requisition ID)."""
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject=manager)
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    application = await fetch(Application, application_id)
    (interview,) = await insert(
        Interview(application_id=application.id, token_hash=f"{application.id:064d}", expires_at=application.created_at)
    )
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id,
            requisition_id=application.requisition_id,
            total=72.5,
            radar=RADAR,
            pipeline_version="test",
        )
    )
    return global_id("InterviewReport", report.id), requisition_id


async def _report_reads() -> list[AuditEvent]:
    async with read_session() as session:
        return list((await session.exec(select(AuditEvent).where(AuditEvent.action == "report.read"))).all())


async def test_hr_gets_the_radar_as_png_and_svg_and_the_read_is_audited(gql, client):
    report_id, _ = await _report(gql, MANAGER)
    png = await client.get(f"/charts/reports/{report_id}/radar.png", headers=hr_admin_headers())
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert _png_size(png.content) == RADAR_SIZE_PX
    assert png.headers["cache-control"] == "private, no-store"
    svg = await client.get(f"/charts/reports/{report_id}/radar.svg", params={"lang": "en"}, headers=hr_admin_headers())
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "Numeracy" in _svg_text(svg.content) and "insufficient evidence" in svg.text
    chinese = await client.get(f"/charts/reports/{report_id}/radar.svg?lang=zh", headers=hr_admin_headers())
    assert "数理能力" in _svg_text(chinese.content)
    reads = await _report_reads()
    assert len(reads) == 3
    assert {(event.entity_type, event.actor) for event in reads} == {("InterviewReport", "hr.admin@bank.example")}


async def test_radar_refusals(gql, client):
    report_id, _ = await _report(gql, MANAGER)
    url = f"/charts/reports/{report_id}/radar.png"
    anonymous = await client.get(url)
    assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    garbage = await client.get(url, headers={"authorization": "Bearer not.a.token"})
    assert garbage.status_code == 401 and garbage.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    no_reports = await client.get(url, headers=bearer(service_token("sap", "requisitions:read", "candidates:read")))
    assert no_reports.status_code == 403 and no_reports.json()["errors"][0]["code"] == "FORBIDDEN"
    connector = await client.get(url, headers=bearer(service_token("sap", "reports:read")))
    assert connector.status_code == 200
    unknown = await client.get(
        f"/charts/reports/{global_id('InterviewReport', 9999)}/radar.png", headers=hr_admin_headers()
    )
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "NOT_FOUND"
    for bad in ("garbage", global_id("Requisition", 1)):
        assert (await client.get(f"/charts/reports/{bad}/radar.png", headers=hr_admin_headers())).status_code == 404
    assert (await client.get(f"/charts/reports/{report_id}/radar.gif", headers=hr_admin_headers())).status_code == 404
    bad_language = await client.get(url, params={"lang": "fr"}, headers=hr_admin_headers())
    assert bad_language.status_code == 400 and bad_language.json()["errors"][0]["code"] == "BAD_USER_INPUT"
    assert [event.actor for event in await _report_reads()] == ["client:sap"]


async def test_hiring_managers_see_only_their_requisitions_charts(gql, client):
    own_report, own_requisition = await _report(gql, MANAGER)
    other_report, other_requisition = await _report(gql, OTHER_MANAGER)
    manager = bearer(person_token(MANAGER, "hiring_manager"))
    assert (await client.get(f"/charts/reports/{own_report}/radar.svg", headers=manager)).status_code == 200
    assert (await client.get(f"/charts/reports/{other_report}/radar.svg", headers=manager)).status_code == 404
    own = await client.get(f"/charts/requisitions/{own_requisition}/histogram.png", headers=manager)
    assert own.status_code == 200
    other = await client.get(f"/charts/requisitions/{other_requisition}/histogram.png", headers=manager)
    assert other.status_code == 404


async def test_requisition_histogram(gql, client):
    _, requisition_id = await _report(gql, MANAGER)
    url = f"/charts/requisitions/{requisition_id}/histogram"
    png = await client.get(f"{url}.png", headers=hr_admin_headers())
    assert png.status_code == 200 and _png_size(png.content) == HISTOGRAM_SIZE_PX
    svg = await client.get(f"{url}.svg?lang=en", headers=hr_admin_headers())
    # One scored interview: its score is withheld (minimum group size), the count is shown.
    assert "Branch Teller" in _svg_text(svg.content) and "n = 1" in svg.text and "median = —" in svg.text
    assert "too few scored interviews to show" in svg.text and "72.5" not in svg.text
    assert (await client.get(f"{url}.png")).status_code == 401
    refused = await client.get(f"{url}.png", headers=bearer(service_token("erp", "requisitions:read")))
    assert refused.status_code == 403
    unknown = await client.get(
        f"/charts/requisitions/{global_id('Requisition', 9999)}/histogram.png", headers=hr_admin_headers()
    )
    assert unknown.status_code == 404
