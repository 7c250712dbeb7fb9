"""The desk's task list (/desk/tasks): tasks rules create, seen by whom (mine / my team / all),
open and done, with due date, assignee, source rule, links and created time in the viewer's
zone; mark done / reopen / hand over with an audit row and a domain event each; the nav count;
and that technicians, homeowners and visitors never see it.

Personas: Agnes and Bea are agents of the same team in the east, Walter an agent in the west;
Dora dispatches in the east; Mona manages everything; Tina is a technician, Alice a homeowner.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from backend import clock
from backend.rules.shipped import seed_rules
from tests import factories as f
from tests.notify_kit import inbox, run

pytestmark = pytest.mark.http
CREATED = datetime(2026, 11, 20, 4, 30, tzinfo=UTC)


async def make_task(db, *, title: str, assignee: dict[str, Any], ticket=None, project=None,  # type: ignore[no-untyped-def]
                    rule_code: str | None = "survey_detractor", due_hours: int = 24,
                    created: datetime = CREATED) -> uuid.UUID:
    """A task as ``create_task`` writes it (backend/rules/actions.py)."""
    tid = uuid.uuid4()
    rule = await db.fetchval("SELECT id FROM rule WHERE code = $1", rule_code) \
        if rule_code else None
    async with db.transaction():
        await db.execute(
            "INSERT INTO staff_task (id, title, assignee_id, ticket_id, project_id, rule_id, "
            "due_at, created_at, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "'open', $8)", tid, title, assignee["id"], ticket["id"] if ticket else None,
            project["id"] if project else None, rule, created + timedelta(hours=due_hours),
            created)
    return tid


@pytest.fixture
async def desk(db):  # type: ignore[no-untyped-def]
    await seed_rules(db)
    east, west = await f.make_region(db), await f.make_region(db)
    team = uuid.uuid4()
    async with db.transaction():
        await db.execute("INSERT INTO team (id, region_id, name_zh, name_en) VALUES "
                         "($1, $2, '东一队', 'East 1')", team, east)
    people = {
        "agnes": await f.make_staff(db, role="service_agent", region_id=east, name="Agnes T"),
        "bea": await f.make_staff(db, role="service_agent", region_id=east, name="Bea T"),
        "walter": await f.make_staff(db, role="service_agent", region_id=west, name="Walter T"),
        "dora": await f.make_staff(db, role="dispatcher", region_id=east, name="Dora T"),
        "mona": await f.make_staff(db, role="manager", name="Mona T"),
        "tina": await f.make_staff(db, role="technician", region_id=east, name="Tina T"),
        "alice": await f.make_customer(db, name="Alice T"),
    }
    async with db.transaction():
        await db.execute("UPDATE staff_user SET team_id = $1, timezone = 'Europe/London' "
                         "WHERE id = $2", team, people["agnes"]["id"])
        await db.execute("UPDATE staff_user SET team_id = $1 WHERE id = $2", team,
                         people["bea"]["id"])
    project = await f.make_project(db, customer=people["alice"], region_id=east)
    ticket = await f.make_ticket(db, customer=people["alice"], project=project, region_id=east)
    tag = uuid.uuid4().hex[:6]
    tasks = {
        "agnes": await make_task(db, title=f"Call Alice back {tag}", assignee=people["agnes"],
                                 ticket=ticket, project=project),
        "bea": await make_task(db, title=f"Check the hinge stock {tag}",
                               assignee=people["bea"], rule_code=None, due_hours=-1),
        "walter": await make_task(db, title=f"West follow-up {tag}", assignee=people["walter"]),
    }
    return {"people": people, "tasks": tasks, "tag": tag, "ticket": ticket, "project": project}


async def as_(client, person: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    await client.sign_in(realm="staff" if "role" in person else "customer",
                         subject_id=person["id"])


def titles(text: str, tag: str) -> set[str]:
    return {name for name in ("Call Alice back", "Check the hinge stock", "West follow-up")
            if f"{name} {tag}" in text}


async def test_agents_see_their_own_and_their_teams_managers_see_all(client, desk) -> None:  # type: ignore[no-untyped-def]
    p, tag = desk["people"], desk["tag"]
    await as_(client, p["agnes"])
    mine = await client.get("/desk/tasks")
    assert mine.status_code == 200
    assert titles(mine.text, tag) == {"Call Alice back"}
    team = await client.get("/desk/tasks?view=team")
    assert titles(team.text, tag) == {"Call Alice back", "Check the hinge stock"}
    asked_all = await client.get("/desk/tasks?view=all")  # an agent's "all" is still their scope
    assert titles(asked_all.text, tag) == {"Call Alice back", "Check the hinge stock"}
    assert 'href="/desk/tasks?view=all' not in team.text  # no "All" tab for agents

    await as_(client, p["walter"])
    assert titles((await client.get("/desk/tasks?view=team")).text, tag) == {"West follow-up"}
    await as_(client, p["dora"])  # no team: her region's colleagues
    assert titles((await client.get("/desk/tasks?view=team")).text, tag) == {
        "Call Alice back", "Check the hinge stock"}
    await as_(client, p["mona"])
    everything = await client.get("/desk/tasks?view=all")
    assert titles(everything.text, tag) == {"Call Alice back", "Check the hinge stock",
                                            "West follow-up"}
    assert titles((await client.get("/desk/tasks")).text, tag) == set()  # none are hers


async def test_a_row_shows_due_assignee_rule_links_and_created_in_the_viewers_zone(
        client, desk) -> None:  # type: ignore[no-untyped-def]
    p = desk["people"]
    await as_(client, p["agnes"])  # her zone is Europe/London
    page = await client.get("/desk/tasks")
    row = page.text.split(f'id="task-{desk["tasks"]["agnes"]}"', 1)[1].split("</tr>", 1)[0]
    london = format_datetime(CREATED.astimezone(ZoneInfo("Europe/London")), "short",
                             locale="en")
    due = format_datetime((CREATED + timedelta(hours=24)).astimezone(
        ZoneInfo("Europe/London")), "short", locale="en")
    assert london in row and due in row
    assert "Agnes T" in row and "Survey detractor → recovery ticket (24 h)" in row
    assert f'href="/desk/tickets/{desk["ticket"]["id"]}"' in row
    assert f'href="/desk/projects/{desk["project"]["id"]}"' in row
    assert "Overdue" in row  # due a day after 20 November, long past
    assert 'hx-post="/desk/tasks/' in row
    team = await client.get("/desk/tasks?view=team")
    bea_row = team.text.split(f'id="task-{desk["tasks"]["bea"]}"', 1)[1].split("</tr>", 1)[0]
    assert "—" in bea_row  # no rule, no links


async def test_mark_done_and_reopen_write_audit_and_event(db, client, desk) -> None:  # type: ignore[no-untyped-def]
    p, task = desk["people"], desk["tasks"]["agnes"]
    await as_(client, p["agnes"])
    done = await client.post_form(f"/desk/tasks/{task}/done", {"view": "mine", "status": "open"})
    assert done.status_code == 303
    assert done.headers["location"] == "/desk/tasks?view=mine&status=open"
    row = await db.fetchrow("SELECT status, done_at, done_by FROM staff_task WHERE id = $1", task)
    assert row["status"] == "done" and row["done_at"] and row["done_by"] == p["agnes"]["id"]
    again = await client.post_form(f"/desk/tasks/{task}/done")  # a double click: no new rows
    assert again.status_code == 303
    audit = await db.fetch("SELECT action, actor_id, before, after FROM audit_entry WHERE "
                           "object_type = 'task' AND object_id = $1 ORDER BY id", str(task))
    assert [(a["action"], a["actor_id"]) for a in audit] == [
        ("task.completed", str(p["agnes"]["id"]))]
    assert '"done"' in audit[0]["after"] and '"open"' in audit[0]["before"]
    listing = await client.get("/desk/tasks")
    assert titles(listing.text, desk["tag"]) == set()  # done: not in the open list
    done_list = await client.get("/desk/tasks?status=done")
    assert titles(done_list.text, desk["tag"]) == {"Call Alice back"}
    assert "by Agnes T" in done_list.text

    reopened = await client.hx_post(f"/desk/tasks/{task}/reopen",
                                    {"view": "mine", "status": "done"})
    assert reopened.status_code == 200 and 'id="tasks"' in reopened.text
    assert "<html" not in reopened.text  # the block of the same template, not the page
    assert 'id="desk-nav-task-count"' in reopened.text and 'hx-swap-oob="true"' in reopened.text
    row = await db.fetchrow("SELECT status, done_at, done_by FROM staff_task WHERE id = $1", task)
    assert (row["status"], row["done_at"], row["done_by"]) == ("open", None, None)
    events = await db.fetch("SELECT kind, aggregate_type, payload FROM outbox_event WHERE "
                            "aggregate_id = $1 ORDER BY id", str(task))
    assert [(e["kind"], e["aggregate_type"]) for e in events] == [
        ("task.completed", "task"), ("task.reopened", "task")]
    assert str(desk["ticket"]["id"]) in events[0]["payload"]


async def test_hand_over_needs_the_permission_and_tells_the_new_assignee(
        db, client, desk) -> None:  # type: ignore[no-untyped-def]
    p, task = desk["people"], desk["tasks"]["agnes"]
    await as_(client, p["agnes"])  # agents do not hand over
    refused = await client.post_form(f"/desk/tasks/{task}/assign",
                                     {"assignee": str(p["bea"]["id"])})
    assert refused.status_code == 403
    await as_(client, p["dora"])
    page = await client.get("/desk/tasks?view=team")
    assert "Hand over" in page.text and "Walter T" not in page.text  # east colleagues only
    west = await client.post_form(f"/desk/tasks/{task}/assign",
                                  {"assignee": str(p["walter"]["id"]), "view": "team"})
    assert west.status_code == 400 and "active desk colleague of your region" in west.text
    tech = await client.post_form(f"/desk/tasks/{task}/assign", {"assignee": str(p["tina"]["id"])})
    assert tech.status_code == 400
    with clock.frozen(datetime(2026, 11, 24, 4, 0, tzinfo=UTC)):
        moved = await client.hx_post(f"/desk/tasks/{task}/assign",
                                     {"assignee": str(p["bea"]["id"]), "view": "team"})
        assert moved.status_code == 200 and "Bea T" in moved.text
        assert await db.fetchval("SELECT assignee_id FROM staff_task WHERE id = $1",
                                 task) == p["bea"]["id"]
        audit = await db.fetchrow("SELECT action, before, after FROM audit_entry WHERE "
                                  "object_id = $1 AND action = 'task.reassigned'", str(task))
        assert str(p["agnes"]["id"]) in audit["before"] and str(p["bea"]["id"]) in audit["after"]
        await run(db)  # the shipped rule tells the new assignee
    got = [n for n in await inbox(db, p["bea"]["id"]) if n["kind"] == "task_assigned"]
    assert len(got) == 1 and "Call Alice back" in got[0]["title"]
    assert got[0]["link"] == "/desk/tasks"
    # A done task is reopened before it is handed over.
    await as_(client, p["mona"])
    await client.post_form(f"/desk/tasks/{task}/done")
    closed = await client.post_form(f"/desk/tasks/{task}/assign",
                                    {"assignee": str(p["walter"]["id"])})
    assert closed.status_code == 400 and "Reopen the task" in closed.text


async def test_other_peoples_tasks_are_not_found(db, client, desk) -> None:  # type: ignore[no-untyped-def]
    p, task = desk["people"], desk["tasks"]["agnes"]
    await as_(client, p["walter"])
    for op in ("done", "reopen"):
        response = await client.post_form(f"/desk/tasks/{task}/{op}")
        assert response.status_code == 404, op
        assert "Call Alice back" not in response.text
    assert await db.fetchval("SELECT status FROM staff_task WHERE id = $1", task) == "open"
    assert await db.fetchval("SELECT count(*) AS n FROM audit_entry WHERE object_id = $1",
                             str(task)) == 0


@pytest.mark.parametrize("who", ["tina", "alice", "anonymous"])
async def test_technicians_homeowners_and_visitors_never_see_tasks(db, client, desk,
                                                                   who: str) -> None:  # type: ignore[no-untyped-def]
    p, task = desk["people"], desk["tasks"]["agnes"]
    if who != "anonymous":
        await as_(client, p[who])
    for url in ("/desk/tasks", "/desk/tasks/count"):
        response = await client.get(url)
        assert response.status_code == 303 and "/desk/sign-in" in response.headers["location"]
    response = await client.post_form(f"/desk/tasks/{task}/done")
    assert response.status_code == 303 and response.headers["location"] == "/desk/sign-in"
    assert await db.fetchval("SELECT status FROM staff_task WHERE id = $1", task) == "open"


async def test_nav_link_and_open_count(client, desk) -> None:  # type: ignore[no-untyped-def]
    p = desk["people"]
    await as_(client, p["bea"])
    queue = await client.get("/desk/")
    assert 'href="/desk/tasks"' in queue.text and 'hx-get="/desk/tasks/count"' in queue.text
    count = await client.get("/desk/tasks/count")
    assert count.status_code == 200 and count.headers["cache-control"] == "no-store"
    assert "Open tasks: 1" in count.text and "sidenav__count" in count.text
    page = await client.get("/desk/tasks")  # the tasks page draws its own count
    assert 'hx-get="/desk/tasks/count"' not in page.text and "Open tasks: 1" in page.text
    await as_(client, p["mona"])
    assert "sidenav__count" not in (await client.get("/desk/tasks/count")).text  # none: no pill


async def test_a_rule_created_task_reaches_the_list(db, client, desk) -> None:  # type: ignore[no-untyped-def]
    from tests.notify_kit import emit

    p = desk["people"]
    rid = uuid.uuid4()
    async with db.transaction():
        await db.execute(
            "INSERT INTO rule (id, name, event_kind, conditions, actions, enabled, created_at, "
            "updated_at) VALUES ($1, 'Leak → call back', 'ticket.created', '[]', $2, TRUE, $3, "
            "$3)", rid, '[{"do": "create_task", "to": "person:' + str(p["bea"]["id"]) +
            '", "title": "Phone about the leak"}]', clock.now())
        await db.execute("UPDATE ticket SET assignee_id = $2 WHERE id = $1",
                         desk["ticket"]["id"], p["bea"]["id"])
    try:
        await emit(db, "ticket.created", "ticket", desk["ticket"]["id"],
                   ticket_id=desk["ticket"]["id"])
        await run(db)
    finally:
        async with db.transaction():
            await db.execute("UPDATE rule SET enabled = FALSE WHERE id = $1", rid)
    await as_(client, p["bea"])
    page = await client.get("/desk/tasks")
    assert "Phone about the leak" in page.text and "Leak → call back" in page.text
    note = [n for n in await inbox(db, p["bea"]["id"]) if n["kind"] == "task_created"]
    assert note and note[0]["link"] == "/desk/tasks"
