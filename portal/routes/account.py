"""The homeowner's own settings: profile (language, contact details, consent), household
members, and signing out of every device."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post

from backend.access import Actor
from backend.customers import portal_queries, services
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.web.forms import form_data
from backend.web.pages import page, redirect, set_flash
from backend.web.sessions import finish_session

PROFILE = "portal/account/profile.html"
HOUSEHOLD = "portal/account/household.html"


@get("/me", name="portal.profile")
async def profile(request: Request[Any, Any, Any], actor: Actor) -> Response:
    values = await portal_queries.profile(get_db(), actor)
    return await page(request, PROFILE, {"values": values, "errors": {}, "tab": "me"})


@post("/me", name="portal.update_profile", status_code=200)
async def update_profile(request: Request[Any, Any, Any], actor: Actor) -> Response:
    data = await form_data(request)
    try:
        await services.update_profile(
            get_db(), actor=actor, name=data.get("name", ""), email=data.get("email", ""),
            language=data.get("language", ""), consent_service="consent_service" in data,
            consent_marketing="consent_marketing" in data)
    except ValidationFailed as exc:
        current = await portal_queries.profile(get_db(), actor)
        values = {**current, **data, "consent_service": "consent_service" in data,
                  "consent_marketing": "consent_marketing" in data}
        return await page(request, PROFILE, {"values": values, "errors": exc.errors,
                                             "tab": "me"}, status=400)
    return set_flash(redirect(request, request.app.route_reverse("portal.profile")), "saved")


@post("/me/sign-out-everywhere", name="portal.sign_out_everywhere", status_code=200)
async def sign_out_everywhere(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await finish_session(request, next_url="/portal/sign-in", everywhere=True)


async def _household(request: Request[Any, Any, Any], actor: Actor,
                     extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    data = await portal_queries.household(get_db(), actor)
    context = {**data, "errors": {}, "values": {}, "tab": "me", **(extra or {})}
    return await page(request, HOUSEHOLD, context, status=status)


@get("/household", name="portal.household")
async def household(request: Request[Any, Any, Any], actor: Actor) -> Response:
    return await _household(request, actor)


@post("/household", name="portal.invite_member", status_code=200)
async def invite(request: Request[Any, Any, Any], actor: Actor) -> Response:
    data = await form_data(request)
    try:
        await services.invite_household_member(
            get_db(), actor=actor, phone=data.get("phone", ""), name=data.get("name", ""),
            relation=data.get("relation", "family"))
    except ValidationFailed as exc:
        return await _household(request, actor, {"errors": exc.errors, "values": data}, 400)
    return set_flash(redirect(request, request.app.route_reverse("portal.household")),
                     "member_invited")


@post("/household/{membership_id:uuid}/remove", name="portal.remove_member", status_code=200)
async def remove(request: Request[Any, Any, Any], actor: Actor, membership_id: UUID) -> Response:
    await services.remove_household_member(get_db(), actor=actor, membership_id=membership_id)
    return set_flash(redirect(request, request.app.route_reverse("portal.household")),
                     "member_removed")


HANDLERS = [profile, update_profile, sign_out_everywhere, household, invite, remove]
