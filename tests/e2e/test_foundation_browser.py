"""The three surfaces in a real browser: sign-in works and the strict CSP holds (no
violations, htmx loaded and configured without eval)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LiveServer, sign_in_homeowner, sign_in_staff


def _watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    return problems


def test_homeowner_signs_in_with_an_emailed_code(live_server: LiveServer, phone_page: Any
                                                 ) -> None:
    problems = _watch_console(phone_page)
    sign_in_homeowner(phone_page, live_server)
    assert phone_page.locator("h1").first.inner_text().startswith("王芳")
    phone_page.locator(".list__item").first.click()
    phone_page.wait_for_selector(".timeline")
    assert phone_page.locator(".timeline__item").count() == 8
    assert phone_page.evaluate("typeof htmx") == "object"
    assert phone_page.evaluate("htmx.config.allowEval") is False
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no horizontal scrolling on a 360 px phone"
    assert not problems, problems


def test_staff_sign_in_on_field_and_desk(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        page = context.new_page()
        problems = _watch_console(page)
        sign_in_staff(page, live_server, "desk", "agent@demo.homeloop.cn")
        ticket_id = live_server.db_query(
            "SELECT t.id FROM ticket t JOIN project p ON p.id = t.project_id "
            "JOIN region r ON r.id = p.region_id WHERE r.code = 'sh' AND t.status = 'open' "
            "LIMIT 1")[0][0]
        page.goto(f"{live_server.url}/desk/tickets/{ticket_id}")
        page.wait_for_selector(".thread")
        assert page.locator(".message--internal").count() >= 1
        assert not problems, problems
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in_staff(page, live_server, "field", "tech@demo.homeloop.cn")
        assert page.locator(".list__item").count() > 0
    finally:
        context.close()
