"""Password sign-in for the field app and the desk (one implementation, two surfaces)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from backend.access import DESK_ROLES, TECHNICIAN
from backend.accounts import services as accounts
from backend.db import get_db
from backend.errors import RateLimited, ValidationFailed
from backend.i18n import N_

from .auth import client_ip
from .forms import form_data, safe_next
from .pages import page
from .sessions import finish_session, start_session

WRONG_SURFACE = {
    "field": N_("This account is not a technician account. Staff sign in at the service desk."),
    "desk": N_("Technicians use the field app, not the service desk."),
}


def staff_auth_handlers(surface: str, *, home: str) -> list[HTTPRouteHandler]:
    """Sign-in, sign-out handlers for ``surface`` ("field" or "desk")."""
    allowed: Callable[[str], bool] = (
        (lambda role: role == TECHNICIAN) if surface == "field"
        else (lambda role: role in DESK_ROLES)
    )
    template = f"{'fieldapp' if surface == 'field' else 'desk'}/auth/sign_in.html"

    @get("/sign-in", name=f"{surface}.sign_in")
    async def sign_in_form(request: Request[Any, Any, Any], next: str | None = None) -> Response:
        return await page(request, template, {"next": safe_next(next, "")})

    @post("/sign-in", name=f"{surface}.sign_in_submit", status_code=200)
    async def sign_in(request: Request[Any, Any, Any]) -> Response:
        data = await form_data(request)
        email, next_url = data.get("email", ""), safe_next(data.get("next"), home)
        context = {"email": email, "next": next_url}
        try:
            login = await accounts.authenticate_staff(
                get_db(), email=email, password=data.get("password", ""),
                ip=client_ip(request))
        except ValidationFailed as exc:
            return await page(request, template, {**context, "errors": exc.errors}, status=400)
        except RateLimited as exc:
            return await page(request, template, {**context, "errors": {"": exc.message}},
                              status=429, headers={"Retry-After": str(exc.retry_after)})
        if not allowed(login.role):
            return await page(request, template,
                              {**context, "errors": {"": WRONG_SURFACE[surface]}}, status=403)
        return await start_session(request, realm="staff", subject_id=login.id,
                                   next_url=next_url)

    @post("/sign-out", name=f"{surface}.sign_out", status_code=303)
    async def sign_out(request: Request[Any, Any, Any]) -> Response:
        return await finish_session(request, next_url=f"/{surface}/sign-in")

    return [sign_in_form, sign_in, sign_out]
