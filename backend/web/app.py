"""The composition root: one Litestar app serving the portal, the field app and the desk."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.params import Body
from litestar.static_files import create_static_files_router

from backend import db as dbmod
from backend.config import ROOT, Settings, get_settings
from backend.i18n import normalize_locale

from .auth import LANG_COOKIE
from .errors import EXCEPTION_HANDLERS
from .pages import redirect
from .security import add_security_headers, strip_nul_from_query
from .templating import warm_templates


@get("/healthz", name="healthz", exclude_from_csrf=True)
async def healthz() -> Response[dict[str, Any]]:
    database = dbmod.get_db()
    status, detail = "ok", ""
    try:
        await database.ping()
    except Exception as exc:  # any failure means "down" for the load balancer
        status, detail = "unavailable", type(exc).__name__
    body: dict[str, Any] = {"status": "ok" if status == "ok" else "degraded",
                            "database": {"kind": database.kind, "status": status,
                                         "error": detail}}
    if status == "ok":
        from backend.events.worker import lag

        body["worker"] = await lag(database)
    return Response(body, status_code=200 if status == "ok" else 503,
                    headers={"Cache-Control": "no-store"})


@get("/", name="home")
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    from .pages import page

    return await page(request, "home.html")


@post("/lang", name="set_language", status_code=303)
async def set_language(
    request: Request[Any, Any, Any],
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Response[Any]:
    """Remember a language choice for visitors who are not signed in yet."""
    locale = normalize_locale(data.get("locale")) or "zh_CN"
    back = data.get("next") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    response = redirect(request, back)
    response.set_cookie(Cookie(key=LANG_COOKIE, value=locale, max_age=365 * 86400,
                               httponly=True, samesite="lax", path="/"))
    return response


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    from backend.desk.routes import desk_router
    from fieldapp.routes import field_router
    from portal.routes import portal_router, survey_router

    worker_task: list[Any] = []

    async def on_startup() -> None:
        dbmod.get_db()
        warm_templates()
        if settings.run_worker_in_process:  # the embedded default (events, notifications)
            from backend.events.worker import start_in_process

            worker_task.append(await start_in_process(dbmod.get_db()))

    async def on_shutdown() -> None:
        for task in worker_task:
            task.cancel()
        await dbmod.get_db().close()
        dbmod.set_db(None)

    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        cookie_httponly=True,
        header_name="x-csrftoken",
        exclude=["/api/", "/healthz", "/static/"],
    )
    return Litestar(
        route_handlers=[
            healthz,
            home,
            set_language,
            portal_router,
            survey_router,
            field_router,
            desk_router,
            create_static_files_router(path="/static", directories=[ROOT / "static"],
                                       name="static", send_as_attachment=False,
                                       cache_control=None, include_in_schema=False,
                                       # gzip static files only (htmx, CSS, JS: ~90 KB raw);
                                       # pages stay uncompressed: they carry the CSRF token
                                       # next to reflected input (BREACH).
                                       middleware=[DefineMiddleware(
                                           CompressionMiddleware,
                                           config=CompressionConfig(backend="gzip",
                                                                    gzip_compress_level=6))]),
        ],
        csrf_config=csrf,
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_security_headers],
        middleware=[strip_nul_from_query],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=1024 * 1024,
        openapi_config=None,
        debug=False,
    )
