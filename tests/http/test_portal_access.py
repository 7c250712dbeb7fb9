"""The portal's new object routes under the access matrix: a homeowner (and their household)
sees their own; another homeowner gets 404; staff and visitors are sent to sign in."""

from __future__ import annotations

import pytest

from backend.surveys import services as surveys
from tests.personas import World, build_world
from tests.portal_helpers import add_change_request

pytestmark = pytest.mark.http

ROUTES = {
    "change": ("GET", "/portal/changes/{change}"),
    "decide": ("POST", "/portal/changes/{change}/decision"),
    "acceptance": ("GET", "/portal/projects/{project}/acceptance"),
    "sign_off": ("POST", "/portal/projects/{project}/acceptance"),
    "reply": ("POST", "/portal/tickets/{ticket}/reply"),
    "reopen": ("POST", "/portal/tickets/{ticket}/reopen"),
    "survey": ("GET", "/portal/surveys/{survey}"),
    "answer": ("POST", "/portal/surveys/{survey}"),
}
SEES = {"alice": {"a"}, "carol": {"a"}, "bob": {"b"}}
# Surveys belong to one person, not the household.
SURVEY_OWNER = {"alice": {"a"}, "carol": set(), "bob": {"b"}}
PERSONAS = ["alice", "carol", "bob", "tina", "agent_east", "anonymous"]


@pytest.fixture(scope="module")
async def world() -> World:
    from backend.db import get_db

    db = get_db()
    w = await build_world(db)
    for side, owner in (("a", "alice"), ("b", "bob")):
        project = w.objects[f"project_{side}"]
        w.objects[f"change_{side}"] = {"id": await add_change_request(db, project)}
        token = await surveys.issue_survey(db, customer_id=w.people[owner]["id"], kind="nps",
                                           trigger="test")
        w.objects[f"survey_{side}"] = {"id": await db.fetchval(
            "SELECT id FROM survey WHERE token_hash = $1", surveys.token_hash(token))}
    return w


def _url(world: World, route: str, side: str) -> str:
    ids = {k: world.objects[f"{k if k != 'ticket' else 'ticket'}_{side}"]["id"]
           for k in ("change", "project", "ticket", "survey")}
    return ROUTES[route][1].format(**ids)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("side", ["a", "b"])
async def test_portal_object_routes(client, world: World, persona: str, route: str,
                                    side: str) -> None:
    if persona != "anonymous":
        await client.sign_in(realm=world.realm(persona), subject_id=world.people[persona]["id"])
    method, _ = ROUTES[route]
    url = _url(world, route, side)
    if method == "GET":
        response = await client.get(url)
    else:
        # Deliberately invalid bodies: access is decided before any change could happen.
        response = await client.post_form(url, {})
    if persona not in SEES:
        assert response.status_code == 303, (persona, route, side)
        assert "/sign-in" in response.headers["location"]
        return
    allowed = SURVEY_OWNER if route in ("survey", "answer") else SEES
    if side in allowed[persona]:
        assert response.status_code in (200, 400, 409), (persona, route, side, response.text[:300])
    else:
        assert response.status_code == 404, (persona, route, side)
        assert "INTERNAL-NOTE" not in response.text
