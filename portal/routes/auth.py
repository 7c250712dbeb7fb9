"""Homeowner sign-in with a one-time code sent to their phone or e-mail."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from backend.accounts import services as accounts
from backend.accounts.senders import get_sender
from backend.db import get_db
from backend.errors import ValidationFailed
from backend.web.auth import client_ip
from backend.web.forms import form_data, safe_next
from backend.web.pages import page
from backend.web.sessions import finish_session, start_session

TEMPLATE = "portal/auth/sign_in.html"


@get("/sign-in", name="portal.sign_in")
async def sign_in_form(request: Request[Any, Any, Any], next: str | None = None) -> Response:
    return await page(request, TEMPLATE, {"step": "contact", "next": safe_next(next, "")})


@post("/sign-in", name="portal.request_code", status_code=200)
async def request_code(request: Request[Any, Any, Any]) -> Response:
    data = await form_data(request)
    contact, next_url = data.get("contact", ""), safe_next(data.get("next"), "")
    try:
        issued = await accounts.request_login_code(get_db(), contact=contact,
                                                   ip=client_ip(request))
    except ValidationFailed as exc:
        return await page(request, TEMPLATE, {"step": "contact", "contact": contact,
                                              "errors": exc.errors, "next": next_url},
                          status=400)
    await get_sender().send(channel=issued.channel, target=issued.target, code=issued.code,
                            locale=issued.locale)
    return await page(request, TEMPLATE, {"step": "code", "contact": contact,
                                          "channel": issued.channel, "next": next_url})


@post("/sign-in/verify", name="portal.verify_code", status_code=200)
async def verify_code(request: Request[Any, Any, Any]) -> Response:
    data = await form_data(request)
    contact, next_url = data.get("contact", ""), safe_next(data.get("next"), "/portal/")
    try:
        customer_id = await accounts.verify_login_code(
            get_db(), contact=contact, code=data.get("code", ""), ip=client_ip(request))
    except ValidationFailed as exc:
        return await page(request, TEMPLATE, {"step": "code", "contact": contact,
                                              "errors": exc.errors, "next": next_url},
                          status=400)
    return await start_session(request, realm="customer", subject_id=customer_id,
                               next_url=next_url)


@post("/sign-out", name="portal.sign_out", status_code=303)
async def sign_out(request: Request[Any, Any, Any]) -> Response:
    return await finish_session(request, next_url="/portal/sign-in")


HANDLERS = [sign_in_form, request_code, verify_code, sign_out]
