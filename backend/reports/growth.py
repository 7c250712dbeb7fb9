"""Warranty and growth dashboards, and the wall screen's headline figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from backend import clock
from backend.db import Database
from backend.i18n import N_
from backend.reports import formulas as fx
from backend.reports.dashboards import Figure, _both, _d, _m, delivery, service, voice
from backend.reports.filters import ReportFilter
from backend.reports.measures import FUNNEL, FUNNEL_LABELS, MEASURES, SEGMENTS
from backend.reports.recordsets import RECORDSETS, base, counts, counts_by, spanning


async def _names(db: Database, sql: str) -> dict[Any, str]:
    return {r["id"]: r["name"] for r in await db.fetch(sql)}


async def with_warranty_months(db: Database, f: ReportFilter) -> ReportFilter:
    """``f`` knowing the warranty lengths in use (the "ending soon" condition needs them)."""
    rows = await db.fetch("SELECT DISTINCT warranty_months AS m FROM product_line "
                          "WHERE warranty_months > 0 ORDER BY warranty_months")
    return replace(f, warranty_months=tuple(int(r["m"]) for r in rows))


async def warranty(db: Database, actor: Any, f: ReportFilter) -> dict[str, Any]:
    f = await with_warranty_months(db, f)
    repairs = await counts_by(db, actor, f, "t.product_line_id, p.installer_lead_id",
                              _m("warranty.repairs"))
    repairs_pl: dict[Any, dict[str, int]] = {}
    repairs_crew: dict[Any, dict[str, int]] = {}
    for (line, crew), c in repairs.items():
        for acc, k in ((repairs_pl, line), (repairs_crew, crew)):
            slot = acc.setdefault(k, {"warranty.repairs": 0})
            slot["warranty.repairs"] += c["warranty.repairs"]
    delivered_pl = await counts_by(db, actor, f, "pp.product_line_id", _m("warranty.delivered"))
    delivered_crew = await counts_by(db, actor, f, "p.installer_lead_id",
                                     _m("service.delivered"))
    total_repairs = sum(c["warranty.repairs"] for c in repairs.values())
    total_delivered = sum(c["service.delivered"] for c in delivered_crew.values())
    lines = await _names(db, "SELECT id, name_en AS name FROM product_line")
    crews = await _names(db, "SELECT id, name FROM staff_user WHERE role = 'technician'")

    def table(repairs: dict, delivered: dict, names: dict, dkey: str, group: str) -> list:
        keys = sorted(set(repairs) | set(delivered), key=lambda k: names.get(k, "~"))
        return [{"id": k, "name": names.get(k, ""), "group": group,
                 "repairs": repairs.get(k, {}).get("warranty.repairs", 0),
                 "delivered": delivered.get(k, {}).get(dkey, 0),
                 "per_100": fx.per_100(repairs.get(k, {}).get("warranty.repairs", 0),
                                       delivered.get(k, {}).get(dkey, 0))} for k in keys]

    ending = (await counts(db, actor, f, _m("warranty.ending")))["warranty.ending"]
    figs = [Figure(N_("Repairs within warranty per 100 delivered projects"),
                   fx.per_100(total_repairs, total_delivered), None,
                   "num1", "warranty.repairs", invert=True),
            Figure(N_("Warranties ending in the next 90 days"), ending, None, "int",
                   "warranty.ending")]
    return {"figures": figs,
            "by_line": table(repairs_pl, delivered_pl, lines, "warranty.delivered",
                             "product_line"),
            "by_crew": table(repairs_crew, delivered_crew, crews, "service.delivered", "crew")}


async def growth(db: Database, actor: Any, f: ReportFilter) -> dict[str, Any]:
    c, cp, cycle = await _funnel(db, actor, f)
    steps, prev = [], c["growth.lead"]
    for code in ("lead", *FUNNEL):
        n = c[f"growth.{code}"]
        steps.append({"code": code, "label": FUNNEL_LABELS[code], "n": n,
                      "previous": cp[f"growth.{code}"], "drill": f"growth.{code}",
                      "step_rate": fx.rate(n, prev), "overall": fx.rate(n, c["growth.lead"]),
                      "cycle_days": cycle.get(code)})
        prev = n
    r, rp = await _both(db, actor, f, "growth.referred growth.referred_converted")
    figs = [Figure(MEASURES[k].label, r[k], rp[k], "int", k)
            for k in ("growth.referred", "growth.referred_converted")]
    figs.append(Figure(N_("Referral conversion"),
                       fx.rate(r["growth.referred_converted"], r["growth.referred"]),
                       fx.rate(rp["growth.referred_converted"], rp["growth.referred"]), "pct",
                       "growth.referred_converted"))
    return {"funnel": steps, "figures": figs}


async def segments(db: Database, actor: Any, f: ReportFilter) -> list[dict[str, Any]]:
    """Customer segments as of now (a scan of every customer in scope: loaded separately
    so the funnel does not wait for it)."""
    keys = ["growth.customers", "growth.addon", "growth.referrers",
            *[f"growth.segment_{s}" for s in SEGMENTS]]
    sums = [(f"v{i}", MEASURES[k].cond, "x.contract_value") for i, k in enumerate(keys)]
    seg = await counts(db, actor, f, _m(" ".join(keys)), sums=sums)
    out = []
    for i, k in enumerate(keys):
        avg = fx.mean(seg[f"v{i}"], seg[k])
        out.append({"fig": Figure(MEASURES[k].label, seg[k], None, "int", k),
                    "avg_value_fen": None if avg is None else round(avg)})
    return out


async def _funnel(db: Database, actor: Any, f: ReportFilter
                  ) -> tuple[dict[str, int], dict[str, int], dict[str, float | None]]:
    """The funnel for the period and the previous one, and the cycle times of the period,
    from one read of the leads and their completed stage milestones.

    Counts are those of the measures ``growth.<stage>`` (a lead counts once per stage it
    completed: the drill-down's EXISTS); cycle time is the mean days from the lead's local
    creation day to each completed stage milestone's ``actual_end``.
    """
    sql = base(actor, spanning(f), RECORDSETS["projects"])
    codes = ", ".join(f"'{c}'" for c in FUNNEL)
    if db.kind == "postgres":
        return await _funnel_in_sql(db, actor, f, sql, codes)
    rows = await db.fetch(
        "SELECT p.id AS id, p.created_at AS created, mf.code AS code, mf.actual_end AS done "
        f"FROM {RECORDSETS['projects'].source} LEFT JOIN milestone mf ON mf.project_id = p.id "
        f"AND mf.code IN ({codes}) AND mf.status = 'done' WHERE {sql.clause}", *sql.args)
    zone, split = f.start.tzinfo, f.start
    seen: tuple[dict[str, set], dict[str, set]] = ({}, {})
    acc: dict[str, list[int]] = {}
    for row in rows:
        is_now = row["created"] >= split
        part = seen[0 if is_now else 1]
        part.setdefault("lead", set()).add(row["id"])
        if row["code"] is None:
            continue
        part.setdefault(row["code"], set()).add(row["id"])
        if is_now and row["done"] is not None:
            days = (_d(row["done"]) - row["created"].astimezone(zone).date()).days
            pair = acc.setdefault(row["code"], [0, 0])
            pair[0] += max(0, days)
            pair[1] += 1
    now, before = ({f"growth.{code}": len(part.get(code, ())) for code in ("lead", *FUNNEL)}
                   for part in seen)
    return now, before, {code: fx.mean(total, n) for code, (total, n) in acc.items()}


async def _funnel_in_sql(db: Database, actor: Any, f: ReportFilter, sql: Any, codes: str
                         ) -> tuple[dict[str, int], dict[str, int], dict[str, float | None]]:
    """:func:`_funnel` with the counting done by PostgreSQL (a dozen rows come back instead
    of every lead's milestones): the same definitions, so every engine agrees."""
    now_start, tz = sql.arg(f.start), sql.arg(f.tz)
    rows = await db.fetch(
        f"SELECT CASE WHEN p.created_at >= {now_start} THEN 1 ELSE 0 END AS is_now, "
        "mf.code AS code, COUNT(DISTINCT p.id) AS n, COUNT(mf.actual_end) AS done, "
        "COALESCE(SUM(GREATEST(mf.actual_end - (p.created_at AT TIME ZONE "
        f"{tz})::date, 0)), 0) AS days FROM {RECORDSETS['projects'].source} "
        "JOIN milestone mf ON mf.project_id = p.id "
        f"AND mf.code IN ({codes}) AND mf.status = 'done' WHERE {sql.clause} GROUP BY 1, 2",
        *sql.args)
    leads, leads_before = await _both(db, actor, f, "growth.lead")
    now, before = {**leads}, {**leads_before}
    for part in (now, before):
        part.update({f"growth.{code}": 0 for code in FUNNEL})
    cycle: dict[str, float | None] = {}
    for row in rows:
        (now if row["is_now"] else before)[f"growth.{row['code']}"] = int(row["n"])
        if row["is_now"] and row["done"]:
            cycle[row["code"]] = fx.mean(int(row["days"]), int(row["done"]))
    return now, before, cycle


async def wall(db: Database, actor: Any, f: ReportFilter) -> list[Figure]:
    """The headline figures for the wall screen (same formulas as the dashboards)."""
    v, s, d = await voice(db, actor, f), await service(db, actor, f), await delivery(db, actor, f)
    due = sum(x["due"] for x in d["stages"])
    on_time = sum(x["on_time"] for x in d["stages"])
    return [v["figures"][0], v["figures"][1], s["figures"][0], s["figures"][4],
            s["figures"][6], Figure(N_("Open tickets"), s["backlog"][0].value, None, "int",
                                    "service.backlog"),
            Figure(N_("Milestones on time"), fx.rate(on_time, due), None, "pct",
                   "delivery.on_time")]


def ending_window(today: Any) -> tuple[Any, Any]:
    return today, today + timedelta(days=90)


__all__ = ["clock", "growth", "wall", "warranty"]
