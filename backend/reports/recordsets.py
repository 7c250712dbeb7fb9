"""The record sets behind the dashboards and the figures counted on them.

Each :class:`RecordSet` is a FROM clause, the column its period applies to, where each filter
dimension lives, and the columns a drill-down lists. Each :class:`Measure` is a condition on
one record set. :func:`counts` sums several measures in one statement; :func:`drill` lists
the rows of one; both start from :func:`base`, so a number and its list cannot disagree.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from backend import clock
from backend.db import Database
from backend.i18n import N_
from backend.reports.filters import ReportFilter, Sql, apply

# The ticket statuses before resolution, spelled as the partial index report_ticket_open is
# (backend.tickets.services.ACTIVE_STATUSES), so the backlog reads that index alone.
OPEN = "t.status IN ('new', 'open', 'waiting', 'scheduled')"
PL_OF_PROJECT = ("EXISTS (SELECT 1 FROM project_product pp WHERE pp.project_id = p.id "
                 "AND pp.product_line_id = {pl})")


@dataclass(frozen=True)
class RecordSet:
    key: str
    source: str
    period: str | None  # column compared with the period; None: "as of now"
    period_is_date: bool = False
    region: str = "p.region_id"
    team: str = "p.team_id"
    project_type: str | None = "p.project_type"
    channel: str | None = None
    product_line: str | None = PL_OF_PROJECT
    fixed: str = "1 = 1"
    # (header msgid, SQL expression, kind) — kind: text | datetime | date | number | money
    columns: tuple[tuple[str, str, str], ...] = ()
    order: str = "1"
    link: str | None = None  # column with the record's id, for a link to it
    listing: str = ""  # joins only a drill-down's columns need (names), not the counts

    @property
    def listed(self) -> str:
        return f"{self.source} {self.listing}".strip()


Cond = str | Callable[[Sql, ReportFilter], str]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    recordset: str
    cond: Cond = "1 = 1"
    groups: dict[str, str] = field(default_factory=dict)  # drill parameter -> column


_TICKET_COLS = (
    (N_("Number"), "t.number", "text"), (N_("Created"), "t.created_at", "datetime"),
    (N_("Customer"), "c.name", "text"), (N_("Category"), "t.category", "text"),
    (N_("Channel"), "t.channel", "text"), (N_("Status"), "t.status", "text"),
    (N_("First response"), "t.first_responded_at", "datetime"),
    (N_("Resolved"), "t.resolved_at", "datetime"), (N_("Reopened"), "t.reopen_count", "number"),
)
_TICKET_DIMS = {"region": "t.region_id", "team": "t.team_id", "project_type": "p.project_type",
                    "channel": "t.channel", "product_line": "t.product_line_id = {pl}"}
_TICKETS_FROM = ("ticket t LEFT JOIN customer c ON c.id = t.customer_id "
                 "LEFT JOIN project p ON p.id = t.project_id")
_SURVEY_DIMS = {"region": "COALESCE(p.region_id, t.region_id)",
                    "team": "COALESCE(p.team_id, t.team_id)", "project_type": "p.project_type",
                    "channel": "t.channel"}
_SURVEY_FROM = ("survey s LEFT JOIN customer c ON c.id = s.customer_id "
                "LEFT JOIN project p ON p.id = s.project_id "
                "LEFT JOIN ticket t ON t.id = s.ticket_id")
_PROJECT_COLS = (
    (N_("Number"), "p.number", "text"), (N_("Project"), "p.title", "text"),
    (N_("Customer"), "c.name", "text"), (N_("Type"), "p.project_type", "text"),
    (N_("Stage"), "p.current_stage", "text"), (N_("Contract value"), "p.contract_amount_fen",
                                                "money"),
    (N_("Created"), "p.created_at", "datetime"), (N_("Accepted"), "p.accepted_on", "date"),
)

RECORDSETS: dict[str, RecordSet] = {rs.key: rs for rs in (
    RecordSet("responses", "survey_response r LEFT JOIN " + _SURVEY_FROM.replace(
        "survey s LEFT JOIN", "survey s ON s.id = r.survey_id LEFT JOIN"), "r.created_at",
        **_SURVEY_DIMS, product_line="t.product_line_id = {pl}",
        columns=((N_("Answered"), "r.created_at", "datetime"), (N_("Customer"), "c.name", "text"),
                 (N_("Survey"), "r.kind", "text"), (N_("Score"), "r.score", "number"),
                 (N_("Comment"), "r.comment", "text"), (N_("Project"), "p.number", "text"),
                 (N_("Ticket"), "t.number", "text")),
        order="r.created_at DESC, r.id"),
    RecordSet("surveys", _SURVEY_FROM, "s.sent_at", **_SURVEY_DIMS,
              product_line="t.product_line_id = {pl}",
              listing="LEFT JOIN survey_response r ON r.survey_id = s.id",
              columns=((N_("Sent"), "s.sent_at", "datetime"), (N_("Customer"), "c.name", "text"),
                       (N_("Survey"), "s.kind", "text"), (N_("Trigger"), "s.trigger", "text"),
                       (N_("Score"), "r.score", "number")),
              order="s.sent_at DESC, s.id"),
    RecordSet("tickets", _TICKETS_FROM, "t.created_at", **_TICKET_DIMS,
              fixed="t.merged_into_id IS NULL", columns=_TICKET_COLS,
              order="t.created_at DESC, t.id", link="t.id"),
    RecordSet("backlog", _TICKETS_FROM, None, **_TICKET_DIMS,
              fixed=f"t.merged_into_id IS NULL AND {OPEN}", columns=_TICKET_COLS,
              order="t.created_at, t.id", link="t.id"),
    RecordSet("milestones", "milestone m JOIN project p ON p.id = m.project_id "
              "LEFT JOIN customer c ON c.id = p.customer_id", "m.planned_end", period_is_date=True,
              columns=((N_("Project"), "p.number", "text"), (N_("Customer"), "c.name", "text"),
                       (N_("Stage"), "m.code", "text"), (N_("Status"), "m.status", "text"),
                       (N_("Planned end"), "m.planned_end", "date"),
                       (N_("Actual end"), "m.actual_end", "date"),
                       (N_("Delay reason"), "m.delay_reason", "text")),
              order="m.planned_end, p.number, m.position"),
    RecordSet("acceptances", "milestone m JOIN project p ON p.id = m.project_id "
              "LEFT JOIN customer c ON c.id = p.customer_id", "m.actual_end", period_is_date=True,
              fixed="m.code = 'acceptance' AND m.actual_end IS NOT NULL",
              columns=((N_("Project"), "p.number", "text"), (N_("Customer"), "c.name", "text"),
                       (N_("Accepted"), "m.actual_end", "date"),
                       (N_("Signed off"), "m.signed_off_at", "datetime")),
              order="m.actual_end, p.number"),
    RecordSet("defects", "ticket t JOIN milestone m ON m.id = t.milestone_id "
              "JOIN project p ON p.id = m.project_id LEFT JOIN customer c ON c.id = t.customer_id",
              "m.actual_end", period_is_date=True,
              fixed="m.code = 'acceptance' AND m.actual_end IS NOT NULL "
                    "AND t.merged_into_id IS NULL",
              columns=_TICKET_COLS, order="t.created_at, t.id", link="t.id"),
    RecordSet("photos", "media md JOIN project p ON p.id = md.project_id "
              "LEFT JOIN customer c ON c.id = p.customer_id", "md.created_at",
              fixed="md.kind = 'photo'",
              columns=((N_("Uploaded"), "md.created_at", "datetime"),
                       (N_("Project"), "p.number", "text"), (N_("Customer"), "c.name", "text"),
                       (N_("Caption"), "md.caption", "text")),
              order="md.created_at DESC, md.id"),
    RecordSet("projects", "project p LEFT JOIN customer c ON c.id = p.customer_id", "p.created_at",
              columns=_PROJECT_COLS, order="p.created_at, p.number"),
    RecordSet("active_projects", "project p LEFT JOIN customer c ON c.id = p.customer_id", None,
              fixed="p.status = 'active'", columns=_PROJECT_COLS, order="p.number"),
    RecordSet("delivered", "project p LEFT JOIN customer c ON c.id = p.customer_id", None,
              fixed="p.accepted_on IS NOT NULL", columns=_PROJECT_COLS, order="p.number"),
    RecordSet("warranties", "project_product pp JOIN project p ON p.id = pp.project_id "
              "JOIN product_line pl ON pl.id = pp.product_line_id "
              "LEFT JOIN customer c ON c.id = p.customer_id", None,
              product_line="pp.product_line_id = {pl}", fixed="p.accepted_on IS NOT NULL",
              columns=((N_("Project"), "p.number", "text"), (N_("Customer"), "c.name", "text"),
                       (N_("Product line"), "pl.name_en", "text"),
                       (N_("Accepted"), "p.accepted_on", "date"),
                       (N_("Warranty months"), "pl.warranty_months", "number")),
              order="p.accepted_on, p.number"),
    RecordSet("referred", "customer c JOIN customer rc ON rc.id = c.referrer_id",
              "c.created_at", region="c.referrer_id", team="c.referrer_id", project_type=None,
              product_line=None,
              columns=((N_("Customer"), "c.name", "text"), (N_("Referred by"), "rc.name", "text"),
                       (N_("Created"), "c.created_at", "datetime")),
              order="c.created_at, c.id"),
)}


_NAMES = re.compile(r" LEFT JOIN customer c ON c\.id = \w+\.customer_id")


def _names_for_listing_only(rs: RecordSet) -> RecordSet:
    """Move the customer-name join out of the counted source: it never changes a count (a
    left join on a key), but PostgreSQL keeps the joined column "needed" even after removing
    the join, which rules out index-only scans of the period indexes."""
    found = _NAMES.search(rs.source)
    if not found:
        return rs
    return replace(rs, source=rs.source.replace(found.group(0), "", 1),
                   listing=f"{found.group(0).strip()} {rs.listing}".strip())


RECORDSETS.update({k: _names_for_listing_only(v) for k, v in RECORDSETS.items()})


def _period(sql: Sql, rs: RecordSet, f: ReportFilter) -> None:
    if rs.period is None:
        return
    if rs.period_is_date:
        sql.where(f"{rs.period} >= {sql.arg(f.first_day)} AND {rs.period} <= "
                  f"{sql.arg(f.last_day)}")
    else:
        sql.where(f"{rs.period} >= {sql.arg(f.start)} AND {rs.period} < {sql.arg(f.end)}")


def spanning(f: ReportFilter) -> ReportFilter:
    """One filter covering the previous period and this one (for one scan of both)."""
    return replace(f, period="custom", first_day=f.previous().first_day)


def base(actor: Any, f: ReportFilter, rs: RecordSet) -> Sql:
    """The record set narrowed by period, filters and the reader's scope."""
    sql = Sql()
    sql.where(rs.fixed)
    _period(sql, rs, f)
    if rs.key in ("referred", "customers"):
        # Customers belong to the region/team of their projects (referrals: the referrer's).
        inner = Sql()
        apply(inner, actor, f, region="p.region_id", team="p.team_id",
              project_type="p.project_type", product_line=PL_OF_PROJECT)
        sql.where(_exists_project("rc.id" if rs.key == "referred" else "x.id", sql, inner))
    else:
        apply(sql, actor, f, region=rs.region, team=rs.team, project_type=rs.project_type,
              channel=rs.channel, product_line=rs.product_line)
    return sql


def _exists_project(customer_col: str, outer: Sql, inner: Sql) -> str:
    clause = inner.clause
    for index in range(len(inner.args), 0, -1):
        clause = clause.replace(f"${index}", f"$__{index}")
    for index, value in enumerate(inner.args, start=1):
        clause = clause.replace(f"$__{index}", outer.arg(value))
    return f"EXISTS (SELECT 1 FROM project p WHERE p.customer_id = {customer_col} AND {clause})"


def cond_of(measure: Measure, sql: Sql, f: ReportFilter) -> str:
    return measure.cond(sql, f) if callable(measure.cond) else measure.cond


async def counts(db: Database, actor: Any, f: ReportFilter, measures: Sequence[Measure],
                 *, sums: Sequence[tuple[str, Cond, str]] = ()) -> dict[str, int]:
    """Count every measure (same record set) in one statement; ``sums`` are extra
    (name, condition, expression) totals such as the sum of CSAT scores."""
    rs = _one_recordset(measures)
    sql = base(actor, f, rs)
    parts = [f"COALESCE(SUM(CASE WHEN {cond_of(m, sql, f)} THEN 1 ELSE 0 END), 0) AS "
             f"{_alias(m.key)}" for m in measures]
    parts += [f"COALESCE(SUM(CASE WHEN {cond(sql, f) if callable(cond) else cond} THEN {expr} "
              f"ELSE 0 END), 0) AS {name}" for name, cond, expr in sums]
    row = await db.fetchrow(f"SELECT {', '.join(parts)} FROM {rs.source} WHERE {sql.clause}",
                            *sql.args)
    assert row is not None
    out = {m.key: int(row[_alias(m.key)]) for m in measures}
    out.update({name: int(row[name]) for name, _, _ in sums})
    return out


async def counts_by(db: Database, actor: Any, f: ReportFilter, group: str,
                    measures: Sequence[Measure], *, sums: Sequence[tuple[str, Cond, str]] = ()
                    ) -> dict[Any, dict[str, int]]:
    """Like :func:`counts`, per value of the ``group`` expression (or, for a
    comma-separated list of expressions, per tuple of their values)."""
    rs = _one_recordset(measures)
    sql = base(actor, f, rs)
    parts = [f"COALESCE(SUM(CASE WHEN {cond_of(m, sql, f)} THEN 1 ELSE 0 END), 0) AS "
             f"{_alias(m.key)}" for m in measures]
    parts += [f"COALESCE(SUM(CASE WHEN {_cond(cond, sql, f)} THEN {expr} ELSE 0 END), 0) AS "
              f"{name}" for name, cond, expr in sums]
    exprs = [g.strip() for g in group.split(",")]
    keys = ", ".join(f"{e} AS g{i}" for i, e in enumerate(exprs))
    rows = await db.fetch(f"SELECT {keys}, {', '.join(parts)} FROM {rs.source} "
                          f"WHERE {sql.clause} GROUP BY {group}", *sql.args)

    def key(r: dict[str, Any]) -> Any:
        return r["g0"] if len(exprs) == 1 else tuple(r[f"g{i}"] for i in range(len(exprs)))

    return {key(r): {**{m.key: int(r[_alias(m.key)]) for m in measures},
                     **{name: int(r[name]) for name, _, _ in sums}} for r in rows}


def days_late(db: Database, actual: str, planned: str) -> str:
    """Whole days ``actual`` is after ``planned`` (two DATE columns), 0 when not late."""
    if db.kind == "sqlite":  # dates are ISO text there
        return f"MAX(CAST(julianday({actual}) - julianday({planned}) AS INTEGER), 0)"
    return f"GREATEST({actual} - {planned}, 0)"


async def counts_pair(db: Database, actor: Any, f: ReportFilter, measures: Sequence[Measure],
                      *, sums: Sequence[tuple[str, Cond, str]] = (),
                      extra: Sequence[tuple[str, Cond, str]] = ()
                      ) -> tuple[dict[str, int], dict[str, int]]:
    """:func:`counts` for the period and the previous one in one scan of both (grouped by
    which period a row is in); ``extra`` totals are taken over both periods (their
    conditions carry their own bounds)."""
    rs = _one_recordset(measures)
    if rs.period is None:
        now = await counts(db, actor, f, measures, sums=[*sums, *extra])
        return now, now
    sql = base(actor, spanning(f), rs)
    parts = [f"COALESCE(SUM(CASE WHEN {cond_of(m, sql, f)} THEN 1 ELSE 0 END), 0) AS "
             f"{_alias(m.key)}" for m in measures]
    parts += [f"COALESCE(SUM(CASE WHEN {_cond(cond, sql, f)} THEN {expr} ELSE 0 END), 0) AS "
              f"{name}" for name, cond, expr in [*sums, *extra]]
    start = sql.arg(f.first_day if rs.period_is_date else f.start)
    rows = await db.fetch(
        f"SELECT CASE WHEN {rs.period} >= {start} THEN 1 ELSE 0 END AS is_now, "
        f"{', '.join(parts)} FROM {rs.source} WHERE {sql.clause} GROUP BY 1", *sql.args)
    out: tuple[dict[str, int], dict[str, int]] = ({}, {})
    for part in out:
        part.update({m.key: 0 for m in measures})
        part.update({name: 0 for name, _, _ in sums})
    out[0].update({name: 0 for name, _, _ in extra})
    for row in rows:
        target = out[0] if int(row["is_now"]) else out[1]
        target.update({m.key: int(row[_alias(m.key)]) for m in measures})
        target.update({name: int(row[name]) for name, _, _ in sums})
        for name, _, _ in extra:
            out[0][name] += int(row[name])
    return out


def _cond(cond: Cond, sql: Sql, f: ReportFilter) -> str:
    return cond(sql, f) if callable(cond) else cond


def _one_recordset(measures: Sequence[Measure]) -> RecordSet:
    """Measures counted together must share their record set."""
    names = {m.recordset for m in measures}
    if len(names) != 1:
        raise ValueError(f"measures from several record sets: {sorted(names)}")
    return RECORDSETS[names.pop()]


def _alias(key: str) -> str:
    return "m_" + key.replace(".", "_")


def drill_sql(actor: Any, f: ReportFilter, measure: Measure,
              group_values: dict[str, str]) -> tuple[RecordSet, str, list[Any]]:
    rs = RECORDSETS[measure.recordset]
    sql = base(actor, f, rs)
    sql.where(cond_of(measure, sql, f))
    for name, column in measure.groups.items():
        if name in group_values:
            value: Any = group_values[name]
            with contextlib.suppress(ValueError):
                value = uuid.UUID(value)
            sql.where(f"{column} IS NULL" if value == "" else f"{column} = {sql.arg(value)}")
    cols = ", ".join(f"{expr} AS c{i}" for i, (_, expr, _) in enumerate(rs.columns))
    link = f", {rs.link} AS link_id" if rs.link else ""
    text = f"SELECT {cols}{link} FROM {rs.listed} WHERE {sql.clause} ORDER BY {rs.order}"
    return rs, text, sql.args


def days_ago(days: int) -> Any:
    return clock.now() - timedelta(days=days)


# One row per customer from the facts kept on ``customer`` (backend/reports/facts.py), the
# same names the segment conditions use.
_SEGMENT_SOURCE = (
    "(SELECT c.id, c.name, c.created_at, c.latest_nps, c.last_touch_at AS last_touch, "
    "c.project_count AS projects, c.contract_value_fen AS contract_value, "
    "c.referral_count AS referrals FROM customer c WHERE c.merged_into_id IS NULL) x"
)
RECORDSETS["customers"] = RecordSet(
    "customers", _SEGMENT_SOURCE, None, project_type=None,
    columns=((N_("Customer"), "x.name", "text"), (N_("Latest NPS"), "x.latest_nps", "number"),
             (N_("Last touch"), "x.last_touch", "datetime"),
             (N_("Projects"), "x.projects", "number"),
             (N_("Contract value"), "x.contract_value", "money"),
             (N_("Referrals"), "x.referrals", "number")),
    order="x.name, x.id", link=None)
