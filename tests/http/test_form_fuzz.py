"""Property-based: whatever a form sends (missing fields, junk, hostile text, wrong types),
the answer is a page or a clear 4xx, never a server error, and nothing half-written stays."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f

pytestmark = pytest.mark.http

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
FIELDS = {
    "portal_repair": ("category", "description", "item", "windows", "key"),
    "portal_profile": ("name", "email", "language", "consent_service", "consent_marketing"),
    "portal_household": ("phone", "name", "relation"),
    "desk_message": ("body", "visibility", "then_status"),
    "desk_update": ("status", "priority", "category", "assignee", "reason"),
    "sign_in": ("contact", "next"),
}
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _form(draw_fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(draw_fields), TEXT, max_size=len(draw_fields))


@pytest.fixture
async def people(db):
    customer = await f.make_customer(db)
    project = await f.make_project(db, customer=customer)
    ticket = await f.make_ticket(db, customer=customer, project=project)
    manager = await f.make_staff(db, role="manager")
    return {"customer": customer, "ticket": ticket, "manager": manager}


async def _post(client, url: str, data: dict[str, str]):
    response = await client.post_form(url, data)
    assert response.status_code < 500, (url, data, response.text[:300])
    return response


@FUZZ
@given(data=st.data())
async def test_portal_forms_never_fail(client, db, people, data) -> None:
    await client.sign_in(realm="customer", subject_id=people["customer"]["id"])
    before = await db.fetchval("SELECT count(*) AS n FROM ticket WHERE customer_id = $1",
                               people["customer"]["id"])
    form = data.draw(_form(FIELDS["portal_repair"]))
    response = await _post(client, "/portal/repairs", form)
    after = await db.fetchval("SELECT count(*) AS n FROM ticket WHERE customer_id = $1",
                              people["customer"]["id"])
    if response.status_code == 400:
        assert after == before  # a refused form leaves nothing behind
    await _post(client, "/portal/me", data.draw(_form(FIELDS["portal_profile"])))
    await _post(client, "/portal/household", data.draw(_form(FIELDS["portal_household"])))


@FUZZ
@given(data=st.data())
async def test_desk_forms_never_fail(client, people, data) -> None:
    await client.sign_in(realm="staff", subject_id=people["manager"]["id"])
    ticket_id = people["ticket"]["id"]
    await _post(client, f"/desk/tickets/{ticket_id}/messages",
                data.draw(_form(FIELDS["desk_message"])))
    await _post(client, f"/desk/tickets/{ticket_id}/update",
                data.draw(_form(FIELDS["desk_update"])))


@FUZZ
@given(form=_form(FIELDS["sign_in"]))
async def test_sign_in_never_fails(app, codes, form) -> None:
    from tests.http_client import Client

    # Its own address: the per-IP rate limit must not spill into other tests.
    async with Client(app, ip="127.0.0.9") as client:
        await _post(client, "/portal/sign-in", form)
