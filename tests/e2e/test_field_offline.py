"""The field app in headless Chromium at phone size: installable, a whole job done offline
arrives exactly once, and a connection killed mid-upload creates no duplicate."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import SHARED
from tests.e2e.conftest import LiveServer, sign_in_staff

TECH = "tech@demo.homeloop.cn"
PHOTOS = SHARED / "fixtures" / "photos"
CONTROLLED = ("() => navigator.serviceWorker.controller ? true : new Promise(r => "
              "navigator.serviceWorker.addEventListener('controllerchange', () => r(true)))")


def _errors(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    return problems


def _ready_offline(page: Any) -> None:
    assert page.evaluate(CONTROLLED)
    page.wait_for_selector("[data-offline-chip]:not([hidden])")


def _all_synced(page: Any) -> None:
    expect(page.locator("[data-field-outbox] li").first).to_be_attached()
    expect(page.locator("[data-field-outbox] li:not([data-state=synced])")).to_have_count(
        0, timeout=30_000)


def _draw(page: Any) -> None:
    box = page.locator("[data-signature-pad]").bounding_box()
    x, y = box["x"] + 40, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 18, y + (-1) ** step * 25)
    page.mouse.up()


def test_installable_and_a_whole_job_offline(live_server: LiveServer, phone_context: Any,
                                             phone_page: Any) -> None:
    page = phone_page
    problems = _errors(page)
    sign_in_staff(page, live_server, "field", TECH)
    _ready_offline(page)
    cdp = phone_context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e for e in errors if e["errorId"] != "in-incognito"] == []

    rows = [r.get_attribute("data-wo-row") for r in page.locator("[data-wo-row]").all()]
    # A job whose milestone the technician closes (acceptance waits for the homeowner).
    wo_id = next(w for w in rows if live_server.db_query(
        "SELECT m.requires_signoff FROM work_order w JOIN milestone m ON m.id = w.milestone_id "
        "WHERE w.id = ? AND w.status = 'scheduled'", w) == [(0,)])
    url = f"{live_server.url}/field/work-orders/{wo_id}"
    phone_context.set_offline(True)
    page.goto(url)
    page.wait_for_selector("[data-field-wo]")  # served by the service worker's cache

    page.click("[data-field-step=en_route]")
    page.click("[data-field-step=on_site]")
    photos = [PHOTOS / n for n in ("orientation-landscape_6.jpg", "gps-DSCN0010.jpg",
                                   "mobile-jolla.jpg")]
    used = 0
    for item in page.locator("[data-check-item]").all():
        key = item.get_attribute("data-check-item")
        if item.get_attribute("data-requires-photo") is not None:
            item.locator("[data-field-item-photo]").set_input_files(str(photos[used]))
            used += 1
            expect(page.locator(f"[data-field-check={key}]")).to_be_checked()
        else:
            item.locator("[data-field-check]").check()
    if used < 3:
        page.locator("[data-field-photo-form] input[name=gallery]").set_input_files(
            [str(p) for p in photos[used:]])
        page.fill("#f-caption", "现场照片")
        page.click("[data-field-photo-form] button[type=submit]")
    expect(page.locator("[data-photo-key]")).to_have_count(3)

    page.click("[data-field-sign-open]")
    assert page.evaluate("document.body.classList.contains('no-scroll')")
    _draw(page)
    page.click("[data-field-sign-form] button[type=submit]")
    page.wait_for_selector("[data-field-signed]:not([hidden])")
    page.click("[data-field-complete]")
    page.wait_for_selector("[data-field-error]", state="hidden")
    outbox = page.locator("[data-field-outbox] li")
    expect(outbox.filter(has_text="✓").first).to_be_attached()
    expect(page.locator("[data-field-outbox] li[data-state=synced]")).to_have_count(0)
    assert live_server.db_query("SELECT count(*) FROM media WHERE work_order_id = ?",
                                wo_id)[0][0] == 0, "nothing leaves the phone while offline"

    phone_context.set_offline(False)
    page.click("[data-field-sync-now]")  # or the `online` event, or Background Sync
    _all_synced(page)
    media = live_server.db_query(
        "SELECT kind, count(*) FROM media WHERE work_order_id = ? GROUP BY kind", wo_id)
    assert dict(media) == {"photo": 3, "signature": 1}
    status, milestone, project = live_server.db_query(
        "SELECT status, milestone_id, project_id FROM work_order WHERE id = ?", wo_id)[0]
    assert status == "completed"
    assert live_server.db_query("SELECT status FROM milestone WHERE id = ?",
                                milestone)[0][0] == "done"
    stage = live_server.db_query("SELECT current_stage FROM project WHERE id = ?", project)[0][0]
    started = live_server.db_query(
        "SELECT code FROM milestone WHERE project_id = ? AND status = 'in_progress'", project)
    assert [stage] == [c for (c,) in started]
    count = outbox.count()
    assert count >= 8  # 2 steps, ticks, 3 photos, signature, completion
    receipts = live_server.db_query(
        "SELECT count(*), count(DISTINCT key) FROM sync_receipt WHERE work_order_id = ?", wo_id)
    assert receipts[0][0] == receipts[0][1] == count - 3  # photos are keyed on the media row
    page.click("[data-field-sync-now]")  # a replay changes nothing
    _all_synced(page)
    assert dict(live_server.db_query(
        "SELECT kind, count(*) FROM media WHERE work_order_id = ? GROUP BY kind", wo_id)) == dict(
        media)
    page.click("[data-field-signout] button[type=submit]")
    page.wait_for_url("**/field/sign-in")
    names = page.evaluate("caches.keys()")
    assert "field-pages" not in names and "field-media" not in names, names
    assert not problems, problems


def test_connection_killed_mid_upload_creates_no_duplicate(live_server: LiveServer,
                                                           browser: Any) -> None:
    # Service workers blocked: Playwright's routing cannot see requests a worker handles.
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="en-US", service_workers="block")
    try:
        _killed_upload(live_server, context.new_page())
    finally:
        context.close()


def _killed_upload(live_server: LiveServer, page: Any) -> None:
    sign_in_staff(page, live_server, "field", TECH)
    wo_id = page.locator("[data-wo-row]").nth(1).get_attribute("data-wo-row")
    page.goto(f"{live_server.url}/field/work-orders/{wo_id}")
    killed: list[str] = []

    def kill_after_server_stored(route: Any) -> None:
        if not killed:
            route.fetch()  # the server stores the photo, the phone never hears back
            killed.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/field/api/work-orders/*/photos", kill_after_server_stored)
    page.locator("[data-field-photo-form] input[name=gallery]").set_input_files(
        str(PHOTOS / "orientation-landscape_1.jpg"))
    page.fill("#f-caption", "retry-check")
    page.click("[data-field-photo-form] button[type=submit]")
    page.wait_for_selector("[data-field-outbox] li[data-state=failed]")
    assert killed
    page.click("[data-field-sync-now]")
    _all_synced(page)
    assert live_server.db_query("SELECT count(*) FROM media WHERE work_order_id = ? AND "
                                "caption = 'retry-check'", wo_id)[0][0] == 1

    # The office edits the job meanwhile: the phone's older edit is shown as a conflict.
    live_server.db_query("UPDATE work_order SET notes = 'office', version = version + 1 "
                         "WHERE id = ?", wo_id)
    page.fill("#f-notes", "from the phone")
    page.click("[data-field-notes-form] button[type=submit]")
    conflict = page.locator("[data-field-outbox] li[data-state=failed]")
    expect(conflict.locator("[data-outbox-action=rebase]")).to_be_visible()
    assert live_server.db_query("SELECT notes FROM work_order WHERE id = ?",
                                wo_id) == [("office",)]
    conflict.locator("[data-outbox-action=rebase]").click()
    _all_synced(page)
    assert live_server.db_query("SELECT notes FROM work_order WHERE id = ?",
                                wo_id) == [("from the phone",)]
