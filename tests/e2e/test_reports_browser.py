"""Desk dashboards in a browser: a manager opens the customer-voice board, follows a number
to its records, finds the exports, and opens the wall screen; axe-core finds no serious
accessibility problem (charts are hidden from screen readers, their tables are not)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, sign_in_staff

pytestmark = pytest.mark.e2e


def _axe(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious",
                                                                            "critical")]
    assert not bad, (page.url, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in bad])


def test_manager_drills_from_a_number_to_its_records(live_server: LiveServer,
                                                      desktop_page: Any) -> None:
    page = desktop_page
    sign_in_staff(page, live_server, "desk", "manager@demo.homeloop.cn")
    page.goto(f"{live_server.url}/desk/reports/voice?period=90d")
    assert page.locator("svg.chart").count() >= 1
    _axe(page)
    link = page.locator(".stat__value a").first
    shown = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r".*/desk/reports/drill/voice\.nps_responses.*"))
    count = int(page.locator("table[data-drill-count]").get_attribute("data-drill-count"))
    assert page.locator("table[data-drill-count] tbody tr").count() == count
    assert shown  # the NPS score itself; the list is its answers
    assert page.locator("a[href*='format=xlsx']").count() == 1
    assert page.locator("a[href*='format=csv']").count() == 1
    page.goto(f"{live_server.url}/desk/reports/wall")
    assert page.locator("#wall[hx-trigger='every 60s']").count() == 1
    assert page.locator("#wall .stat").count() >= 5
