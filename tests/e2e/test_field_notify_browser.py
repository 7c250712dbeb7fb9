"""The field app's notifications panel and the desk's task list in headless Chromium: the
panel registers the field service worker (scope /field/), shows a clear state and its switches
under the strict CSP, and a tap ends in a clear state (headless Chromium reaches no push
service, so no real subscription is made here); the desk's task list shows the nav count and
marks a task done through htmx. No console or CSP errors, no serious axe findings."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LiveServer, sign_in_staff

pytestmark = pytest.mark.e2e
TECH = "tech@demo.homeloop.cn"
AGENT = "agent@demo.homeloop.cn"


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _axe(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious",
                                                                            "critical")]
    assert not bad, (page.url, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in bad])


def test_field_notifications_panel_shows_its_state(phone_context: Any,
                                                   live_server: LiveServer) -> None:
    page = phone_context.new_page()
    errors = _errors(page)
    sign_in_staff(page, live_server, "field", TECH)
    page.locator("a.icon-btn[href='/field/notifications']").click()
    page.wait_for_url("**/field/notifications")
    enable = page.locator("[data-push-enable]")
    enable.wait_for(state="visible", timeout=10000)
    assert page.locator("[data-push-state='off']").is_visible()
    assert page.locator("[data-push]").get_attribute("data-push-current") == "off"
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server.url}/field/"
    assert page.locator("input[name='work.push']").is_checked()
    _axe(page)
    phone_context.grant_permissions(["notifications"], origin=live_server.url)
    enable.click()
    page.locator("[data-push-state='on']:visible, [data-push-state='failed']:visible"
                 ).first.wait_for(timeout=15000)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert not [e for e in errors if "push.js" in e or "TypeError" in e], errors


def _task_for(server: LiveServer, email: str, title: str) -> None:
    """Create an open task for a demo desk user in the server's database, as a rule does."""
    script = (
        "import asyncio, uuid\n"
        "from backend import clock\n"
        "from backend.db import get_db\n"
        "async def main():\n"
        "    db = get_db()\n"
        "    sid = await db.fetchval('SELECT id FROM staff_user WHERE email = $1', "
        f"'{email}')\n"
        "    async with db.transaction():\n"
        "        await db.execute(\"INSERT INTO staff_task (id, title, assignee_id, due_at, "
        "created_at, status) VALUES ($1, $2, $3, $4, $4, 'open')\", uuid.uuid4(), "
        f"'{title}', sid, clock.now())\n"
        "    await db.close()\n"
        "asyncio.run(main())\n")
    env = {**os.environ, "DATABASE_URL": server.database_url,
           "HOMELOOP_DATA_DIR": str(server.data_dir), "HOMELOOP_SECRET_KEY": "e2e-secret"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                   text=True, check=True)


def test_desk_task_list_marks_done_with_htmx(desktop_page: Any,
                                             live_server: LiveServer) -> None:
    page = desktop_page
    errors = _errors(page)
    _task_for(live_server, AGENT, "E2E call back the customer")
    sign_in_staff(page, live_server, "desk", AGENT)
    count = page.locator("#desk-nav-task-count")
    count.locator(".visually-hidden").wait_for(state="attached", timeout=10000)
    before = int(count.locator("[aria-hidden=true]").inner_text())
    page.locator(".desk-nav a[href='/desk/tasks']").click()
    row = page.locator("tr", has_text="E2E call back the customer")
    row.wait_for()
    _axe(page)
    row.locator("form[action$='/done'] button").click()
    row.wait_for(state="detached")
    assert page.locator("#tasks").is_visible()
    if before > 1:
        page.wait_for_function(
            f"document.querySelector('#desk-nav-task-count [aria-hidden]').textContent"
            f" == '{before - 1}'")
    else:
        page.wait_for_function(
            "!document.querySelector('#desk-nav-task-count').textContent.trim()")
    status = live_server.db_query("SELECT status FROM staff_task WHERE title = ?",
                                  "E2E call back the customer")
    assert status == [("done",)]
    assert not errors, errors
