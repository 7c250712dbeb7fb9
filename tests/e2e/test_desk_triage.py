"""Desk at desktop size: triage a new portal repair request end to end — find it in the
queue, assign it, reply publicly, dispatch a technician, resolve it."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.conftest import LiveServer, sign_in_staff

DISPATCHER = "dispatch@demo.homeloop.cn"  # 王磊, Shanghai region


def _file_repair_request(server: LiveServer) -> str:
    """The homeowner's repair request, through the portal's service layer (same as the form)."""
    from backend.access import Actor
    from backend.db import connect
    from backend.tickets import intake

    owner_id, project_id = server.db_query(
        "SELECT c.id, p.id FROM customer c JOIN project p ON p.customer_id = c.id "
        "JOIN region r ON r.id = p.region_id WHERE c.phone = '+8613800000001' AND "
        "r.code = 'sh' ORDER BY p.created_at LIMIT 1")[0]

    async def create() -> str:
        db = connect(server.database_url)
        try:
            row = await intake.create_repair_request(
                db, actor=Actor(kind="customer", id=uuid.UUID(owner_id)),
                project_id=uuid.UUID(project_id), product_line_id=None, category="door_drawer",
                description="E2E: the wardrobe door came off its hinge",
                windows=["weekday_morning"])
        finally:
            await db.close()
        return str(row["number"])

    # Playwright's sync API owns this thread's event loop: run the service in another thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, create()).result()


def test_triage_a_portal_repair_request(live_server: LiveServer, desktop_page: Any) -> None:
    number = _file_repair_request(live_server)
    page = desktop_page
    page.set_default_timeout(10_000)
    sign_in_staff(page, live_server, "desk", DISPATCHER)

    page.fill("#q", number)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#queue a[data-open]:has-text('{number}')")
    page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not the search
    page.keyboard.press("j")  # keyboard triage: j selects the first row, o opens it
    assert page.locator("#queue tr.is-current").count() == 1
    page.keyboard.press("o")
    page.wait_for_url(re.compile(r".*/desk/tickets/[0-9a-f-]+$"))

    page.locator("[data-assign-me]").click()
    page.wait_for_load_state()
    page.locator("label.choice:has(input[value=public])").click()
    page.fill("#f-body", "E2E reply: a technician will come to fix the hinge.")
    page.locator("form.composer button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".message", has_text="E2E reply").count() == 1

    page.locator("a[href$='/dispatch']").click()
    page.locator("label.choice").first.click()
    page.locator("form[action$='/dispatch'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/desk/tickets/[0-9a-f-]+$"))

    page.select_option("#f-status", "resolved")
    page.locator("form:has(#f-status) button[type=submit]").click()
    page.wait_for_load_state()

    status, assignee, responded, ticket_id = live_server.db_query(
        "SELECT t.status, s.email, t.first_responded_at, t.id FROM ticket t "
        "JOIN staff_user s ON s.id = t.assignee_id WHERE t.number = ?", number)[0]
    assert (status, assignee) == ("resolved", DISPATCHER) and responded
    visits = live_server.db_query(
        "SELECT w.kind, s.role FROM work_order w JOIN staff_user s ON s.id = w.technician_id "
        "WHERE w.ticket_id = ?", ticket_id)
    assert visits == [("repair", "technician")]
    history = [r[0] for r in live_server.db_query(
        "SELECT to_status FROM ticket_status_change WHERE ticket_id = ? ORDER BY at",
        ticket_id)]
    assert history == ["new", "open", "scheduled", "resolved"]
