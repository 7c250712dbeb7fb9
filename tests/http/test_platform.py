"""Health, security headers, languages, error pages and request limits."""

from __future__ import annotations

import pytest

from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.http


async def test_healthz_reports_database_kind(client) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == {"kind": "postgres" if IS_POSTGRES else "sqlite",
                                "status": "ok", "error": ""}


@pytest.mark.parametrize("path", ["/", "/portal/sign-in", "/desk/sign-in", "/field/sign-in",
                                  "/no/such/page", "/static/css/base.css"])
async def test_security_headers_on_every_response(client, path) -> None:
    r = await client.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_pages_have_no_inline_script_or_style(client) -> None:
    import re

    for path in ("/", "/portal/sign-in", "/desk/sign-in", "/field/sign-in"):
        html = (await client.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        assert '"allowEval":false' in html


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-Hans-CN,zh;q=0.9,en;q=0.8", 'lang="zh-CN"'),
    ("zh-TW", 'lang="zh-CN"'),
    ("en-GB,en;q=0.9", 'lang="en"'),
    ("fr-FR,en;q=0.5", 'lang="en"'),
    ("de-DE", 'lang="zh-CN"'),
])
async def test_language_from_accept_language(client, header, expected) -> None:
    r = await client.get("/portal/sign-in", headers={"Accept-Language": header})
    assert expected in r.text


async def test_language_switch_is_remembered(client) -> None:
    r = await client.post_form("/lang", {"locale": "en", "next": "/portal/sign-in"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in"
    page = await client.get("/portal/sign-in", headers={"Accept-Language": "zh-CN"})
    assert 'lang="en"' in page.text and "Send me a code" in page.text


async def test_not_found_page_is_translated(client) -> None:
    r = await client.get("/portal/nothing-here", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 404
    assert "页面不存在" in r.text


async def test_oversize_body_is_refused(client) -> None:
    big = "x" * (2 * 1024 * 1024)
    r = await client.post("/portal/sign-in", data={"contact": big},
                          headers={"x-csrftoken": await client.csrf_token()})
    assert r.status_code == 413
    assert "larger than we accept" in r.text


async def test_htmx_requests_get_vary_header(client) -> None:
    r = await client.get("/portal/sign-in")
    assert "HX-Request" in r.headers["vary"]
