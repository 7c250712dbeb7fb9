"""Render a full page or, for htmx, the block of the same template (one template, two uses)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from uuid import UUID

from litestar import Request, Response
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from backend.access import Actor
from backend.i18n import N_, gettext

from .auth import current_actor, request_locale
from .templating import STATIC_VERSION, html_response, is_htmx, render_html

FLASH_COOKIE = "hl_flash"

# Messages shown once after a redirect; the cookie carries only the key.
FLASHES: dict[str, tuple[str, str]] = {
    "signed_in": ("success", N_("You are signed in.")),
    "signed_out": ("success", N_("You are signed out.")),
    "signed_out_all": ("success", N_("You are signed out on all your devices.")),
    "saved": ("success", N_("Your changes are saved.")),
    "code_sent": ("info", N_("We sent you a 6-digit code. It is valid for 10 minutes.")),
}


def set_flash(response: Response[Any], key: str) -> Response[Any]:
    response.set_cookie(key=FLASH_COOKIE, value=key, max_age=60, httponly=True,
                        samesite="lax", path="/")
    return response


def csrf_token(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


_PATH_PARAM = re.compile(r"{(\w+):\w+}")
_path_formats: dict[tuple[int, str], str] = {}


def url_for_app(app: Any, name: str, **params: Any) -> str:
    """``route_reverse`` with the path pattern cached per route: a photo grid builds 120 URLs
    per page, and Litestar's reverse re-validates every parameter each time."""
    key = (id(app), name)
    fmt = _path_formats.get(key)
    if fmt is None:
        index = app.get_handler_index_by_name(name)
        if index is None:
            raise KeyError(f"no route named {name!r}")
        fmt = _PATH_PARAM.sub(r"{\1}", index["paths"][0])
        _path_formats[key] = fmt
    return fmt.format(**{k: v if isinstance(v, UUID) else quote(str(v), safe="")
                         for k, v in params.items()})


def base_context(request: Request[Any, Any, Any], actor: Actor, locale: str) -> dict[str, Any]:
    app = request.app

    def url_for(name: str, **params: Any) -> str:
        return url_for_app(app, name, **params)

    def static(path: str) -> str:
        return f"/static/{path}?v={STATIC_VERSION}"

    return {
        "request": request,
        "actor": actor,
        "locale": locale,
        "lang_attr": "zh-CN" if locale.startswith("zh") else "en",
        "csrf_token": csrf_token(request),
        "url_for": url_for,
        "static": static,
        "path": request.url.path,
        "query": request.query_params,
    }


async def page(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render ``template``; an htmx request gets only ``block`` when one is named."""
    actor = await current_actor(request)
    return render_page(request, actor, template, context, status=status, block=block,
                       headers=headers)


def render_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The synchronous core of :func:`page`, for callers that already know the actor."""
    locale = request_locale(request, actor)
    ctx = base_context(request, actor, locale)
    flash_key = request.cookies.get(FLASH_COOKIE)
    if flash_key in FLASHES:
        kind, text = FLASHES[flash_key]
        ctx["flash"] = {"kind": kind, "text": text}
    if context:
        ctx.update(context)
    chosen_block = block if block and is_htmx(request) else None
    html = render_html(template, ctx, locale=locale, timezone=actor.timezone,
                       block=chosen_block)
    response = html_response(html, status=status, headers=headers)
    if flash_key:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """303 for plain forms; ``HX-Redirect`` for htmx so the whole page changes."""
    if is_htmx(request):
        return Response(content="", status_code=200, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=303)


async def translate(request: Request[Any, Any, Any], message: str) -> str:
    actor = await current_actor(request)
    return gettext(message, request_locale(request, actor))
