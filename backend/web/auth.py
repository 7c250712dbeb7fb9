"""Who is asking: the session cookie resolved to an actor, and the guards of each surface."""

from __future__ import annotations

from typing import Any

from litestar import Request

from backend.access import ANONYMOUS, Actor
from backend.accounts import services as accounts
from backend.config import get_settings
from backend.db import get_db
from backend.i18n import negotiate, normalize_locale

SESSION_COOKIE = "hl_session"
LANG_COOKIE = "hl_lang"


class SignInRequired(Exception):
    """Raised by a surface guard; answered with a redirect to that surface's sign-in page."""

    def __init__(self, surface: str) -> None:
        super().__init__(surface)
        self.surface = surface


async def current_actor(request: Request[Any, Any, Any]) -> Actor:
    """The request's actor, looked up once per request (one query) and kept on its state."""
    cached = request.scope.get("_hl_actor")
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    actor = ANONYMOUS
    if token:
        actor = await accounts.load_actor(get_db(), token) or ANONYMOUS
    request.scope["_hl_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor


def request_locale(request: Request[Any, Any, Any], actor: Actor | None) -> str:
    """Locale: the user's setting, then the language cookie, then Accept-Language."""
    if actor is not None and actor.kind in ("customer", "staff"):
        found = normalize_locale(actor.locale)
        if found:
            return found
    found = normalize_locale(request.cookies.get(LANG_COOKIE))
    if found:
        return found
    return negotiate(request.headers.get("accept-language")) or get_settings().default_locale


async def portal_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await current_actor(request)
    if not actor.is_customer:
        raise SignInRequired("portal")
    return actor


async def field_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await current_actor(request)
    if not actor.is_technician:
        raise SignInRequired("field")
    return actor


async def desk_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await current_actor(request)
    if not actor.is_desk:
        raise SignInRequired("desk")
    return actor


def client_ip(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client else "unknown"
