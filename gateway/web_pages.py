"""The built web pages (``web/dist``, made by ``npm run build`` in the install step), served by the gateway.

- ``/interview/{token}``: the candidate's interview page, the ``invitationUrl`` of ``interviewInvite``;
- ``/graphql`` in a browser (development): GraphiQL from the locally installed npm package, no CDN;
- ``/ui/…``: the pages' scripts and styles (file names carry a content hash: cached for a year).

The candidate's page carries its credential in the path, so it is sent with ``Referrer-Policy: no-referrer``
and ``no-store``, and a Content-Security-Policy that allows only this origin (and the camera for it).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from gateway.settings import get_settings

CHECKOUT_WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
ASSET_PREFIX = "/ui"
NOT_BUILT = "the web pages are not built: run `make install` (it runs `npm ci && npm run build` in web/)"

CANDIDATE_PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "permissions-policy": "camera=(self), microphone=(self), geolocation=()",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}


def web_dist() -> Path:
    return get_settings().web_dist_dir or CHECKOUT_WEB_DIST


def built_page(name: str) -> str | None:
    path = web_dist() / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


async def candidate_page(request: Request) -> Response:
    html = built_page("index.html")
    if html is None:
        return PlainTextResponse(NOT_BUILT, status_code=503, headers={"cache-control": "no-store"})
    return HTMLResponse(html, headers=CANDIDATE_PAGE_HEADERS)


def graphiql_page() -> Response:
    html = built_page("graphiql.html")
    if html is None:
        return PlainTextResponse(NOT_BUILT, status_code=503)
    return HTMLResponse(html, headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})


class ImmutableStaticFiles(StaticFiles):
    """Hashed asset names never change content: browsers keep them for a year."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cache(message: dict) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [*message["headers"], (b"cache-control", b"public, max-age=31536000, immutable")]
            await send(message)

        await super().__call__(scope, receive, send_with_cache)


def web_routes() -> list[Route | Mount]:
    return [
        Route("/interview/{token}", candidate_page, methods=["GET"]),
        Mount(ASSET_PREFIX, app=ImmutableStaticFiles(directory=web_dist() / "ui", check_dir=False), name="ui"),
    ]
