"""Dashboards at /desk/reports/: five boards, drill-down lists with CSV/XLSX export, and a
self-refreshing wall screen. Scope and permission are enforced in backend.reports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.response import Redirect

from backend.access import Actor
from backend.db import get_db
from backend.reports import queries
from backend.reports.drill import PAGE_LIMIT, drill, to_csv, to_xlsx
from backend.reports.filters import parse_filter
from backend.web.auth import request_locale
from backend.web.pages import page

_GROUPS = ("stage", "product_line", "crew")


def _ctx(f: Any, **extra: Any) -> dict[str, Any]:
    def qs(**params: Any) -> str:
        return urlencode(f.query(**params))

    return {"f": f, "qs": qs, "nav": "reports", "boards": queries.BOARDS, **extra}


@get("/reports/", name="desk.reports")
async def reports_home(actor: Actor) -> Response:
    return Redirect(path="/desk/reports/voice", status_code=303)


@get("/reports/wall", name="desk.reports_wall")
async def wall(request: Request[Any, Any, Any], actor: Actor) -> Response:
    f = parse_filter(request.query_params, actor)
    figures = await queries.wall(get_db(), actor, f)
    return await page(request, "desk/reports/wall.html", _ctx(f, figures=figures),
                      block="wall", headers={"Vary": "HX-Request"})


@get("/reports/drill/{key:str}", name="desk.report_drill")
async def drill_list(request: Request[Any, Any, Any], actor: Actor, key: str) -> Response:
    params = request.query_params
    f = parse_filter(params, actor)
    groups = {g: params[g] for g in _GROUPS if g in params}
    fmt = params.get("format")
    data = await drill(get_db(), actor, f, key, groups,
                       limit=None if fmt in ("csv", "xlsx") else PAGE_LIMIT)
    if fmt in ("csv", "xlsx"):
        locale = request_locale(request, actor)
        body = to_csv(data, locale, actor.timezone) if fmt == "csv" else to_xlsx(
            data, locale, actor.timezone)
        media = ("text/csv; charset=utf-8" if fmt == "csv" else
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(content=body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{key}.{fmt}"'})
    return await page(request, "desk/reports/drill.html",
                      _ctx(f, data=data, groups=groups, limit=PAGE_LIMIT))


@get("/reports/growth/segments", name="desk.report_segments")
async def segments(request: Request[Any, Any, Any], actor: Actor) -> Response:
    f = parse_filter(request.query_params, actor)
    figures = await queries.segments(get_db(), actor, f)
    return await page(request, "desk/reports/segments.html", _ctx(f, figures=figures),
                      block="segments", headers={"Vary": "HX-Request"})


@get("/reports/{board:str}", name="desk.report")
async def show_board(request: Request[Any, Any, Any], actor: Actor, board: str) -> Response:
    f = parse_filter(request.query_params, actor)
    data = await queries.board(get_db(), actor, board, f)
    return await page(request, f"desk/reports/{board}.html", _ctx(f, board=board, data=data),
                      block="board", headers={"Vary": "HX-Request"})


HANDLERS = [reports_home, wall, drill_list, segments, show_board]
