"""Drill-down lists (the records behind a number) and their CSV / XLSX exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.db import Database
from backend.errors import NotFound
from backend.i18n import gettext
from backend.reports.filters import ReportFilter
from backend.reports.growth import with_warranty_months
from backend.reports.measures import MEASURES
from backend.reports.queries import snapshot
from backend.reports.recordsets import drill_sql

PAGE_LIMIT = 500  # rows shown on the page; exports hold every row


@dataclass
class DrillList:
    key: str
    label: str
    headers: list[tuple[str, str]]  # (msgid, kind)
    rows: list[list[Any]]
    links: list[Any]
    total: int


async def drill(db: Database, actor: Any, f: ReportFilter, key: str,
                groups: dict[str, str], *, limit: int | None = None) -> DrillList:
    """The records counted by measure ``key`` under the same filter (404 if unknown)."""
    measure = MEASURES.get(key)
    if measure is None:
        raise NotFound("report")
    if key == "warranty.ending":
        f = await with_warranty_months(db, f)
    rs, text, args = drill_sql(actor, f, measure, groups)
    async with snapshot(db):
        rows = await db.fetch(text, *args)
    ncols = len(rs.columns)
    shown = rows if limit is None else rows[:limit]
    return DrillList(key=key, label=measure.label,
                     headers=[(h, kind) for h, _, kind in rs.columns],
                     rows=[[r[f"c{i}"] for i in range(ncols)] for r in shown],
                     links=[r.get("link_id") for r in shown], total=len(rows))


def _cell(value: Any, kind: str, tz: str) -> Any:
    if value is None:
        return ""
    if kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "money":
        return round(int(value) / 100, 2)
    if kind == "number":
        return value
    return str(value)


def to_csv(data: DrillList, locale: str, tz: str) -> bytes:
    """UTF-8 with a BOM so spreadsheet programs read Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(h, locale) for h, _ in data.headers])
    for row in data.rows:
        writer.writerow([_cell(v, k, tz) for v, (_, k) in zip(row, data.headers, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(data: DrillList, locale: str, tz: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=data.key.replace(".", "-")[:31])
    ws.append([gettext(h, locale) for h, _ in data.headers])
    for row in data.rows:
        ws.append([_cell(v, k, tz) for v, (_, k) in zip(row, data.headers, strict=True)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
