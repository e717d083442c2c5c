"""The built web pages as the gateway serves them: the candidate's page at the ``invitationUrl`` and GraphiQL,
both from ``web/dist`` (built by ``make install``), every script and style from this origin, none from a CDN."""

from __future__ import annotations

import re

import httpx
import pytest

from gateway import web_pages
from tests import factories

CDN_HOSTS = ("unpkg.com", "jsdelivr.net", "cdnjs.cloudflare.com", "esm.sh", "googleapis.com", "skypack.dev")


def local_assets(html: str) -> list[str]:
    """Every script and stylesheet the page loads; all must be this origin's /ui/ files."""
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)


async def assert_served_locally(http: httpx.AsyncClient, html: str) -> None:
    assets = local_assets(html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/ui/"), asset
        response = await http.get(asset)
        assert response.status_code == 200, asset
        assert "immutable" in response.headers["cache-control"]
        assert not any(host in response.text for host in CDN_HOSTS), (
            asset,
            [h for h in CDN_HOSTS if h in response.text],
        )


async def test_the_invitation_url_opens_the_candidate_page(gql, http):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    invitation = await factories.invite(gql, application_id)
    path = httpx.URL(invitation["invitationUrl"]).path
    assert path == f"/interview/{invitation['invitationToken']}"
    for page_path in (path, "/interview/forged-token"):  # the page itself tells a forged link apart (GraphQL)
        response = await http.get(page_path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["referrer-policy"] == "no-referrer"  # the token in the path never leaves as Referer
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "camera=(self)" in response.headers["permissions-policy"]
        assert '<div id="root">' in response.text
    await assert_served_locally(http, response.text)


async def test_graphiql_comes_from_the_local_package(http):
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert '<div id="graphiql"' in response.text
    assert not any(host in response.text for host in CDN_HOSTS)
    await assert_served_locally(http, response.text)


async def test_pages_not_built_say_how_to_build_them(http, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(web_pages, "CHECKOUT_WEB_DIST", tmp_path)
    response = await http.get("/interview/any-token")
    assert response.status_code == 503
    assert "make install" in response.text
    assert (await http.get("/graphql", headers={"accept": "text/html"})).status_code == 503


async def test_an_unknown_asset_is_not_found(http):
    assert (await http.get("/ui/no-such-file.js")).status_code == 404
