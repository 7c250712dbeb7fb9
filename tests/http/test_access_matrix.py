"""The access matrix: every object route, every persona, every other persona's object.

"Not yours" answers 404 (existence does not leak); the wrong surface sends you to its
sign-in page; internal notes and internal photos never reach a portal response.
"""

from __future__ import annotations

import pytest

from tests.personas import World, build_world

pytestmark = pytest.mark.http

ROUTES = {
    "portal_project": ("/portal/projects/{}", "project"),
    "portal_ticket": ("/portal/tickets/{}", "ticket"),
    "portal_photo": ("/portal/photos/{}/thumb", "photo"),
    "field_work_order": ("/field/work-orders/{}", "wo"),
    "field_photo": ("/field/photos/{}/display", "photo"),
    "desk_ticket": ("/desk/tickets/{}", "ticket"),
    "desk_customer": ("/desk/customers/{}", "customer"),
    "desk_photo": ("/desk/photos/{}/thumb", "photo"),
    "desk_dispatch": ("/desk/tickets/{}/dispatch", "ticket"),
    "desk_project": ("/desk/projects/{}", "project"),
    "field_notification": ("/field/notifications/{}", "note"),
}

# Pages without an object: each persona's own surface answers 200, any other sends to sign-in.
PAGES = {
    "field_notifications": "/field/notifications",
    "field_push_key": "/field/notifications/push/key",
    "desk_tasks": "/desk/tasks",
    "desk_task_count": "/desk/tasks/count",
    "desk_notification_settings": "/desk/notifications/settings",
}

# persona -> surface they belong to, and which side's objects (a/b) they may see.
SEES = {
    "alice": ("portal", {"a"}),
    "carol": ("portal", {"a"}),
    "bob": ("portal", {"b"}),
    "tina": ("field", {"a"}),
    "tom": ("field", {"b"}),
    "agent_east": ("desk", {"a"}),
    "agent_west": ("desk", {"b"}),
    "manager": ("desk", {"a", "b"}),
    "admin": ("desk", {"a", "b"}),
    "anonymous": (None, set()),
}

CASES = [(persona, route, side) for persona in SEES for route in ROUTES for side in ("a", "b")]


@pytest.fixture(scope="module")
async def world() -> World:
    from backend.db import get_db

    db = get_db()
    world = await build_world(db)
    await _add_notes_and_tasks(db, world)
    return world


async def _add_notes_and_tasks(db, world: World) -> None:  # type: ignore[no-untyped-def]
    """A notification for each technician (field inbox) and a rule-created task for each
    regional agent (desk task list): side a belongs to Tina / Agnes, side b to Tom / Walter."""
    import uuid

    from backend import clock
    from backend.notifications.services import notify

    for side, tech, agent in (("a", "tina", "agent_east"), ("b", "tom", "agent_west")):
        async with db.transaction():
            nid = await notify(db, person_kind="staff", person_id=world.people[tech]["id"],
                               message="task_created", params={"title": f"NOTE-{side}"},
                               link="/field/", dedup_key=uuid.uuid4().hex, reason="matrix")
            tid = uuid.uuid4()
            await db.execute(
                "INSERT INTO staff_task (id, title, assignee_id, ticket_id, created_at, status) "
                "VALUES ($1, $2, $3, $4, $5, 'open')", tid, f"TASK-{side}-{tid.hex[:8]}",
                world.people[agent]["id"], world.objects[f"ticket_{side}"]["id"], clock.now())
        world.objects[f"note_{side}"] = {"id": nid}
        world.objects[f"task_{side}"] = {"id": tid, "title": f"TASK-{side}-{tid.hex[:8]}"}


def _expected(persona: str, route: str, side: str) -> int:
    surface, sides = SEES[persona]
    if surface is None or not route.startswith(surface):
        return 303  # wrong surface or not signed in: sign in there
    return 200 if side in sides else 404


@pytest.mark.parametrize(("persona", "route", "side"), CASES)
async def test_matrix(client, world: World, persona: str, route: str, side: str) -> None:
    if persona != "anonymous":
        await client.sign_in(realm=world.realm(persona), subject_id=world.people[persona]["id"])
    template, kind = ROUTES[route]
    obj = world.objects[f"{kind}_{side}"]
    response = await client.get(template.format(obj["id"]))
    expected = _expected(persona, route, side)
    assert response.status_code == expected, (persona, route, side, response.text[:300])
    if expected == 303:
        assert "/sign-in" in response.headers["location"]
    if expected == 404:
        # Nothing of the other persona's object leaks into the not-found page.
        other = world.objects[f"{kind}_{side}"]
        assert str(other["id"]) not in response.text
        assert "INTERNAL-NOTE" not in response.text


@pytest.mark.parametrize(("persona", "page"), [(p, name) for p in SEES for name in PAGES])
async def test_pages(client, world: World, persona: str, page: str) -> None:
    if persona != "anonymous":
        await client.sign_in(realm=world.realm(persona), subject_id=world.people[persona]["id"])
    response = await client.get(PAGES[page])
    surface = SEES[persona][0]
    if surface is not None and page.startswith(surface):
        assert response.status_code == 200, (persona, page)
    else:
        assert response.status_code == 303, (persona, page)
        assert "/sign-in" in response.headers["location"]


@pytest.mark.parametrize(("persona", "side"), [(p, s) for p in SEES for s in ("a", "b")])
async def test_tasks(client, world: World, persona: str, side: str) -> None:
    """The task list shows a task to whoever may see it; its actions answer 404 otherwise."""
    if persona != "anonymous":
        await client.sign_in(realm=world.realm(persona), subject_id=world.people[persona]["id"])
    task = world.objects[f"task_{side}"]
    listing = await client.get("/desk/tasks?view=all&status=all")
    done = await client.post_form(f"/desk/tasks/{task['id']}/done")
    surface, sides = SEES[persona]
    if surface != "desk":
        assert listing.status_code == done.status_code == 303
        assert "/desk/sign-in" in done.headers["location"]
    elif side in sides:
        assert listing.status_code == 200 and task["title"] in listing.text
        assert done.status_code == 303 and done.headers["location"].startswith("/desk/tasks")
    else:
        assert listing.status_code == 200 and task["title"] not in listing.text
        assert done.status_code == 404 and task["title"] not in done.text


@pytest.mark.parametrize("persona", list(SEES))
async def test_notification_settings_save(client, world: World, persona: str) -> None:
    """Desk staff save their own notification settings; anyone else is sent to sign in."""
    if persona != "anonymous":
        await client.sign_in(realm=world.realm(persona), subject_id=world.people[persona]["id"])
    saved = await client.post_form("/desk/notifications/settings",
                                   {"work.email": "on", "daily_cap": "5"})
    assert saved.status_code == 303, (persona, saved.text[:300])
    if SEES[persona][0] == "desk":
        assert saved.headers["location"] == "/desk/notifications/settings"
    else:
        assert "/desk/sign-in" in saved.headers["location"]


@pytest.mark.parametrize("persona", ["alice", "carol"])
async def test_portal_never_shows_internal_notes_or_photos(client, world: World,
                                                           persona: str) -> None:
    await client.sign_in(realm="customer", subject_id=world.people[persona]["id"])
    ticket = await client.get(f"/portal/tickets/{world.objects['ticket_a']['id']}")
    assert ticket.status_code == 200
    assert "We will come on Monday." in ticket.text
    assert "INTERNAL-NOTE" not in ticket.text
    project = await client.get(f"/portal/projects/{world.objects['project_a']['id']}")
    assert str(world.objects["photo_a"]["id"]) in project.text
    assert str(world.objects["photo_a_internal"]["id"]) not in project.text
    hidden = await client.get(f"/portal/photos/{world.objects['photo_a_internal']['id']}/thumb")
    assert hidden.status_code == 404
    for page in ("/portal/", "/portal/tickets"):
        body = (await client.get(page)).text
        assert "INTERNAL-NOTE" not in body


async def test_desk_sees_internal_notes(client, world: World) -> None:
    await client.sign_in(realm="staff", subject_id=world.people["agent_east"]["id"])
    page = await client.get(f"/desk/tickets/{world.objects['ticket_a']['id']}")
    assert "INTERNAL-NOTE-ALICE" in page.text
    assert "message--internal" in page.text


async def test_unknown_and_malformed_ids_are_not_found(client, world: World) -> None:
    await client.sign_in(realm="customer", subject_id=world.people["alice"]["id"])
    assert (await client.get("/portal/projects/not-a-uuid")).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.get(f"/portal/projects/{missing}")).status_code == 404
