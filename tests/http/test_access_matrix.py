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

    return await build_world(get_db())


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
