"""Read entry points for the desk's report pages: one call per page."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from backend.access import Actor
from backend.db import Database
from backend.errors import NotFound
from backend.reports import charts, dashboards, growth
from backend.reports.filters import ReportFilter, reader_scope
from backend.reports.measures import MEASURES


@contextlib.asynccontextmanager
async def snapshot(db: Database) -> AsyncIterator[None]:
    """Run a page's statements on one consistent snapshot where the database offers it.

    PostgreSQL: a read-only REPEATABLE READ transaction, so every figure on a page counts
    the same committed rows, with JIT compilation off (it costs ~200 ms per statement on
    these short reports and saves nothing) and room to sort in memory. SQLite's reader
    connection reads without a transaction (a transaction would take the writer lock).
    """
    if db.kind != "postgres":
        yield
        return
    async with db.transaction():
        await db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        await db.execute("SET LOCAL jit = off")
        # The period scans sort ~200,000 narrow rows (percentiles, grouping by period): in
        # memory that is tens of milliseconds, spilled to disk at the default 4 MB it is ~3x.
        await db.execute("SET LOCAL work_mem = '64MB'")
        yield


BOARDS = ("voice", "service", "delivery", "warranty", "growth")
_FUNCS = {"voice": dashboards.voice, "service": dashboards.service,
          "delivery": dashboards.delivery, "warranty": growth.warranty,
          "growth": growth.growth}


async def filter_options(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Regions, teams and product lines for the filter selects (small lookup tables)."""
    return {
        "regions": await db.fetch("SELECT id, name_zh, name_en FROM region ORDER BY code"),
        "teams": await db.fetch("SELECT id, name_zh, name_en FROM team ORDER BY name_en"),
        "lines": await db.fetch("SELECT id, name_zh, name_en FROM product_line ORDER BY code"),
    }


async def board(db: Database, actor: Actor, name: str, f: ReportFilter) -> dict[str, Any]:
    """One dashboard's data, its charts and the filter options; 404 for an unknown name."""
    if name not in _FUNCS:
        raise NotFound("report")
    reader_scope(actor, "x", "x")  # NotAllowed before any work
    async with snapshot(db):
        data = await _FUNCS[name](db, actor, f)
    data["charts"] = _charts(name, data)
    data["options"] = await filter_options(db)
    return data


async def segments(db: Database, actor: Actor, f: ReportFilter) -> list[dict[str, Any]]:
    reader_scope(actor, "x", "x")
    async with snapshot(db):
        return await growth.segments(db, actor, f)


async def wall(db: Database, actor: Actor, f: ReportFilter) -> list[dashboards.Figure]:
    reader_scope(actor, "x", "x")
    async with snapshot(db):
        return await growth.wall(db, actor, f)


def _charts(name: str, data: Mapping[str, Any]) -> dict[str, str]:
    if name == "voice":
        return {"trend": charts.line([(p["label"], p["value"]) for p in data["trend"]])}
    if name == "delivery":
        return {"stages": charts.bars([charts.Bar(s["code"], (s["on_time"], s["late"]))
                                       for s in data["stages"]])}
    if name == "growth":
        return {"funnel": charts.bars([charts.Bar(s["code"], (s["n"],))
                                       for s in data["funnel"]])}
    if name == "service":
        return {"backlog": charts.bars([charts.Bar(str(i), (fig.value or 0,))
                                        for i, fig in enumerate(data["backlog"][1:])])}
    return {}


def measure_exists(key: str) -> bool:
    return key in MEASURES
