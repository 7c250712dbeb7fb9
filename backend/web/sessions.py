"""Setting and clearing the session cookie for every surface."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response

from backend.accounts import services as accounts
from backend.accounts.services import SESSION_TTL
from backend.config import get_settings
from backend.db import get_db

from .auth import SESSION_COOKIE, current_actor
from .pages import redirect, set_flash


async def start_session(
    request: Request[Any, Any, Any], *, realm: str, subject_id: uuid.UUID, next_url: str
) -> Response[Any]:
    token = await accounts.create_session(
        get_db(), realm=realm, subject_id=subject_id,
        user_agent=request.headers.get("user-agent", ""),
    )
    response = redirect(request, next_url)
    response.set_cookie(
        key=SESSION_COOKIE, value=token, max_age=int(SESSION_TTL.total_seconds()),
        httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/",
    )
    return response


async def finish_session(
    request: Request[Any, Any, Any], *, next_url: str, everywhere: bool = False
) -> Response[Any]:
    actor = await current_actor(request)
    if everywhere:
        await accounts.end_all_sessions(get_db(), actor=actor)
    else:
        await accounts.end_session(get_db(), actor=actor)
    response = redirect(request, next_url)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return set_flash(response, "signed_out_all" if everywhere else "signed_out")
