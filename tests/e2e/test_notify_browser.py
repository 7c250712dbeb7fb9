"""Notifications in a phone-sized Chromium: the portal's service worker registers (scope
/portal/), the "turn on notifications" flow runs from a tap and ends in a clear state, the
inbox and settings pages work under the strict CSP; the desk shows the shipped rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, sign_in_homeowner, sign_in_staff

pytestmark = pytest.mark.e2e


def test_turn_on_notifications_flow(phone_context: Any, live_server: LiveServer) -> None:
    page = phone_context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_homeowner(page, live_server)
    page.goto(f"{live_server.url}/portal/notifications/settings")
    enable = page.locator("[data-push-enable]")
    enable.wait_for(state="visible", timeout=10000)
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server.url}/portal/"
    phone_context.grant_permissions(["notifications"], origin=live_server.url)
    enable.click()
    # Headless Chromium has no push service to reach: the page must say what happens instead.
    page.locator("[data-push-state='on']:visible, [data-push-state='failed']:visible"
                 ).first.wait_for(timeout=15000)
    page.goto(f"{live_server.url}/portal/notifications")
    assert "通知" in page.locator("h1").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_desk_lists_shipped_rules(desktop_page: Any, live_server: LiveServer) -> None:
    sign_in_staff(desktop_page, live_server, "desk", "admin@demo.homeloop.cn")
    desktop_page.goto(f"{live_server.url}/desk/rules")
    assert desktop_page.locator("table tbody tr").count() >= 9
