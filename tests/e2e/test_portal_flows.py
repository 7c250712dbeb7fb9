"""The homeowner's portal in a phone-sized headless Chromium against a real server with the
demo company: sign in with a code, follow the timeline, approve a change request, file a
repair with two photos, answer an NPS survey from its link; axe-core on every page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT, SHARED
from tests.e2e.conftest import DEMO_OWNER_EMAIL, LiveServer, sign_in_homeowner

pytestmark = pytest.mark.e2e

PHOTOS = SHARED / "fixtures" / "photos"


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways ({width}px)"


def _axe(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious",
                                                                            "critical")]
    assert not bad, (page.url, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in bad])


def _issue_survey(server: LiveServer) -> str:
    """Issue an NPS survey to the demo homeowner in the server's database, the way the rules
    engine does, and return the link token."""
    script = (
        "import asyncio\n"
        "from backend.db import get_db\n"
        "from backend.surveys.services import issue_survey\n"
        "async def main():\n"
        "    db = get_db()\n"
        f"    cid = await db.fetchval('SELECT id FROM customer WHERE email = $1', "
        f"'{DEMO_OWNER_EMAIL}')\n"
        "    print(await issue_survey(db, customer_id=cid, kind='nps', trigger='e2e'))\n"
        "    await db.close()\n"
        "asyncio.run(main())\n")
    env = {**os.environ, "DATABASE_URL": server.database_url,
           "HOMELOOP_DATA_DIR": str(server.data_dir), "HOMELOOP_SECRET_KEY": "e2e-secret"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_timeline_and_change_request(phone_page: Any, live_server: LiveServer) -> None:
    page = phone_page
    sign_in_homeowner(page, live_server)
    _no_horizontal_scroll(page)
    page.locator("a.list__item[href*='/portal/projects/']").first.click()
    page.wait_for_selector("ol.timeline")
    assert page.locator(".timeline__item").count() >= 8
    assert page.locator(".timeline__item--current").count() >= 1
    _no_horizontal_scroll(page)
    page.locator("a.list__item[href*='/portal/changes/']").first.click()
    page.wait_for_selector("button[name=decision][value=approve]")
    _no_horizontal_scroll(page)
    page.locator("button[name=decision][value=approve]").click()
    page.wait_for_selector("#decision .badge--success")
    assert page.locator("button[name=decision]").count() == 0


def test_repair_request_with_two_photos(phone_page: Any, live_server: LiveServer) -> None:
    page = phone_page
    sign_in_homeowner(page, live_server)
    page.goto(f"{live_server.url}/portal/repairs/new")
    _no_horizontal_scroll(page)
    page.select_option("#f-category", "door_drawer")
    page.fill("#f-description", "柜门合页松了，关不严。")
    page.locator("input[name=windows][value=weekend_morning]").check()
    page.set_input_files("#f-photos", [str(PHOTOS / "orientation-landscape_6.jpg"),
                                       str(PHOTOS / "gps-DSCN0010.jpg")])
    page.locator("#repair-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/portal/tickets/[0-9a-f-]{36}$"))
    number = re.search(r"T\d{6}", page.inner_text("main")).group(0)
    assert page.locator("main img[src*='/portal/photos/']").count() == 2
    page.goto(f"{live_server.url}/portal/tickets")
    assert number in page.inner_text("main")
    rows = live_server.db_query("SELECT count(*) FROM media m JOIN ticket t ON t.id = "
                                "m.ticket_id WHERE t.number = ?", number)
    assert rows[0][0] == 2


def test_nps_survey_from_its_link(phone_page: Any, live_server: LiveServer) -> None:
    page = phone_page
    token = _issue_survey(live_server)
    page.goto(f"{live_server.url}/s/{token}")
    _no_horizontal_scroll(page)
    _axe(page)
    page.locator("button[name=score][value='9']").click()
    page.wait_for_selector("textarea[name=comment]")
    page.fill("textarea[name=comment]", "安装师傅很专业")
    page.locator("#survey button[type=submit]").click()
    page.wait_for_selector("a[href='/portal']")
    page.goto(f"{live_server.url}/s/{token}")
    assert page.locator("button[name=score]").count() == 0  # single use


def test_portal_pages_are_accessible_and_light(phone_page: Any,
                                               live_server: LiveServer) -> None:
    page = phone_page
    sizes: dict[str, int] = {}

    def count(response: Any) -> None:
        if "/portal/photos/" in response.url:
            return
        wire = response.request.sizes()  # bytes on the wire (compressed where it is)
        sizes[response.url] = wire["responseBodySize"] + wire["responseHeadersSize"]

    page.goto(f"{live_server.url}/portal/sign-in")
    _axe(page)
    sign_in_homeowner(page, live_server)
    page.on("response", count)
    home = page.url
    project = page.locator("a.list__item[href*='/portal/projects/']").first.get_attribute("href")
    urls = [home, project, project + "/acceptance", "/portal/tickets", "/portal/repairs/new",
            "/portal/me", "/portal/household"]
    page.goto(f"{live_server.url}{project}")
    change = page.locator("a.list__item[href*='/portal/changes/']").first.get_attribute("href")
    page.goto(f"{live_server.url}/portal/tickets")
    ticket = page.locator("a.list__item[href*='/portal/tickets/']").first.get_attribute("href")
    urls += [change, ticket]
    for url in urls:
        sizes.clear()
        full = url if url.startswith("http") else f"{live_server.url}{url}"
        page.goto(full, wait_until="load")
        _no_horizontal_scroll(page)
        _axe(page)
        weight = sum(sizes.values())
        assert weight < 100_000, (url, weight, sizes)
        small = page.evaluate(
            "[...document.querySelectorAll('main a, main button, nav a, main input, main select,"
            " main textarea')]"
            ".filter(e => e.offsetParent !== null || e.type === 'checkbox')"
            ".filter(e => e.type !== 'hidden')"
            ".map(e => ['checkbox', 'radio'].includes(e.type) ? e.closest('label') : e)"
            ".filter(e => e && e.getBoundingClientRect().height < 44)"
            ".map(e => e.outerHTML.slice(0, 80))")
        assert not small, (url, small)
