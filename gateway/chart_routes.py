"""Charts over plain HTTP, for portals that show an image rather than draw GraphQL data themselves.

``GET /charts/reports/{reportId}/radar.{png|svg}?lang=zh|en`` — a report's radar (read audited);
``GET /charts/requisitions/{requisitionId}/histogram.{png|svg}?lang=zh|en`` — its interview totals (read audited;
no bars under ``HRGATE_ANALYTICS_MIN_GROUP_SIZE`` scored interviews).

IDs are the GraphQL global IDs. The bearer token is checked as for ``/graphql`` and access follows the
same rules (``resolvers.services.policy``: reading report data; hiring managers only under their own
requisitions, anything else answers 404 as ``node(id:)`` answers null). Errors are JSON
``{"errors": [{"message", "code"}]}`` with 400, 401, 403 or 404. Part of the composition root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry import relay

from gateway.auth import AuthenticationError, TokenVerifier
from gateway.models import InterviewReport, Requisition
from gateway.settings import get_settings
from resolvers.analytics.reports import record_statistics_read
from resolvers.services.audit import Actor, record_reads
from resolvers.services.chart_data import report_radar, requisition_totals
from resolvers.services.policy import Decision, Resource, may_read, rows_in_scope

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resolvers.analytics.statistics import Distribution
    from resolvers.charts import RadarAxis

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
RADAR_RESOURCE = Resource.REPORT
HISTOGRAM_RESOURCE = Resource.REPORT
"""Interview totals are report data, even summed up: the histogram asks what the report fields ask."""
_STATUS_BY_CODE = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403}
_HEADERS = {
    "cache-control": "private, no-store",  # personal data: never kept by shared caches
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
}


class ChartError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"errors": [{"message": self.message, "code": self.code}]},
            status_code=self.status,
            headers={"cache-control": "no-store"},
        )


async def _authorised(verifier: TokenVerifier, request: Request, resource: Resource) -> tuple[Actor, Decision]:
    """The caller and the policy's decision to let it read ``resource`` data (refusals as 401 / 403)."""
    try:
        actor = await verifier.authenticate(request.headers.get("authorization"))
    except AuthenticationError as error:
        raise ChartError(401, "UNAUTHENTICATED", f"authentication required: {error}") from None
    decision = may_read(actor, resource)
    if not decision.allowed:
        code = decision.code or "FORBIDDEN"
        raise ChartError(_STATUS_BY_CODE.get(code, 403), code, decision.reason or "not allowed for this principal")
    return actor, decision


def _database_id(value: str, type_name: str) -> int:
    try:
        global_id = relay.GlobalID.from_id(value)
        if global_id.type_name == type_name:
            return int(global_id.node_id)
    except Exception:  # noqa: BLE001 - any malformed ID is answered the same way
        pass
    raise ChartError(404, "NOT_FOUND", f"no {type_name} with ID '{value}'")


def _format_and_language(request: Request) -> tuple[str, str]:
    fmt = request.path_params["fmt"]
    if fmt not in CONTENT_TYPES:
        raise ChartError(404, "NOT_FOUND", "charts are available as .png or .svg")
    language = request.query_params.get("lang", DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        raise ChartError(400, "BAD_USER_INPUT", "lang must be zh or en")
    return fmt, language


async def _visible(decision: Decision, model: type, row_id: int) -> bool:
    return row_id in await rows_in_scope(decision, model, [row_id])


def _image(body: bytes, fmt: str) -> Response:
    return Response(body, media_type=CONTENT_TYPES[fmt], headers=_HEADERS)


def _radar(axes: Sequence[RadarAxis], *, language: Any, fmt: Any) -> bytes:
    """Runs in a worker thread: matplotlib is imported there on the first chart, never at start or on the event loop."""
    from resolvers.charts import render_radar

    return render_radar(axes, language=language, fmt=fmt)


def _histogram(totals: Distribution, *, title: str, language: Any, fmt: Any) -> bytes:
    """Runs in a worker thread, like ``_radar`` (matplotlib loads on first use).

    Under the minimum group size the distribution carries no bins (a bar of one is one candidate's score).
    """
    from resolvers.charts import render_histogram

    return render_histogram(totals, title=title, fmt=fmt, language=language)


def chart_routes(verifier: TokenVerifier) -> list[Route]:
    """The chart routes, authenticated by ``verifier`` (the one the GraphQL endpoint uses)."""

    async def radar(request: Request) -> Response:
        try:
            actor, decision = await _authorised(verifier, request, RADAR_RESOURCE)
            fmt, language = _format_and_language(request)
            report_id = _database_id(request.path_params["report_id"], "InterviewReport")
            data = await report_radar(report_id)
            if data is None or not await _visible(decision, InterviewReport, report_id):
                raise ChartError(404, "NOT_FOUND", f"no InterviewReport with ID '{request.path_params['report_id']}'")
        except ChartError as error:
            return error.response()
        if actor.kind in ("person", "service"):
            await record_reads(actor, [("InterviewReport", data.report_id)])
        body = await run_in_threadpool(_radar, data.axes, language=language, fmt=fmt)
        return _image(body, fmt)

    async def histogram(request: Request) -> Response:
        try:
            actor, decision = await _authorised(verifier, request, HISTOGRAM_RESOURCE)
            fmt, language = _format_and_language(request)
            requisition_id = _database_id(request.path_params["requisition_id"], "Requisition")
            min_group_size = get_settings().analytics_min_group_size
            data = await requisition_totals(requisition_id, min_group_size=min_group_size)
            if data is None or not await _visible(decision, Requisition, requisition_id):
                raise ChartError(404, "NOT_FOUND", f"no Requisition with ID '{request.path_params['requisition_id']}'")
        except ChartError as error:
            return error.response()
        await record_statistics_read(
            actor,
            "requisition_histogram.read",
            entity_type="Requisition",
            entity_id=requisition_id,
            report_ids=data.reports,
            details={"n": data.totals.n, "withheld": not data.totals.enough_data},
        )
        body = await run_in_threadpool(_histogram, data.totals, title=data.title, fmt=fmt, language=language)
        return _image(body, fmt)

    return [
        Route("/charts/reports/{report_id}/radar.{fmt}", radar, methods=["GET"]),
        Route("/charts/requisitions/{requisition_id}/histogram.{fmt}", histogram, methods=["GET"]),
    ]
