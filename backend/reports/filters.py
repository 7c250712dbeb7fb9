"""Dashboard filters, the reader's scope, and a small SQL builder shared by every report.

A report is a set of records (tickets, survey answers, milestones, ...) narrowed by the
period, the filters and the reader's scope; each figure is a condition on that set. Counts
and drill-down lists are built from the same conditions, so a list always holds exactly the
rows its number counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend import clock
from backend.access import Actor, require

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "30d"
CHANNELS = ("portal", "phone", "wechat", "email", "field", "api")
PROJECT_TYPES = ("full_renovation", "kitchen", "wardrobe", "custom_furniture", "partial")


class Sql:
    """Collects ``$n`` arguments and AND-ed conditions for one statement."""

    def __init__(self) -> None:
        self.args: list[Any] = []
        self.conds: list[str] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, cond: str) -> None:
        self.conds.append(cond)

    def scoped(self, scope: tuple[str, list[object]]) -> str:
        """Renumber a ``scope_*``-style (condition, args) pair started at $1."""
        cond, args = scope
        for index in range(len(args), 0, -1):
            cond = cond.replace(f"${index}", f"$__{index}")
        for index, value in enumerate(args, start=1):
            cond = cond.replace(f"$__{index}", self.arg(value))
        return cond

    @property
    def clause(self) -> str:
        return " AND ".join(self.conds) if self.conds else "1 = 1"


@dataclass(frozen=True)
class ReportFilter:
    """What the reader asked for. ``start``/``end`` are UTC instants ([start, end)), the
    local days ``first_day``..``last_day`` in the reader's zone."""

    period: str
    first_day: date
    last_day: date
    tz: str
    region_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    product_line_id: uuid.UUID | None = None
    project_type: str | None = None
    channel: str | None = None
    today: date | None = None
    warranty_months: tuple[int, ...] = ()  # lengths in use, for "warranties ending soon"

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(0),
                                tzinfo=ZoneInfo(self.tz))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> ReportFilter:
        """The period of the same length just before this one."""
        return replace(self, first_day=self.first_day - timedelta(days=self.days),
                       last_day=self.first_day - timedelta(days=1))

    def query(self, **extra: Any) -> dict[str, str]:
        """This filter as query parameters (for drill-down and export links)."""
        q: dict[str, str] = {"period": self.period}
        if self.period == "custom":
            q["from"], q["to"] = self.first_day.isoformat(), self.last_day.isoformat()
        for key in ("region_id", "team_id", "product_line_id", "project_type", "channel"):
            value = getattr(self, key)
            if value:
                q[key] = str(value)
        q.update({k: str(v) for k, v in extra.items() if v is not None})
        return q


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def parse_filter(params: Mapping[str, str], actor: Actor, *,
                 today: date | None = None) -> ReportFilter:
    """Read the filter from query parameters; unknown or malformed values fall back to the
    defaults (a report link must never fail because of a stale bookmark)."""
    tz = actor.timezone or "Asia/Shanghai"
    today = today or clock.now().astimezone(ZoneInfo(tz)).date()
    period = params.get("period") or DEFAULT_PERIOD
    first, last = _date(params.get("from")), _date(params.get("to"))
    if period == "custom" and first and last and first <= last:
        pass
    else:
        period = period if period in PERIODS else DEFAULT_PERIOD
        last = today
        first = today - timedelta(days=PERIODS[period] - 1)
    project_type = params.get("project_type")
    channel = params.get("channel")
    return ReportFilter(
        period=period, first_day=first, last_day=last, tz=tz,
        region_id=_uuid(params.get("region_id")), team_id=_uuid(params.get("team_id")),
        product_line_id=_uuid(params.get("product_line_id")),
        project_type=project_type if project_type in PROJECT_TYPES else None,
        channel=channel if channel in CHANNELS else None, today=today,
    )


def reader_scope(actor: Actor, team_col: str, region_col: str) -> tuple[str, list[object]]:
    """The reader's limit as a condition: everything with ``reports.all_teams``, otherwise
    their team's records (or their region's when they have no team); nothing without
    either. Raises NotAllowed without ``reports.view``."""
    require(actor, "reports.view")
    if actor.can("reports.all_teams"):
        return "1 = 1", []
    if actor.team_id is not None:
        return f"{team_col} = $1", [actor.team_id]
    if actor.region_id is not None:
        return f"{region_col} = $1", [actor.region_id]
    return "1 = 0", []


def apply(sql: Sql, actor: Actor, f: ReportFilter, *, region: str, team: str,
          project_type: str | None = None, channel: str | None = None,
          product_line: str | None = None) -> None:
    """Add the reader's scope and the dimension filters to ``sql``.

    Column expressions name where each dimension lives in the record set; a dimension a
    record set does not have (channel of a milestone) is passed as None and ignored.
    ``product_line`` is a condition template with ``{pl}`` for the argument.
    """
    sql.where(sql.scoped(reader_scope(actor, team, region)))
    if f.region_id:
        sql.where(f"{region} = {sql.arg(f.region_id)}")
    if f.team_id:
        sql.where(f"{team} = {sql.arg(f.team_id)}")
    if f.project_type and project_type:
        sql.where(f"{project_type} = {sql.arg(f.project_type)}")
    if f.channel and channel:
        sql.where(f"{channel} = {sql.arg(f.channel)}")
    if f.product_line_id and product_line:
        sql.where(product_line.format(pl=sql.arg(f.product_line_id)))
