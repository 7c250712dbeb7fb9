"""The five dashboards (customer voice, service, delivery, warranty, growth) and the wall.

Each function runs a constant, small number of statements over the filtered record sets and
returns plain data for the template: figures (value, previous value, the measure to drill
into), breakdowns, and chart series. Nothing is cached: every number is as of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from backend import clock
from backend.db import Database
from backend.i18n import N_
from backend.reports import formulas as fx
from backend.reports.filters import ReportFilter
from backend.reports.measures import FUNNEL, FUNNEL_LABELS, MEASURES, SEGMENTS
from backend.reports.recordsets import RECORDSETS, base, counts, counts_by
from backend.tickets.calendar_data import BusinessCalendar


@dataclass
class Figure:
    label: str
    value: float | None
    previous: float | None = None
    fmt: str = "int"  # int | pct | num1 | hours | score
    drill: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    invert: bool = False  # lower is better (durations, reopen rate)

    @property
    def delta(self) -> float | None:
        return fx.change(self.value, self.previous)


def _m(keys: str) -> list[Any]:
    return [MEASURES[k] for k in keys.split()]


async def _both(db: Database, actor: Any, f: ReportFilter, keys: str,
                **kw: Any) -> tuple[dict[str, int], dict[str, int]]:
    now = await counts(db, actor, f, _m(keys), **kw)
    before = await counts(db, actor, f.previous(), _m(keys), **kw)
    return now, before


# --- customer voice -------------------------------------------------------------------------

_VOICE = ("voice.nps_responses voice.promoters voice.passives voice.detractors "
          "voice.csat_responses voice.csat_satisfied voice.ces_responses voice.ces_easy "
          "voice.resurveyed voice.recovered")
_VOICE_SUMS = (("csat_sum", "r.kind = 'csat'", "r.score"), ("ces_sum", "r.kind = 'ces'", "r.score"))


def _voice_values(c: dict[str, int], s: dict[str, int]) -> dict[str, float | None]:
    score = fx.Nps(c["voice.promoters"], c["voice.passives"], c["voice.detractors"]).score
    return {
        "nps": score,
        "csat": fx.mean(c["csat_sum"], c["voice.csat_responses"]),
        "csat_pct": fx.rate(c["voice.csat_satisfied"], c["voice.csat_responses"]),
        "ces": fx.mean(c["ces_sum"], c["voice.ces_responses"]),
        "response_rate": fx.rate(s["voice.answered"], s["voice.sent"]),
        "closed_loop": fx.rate(c["voice.recovered"], c["voice.detractors"]),
    }


async def voice(db: Database, actor: Any, f: ReportFilter) -> dict[str, Any]:
    c, cp = await _both(db, actor, f, _VOICE, sums=_VOICE_SUMS)
    s, sp = await _both(db, actor, f, "voice.sent voice.answered")
    v, vp = _voice_values(c, s), _voice_values(cp, sp)
    figs = [
        Figure(N_("NPS"), v["nps"], vp["nps"], "score", "voice.nps_responses"),
        Figure(N_("CSAT (1-5)"), v["csat"], vp["csat"], "num1", "voice.csat_responses"),
        Figure(N_("CSAT satisfied"), v["csat_pct"], vp["csat_pct"], "pct", "voice.csat_satisfied"),
        Figure(N_("CES (1-7)"), v["ces"], vp["ces"], "num1", "voice.ces_responses", invert=True),
        Figure(N_("Response rate"), v["response_rate"], vp["response_rate"], "pct",
               "voice.answered"),
        Figure(N_("Detractors recovered"), v["closed_loop"], vp["closed_loop"], "pct",
               "voice.recovered"),
    ]
    counts_ = [Figure(MEASURES[k].label, c[k], cp[k], "int", k) for k in (
        "voice.promoters", "voice.passives", "voice.detractors", "voice.resurveyed",
        "voice.recovered")] + [Figure(MEASURES[k].label, s[k], sp[k], "int", k)
                              for k in ("voice.sent", "voice.answered")]
    trend = await _trend(db, actor, f)
    return {"figures": figs, "counts": counts_, "trend": trend, "values": v}


async def _trend(db: Database, actor: Any, f: ReportFilter, buckets: int = 6) -> list[dict]:
    """NPS per slice of the period (equal slices of whole days), in one statement."""
    days = max(1, f.days // buckets)
    slices = []
    for i in range(buckets):
        first = f.first_day + timedelta(days=i * days)
        last = f.last_day if i == buckets - 1 else first + timedelta(days=days - 1)
        if first > f.last_day:
            break
        slices.append(replace(f, period="custom", first_day=first, last_day=last))

    def within(sub: ReportFilter, extra: str) -> Any:
        return lambda sql, _f: (f"r.created_at >= {sql.arg(sub.start)} AND r.created_at < "
                                f"{sql.arg(sub.end)} AND r.kind = 'nps' AND {extra}")

    sums = []
    for i, sub in enumerate(slices):
        sums += [(f"p{i}", within(sub, "r.score >= 9"), "1"),
                 (f"n{i}", within(sub, "r.score >= 7 AND r.score <= 8"), "1"),
                 (f"d{i}", within(sub, "r.score <= 6"), "1")]
    c = await counts(db, actor, f, _m("voice.nps_responses"), sums=sums)
    return [{"label": sub.first_day.isoformat()[5:],
             "value": fx.Nps(c[f"p{i}"], c[f"n{i}"], c[f"d{i}"]).score,
             "n": c[f"p{i}"] + c[f"n{i}"] + c[f"d{i}"]} for i, sub in enumerate(slices)]


# --- service --------------------------------------------------------------------------------

_SERVICE = ("service.created service.responded service.resolved service.response_due "
            "service.response_met service.resolution_due service.resolution_met service.fcr "
            "service.reopened service.with_project")
_BACKLOG = ("service.backlog service.age_1d service.age_3d service.age_7d service.age_30d "
            "service.age_old")


async def business_calendar(db: Database) -> BusinessCalendar:
    """The company's default calendar (as the desk edits it), else China's statutory one."""
    import json

    row = await db.fetchrow("SELECT data FROM business_calendar WHERE is_default = TRUE "
                            "ORDER BY name LIMIT 1")
    if row and row["data"] and row["data"] != "{}":
        return BusinessCalendar.from_dict(json.loads(row["data"]))
    return BusinessCalendar.china_default((2026, 2027))


async def durations(db: Database, actor: Any, f: ReportFilter, cal: BusinessCalendar
                    ) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Sorted business seconds created → first response and created → resolved, for the
    period and the previous one (one statement over both)."""
    prev = f.previous()
    both = replace(f, period="custom", first_day=prev.first_day)
    sql = base(actor, both, RECORDSETS["tickets"])
    rows = await db.fetch(
        "SELECT t.created_at AS c, t.first_responded_at AS r, t.resolved_at AS s FROM "
        f"{RECORDSETS['tickets'].source} WHERE {sql.clause} AND "
        "(t.first_responded_at IS NOT NULL OR t.resolved_at IS NOT NULL)", *sql.args)
    bc = fx.BusinessClock(cal, prev.first_day - timedelta(days=2),
                          max(f.last_day, clock.now().date()) + timedelta(days=2))
    at, split = bc.at, f.start
    out: tuple[dict[str, list[int]], dict[str, list[int]]] = (
        {"first_response": [], "resolution": []}, {"first_response": [], "resolution": []})
    for row in rows:
        target = out[0] if row["c"] >= split else out[1]
        origin = at(row["c"])
        if row["r"] is not None:
            target["first_response"].append(max(0, at(row["r"]) - origin))
        if row["s"] is not None:
            target["resolution"].append(max(0, at(row["s"]) - origin))
    for part in out:
        for values in part.values():
            values.sort()
    return out


def _service_values(c: dict[str, int], d: dict[str, list[int]], delivered: int) -> dict:
    hours = {k: [x / 3600 for x in v] for k, v in d.items()}
    return {
        "frt_median": fx.median(hours["first_response"]),
        "frt_p90": fx.percentile(hours["first_response"], 90),
        "res_median": fx.median(hours["resolution"]),
        "res_p90": fx.percentile(hours["resolution"], 90),
        "sla_response": fx.rate(c["service.response_met"], c["service.response_due"]),
        "sla_resolution": fx.rate(c["service.resolution_met"], c["service.resolution_due"]),
        "fcr": fx.rate(c["service.fcr"], c["service.resolved"]),
        "reopen": fx.rate(c["service.reopened"], c["service.resolved"]),
        "per_100": fx.per_100(c["service.with_project"], delivered),
    }


async def service(db: Database, actor: Any, f: ReportFilter) -> dict[str, Any]:
    c, cp = await _both(db, actor, f, _SERVICE)
    backlog = await counts(db, actor, f, _m(_BACKLOG))
    delivered = (await counts(db, actor, f, _m("service.delivered")))["service.delivered"]
    now_d, prev_d = await durations(db, actor, f, await business_calendar(db))
    v = _service_values(c, now_d, delivered)
    vp = _service_values(cp, prev_d, delivered)
    figs = [
        Figure(N_("First response, median (business h)"), v["frt_median"], vp["frt_median"],
               "hours", "service.responded", invert=True),
        Figure(N_("First response, p90 (business h)"), v["frt_p90"], vp["frt_p90"], "hours",
               "service.responded", invert=True),
        Figure(N_("Resolution, median (business h)"), v["res_median"], vp["res_median"], "hours",
               "service.resolved", invert=True),
        Figure(N_("Resolution, p90 (business h)"), v["res_p90"], vp["res_p90"], "hours",
               "service.resolved", invert=True),
        Figure(N_("Response SLA met"), v["sla_response"], vp["sla_response"], "pct",
               "service.response_met"),
        Figure(N_("Resolution SLA met"), v["sla_resolution"], vp["sla_resolution"], "pct",
               "service.resolution_met"),
        Figure(N_("First-contact resolution"), v["fcr"], vp["fcr"], "pct", "service.fcr"),
        Figure(N_("Reopen rate"), v["reopen"], vp["reopen"], "pct", "service.reopened",
               invert=True),
        Figure(N_("Tickets per 100 delivered projects"), v["per_100"], vp["per_100"], "num1",
               "service.with_project", invert=True),
    ]
    counts_ = [Figure(MEASURES[k].label, c[k], cp[k], "int", k) for k in _SERVICE.split()]
    counts_.append(Figure(MEASURES["service.delivered"].label, delivered, None, "int",
                          "service.delivered"))
    ages = [Figure(MEASURES[k].label, backlog[k], None, "int", k) for k in _BACKLOG.split()]
    return {"figures": figs, "counts": counts_, "backlog": ages, "values": v}


# --- delivery -------------------------------------------------------------------------------

async def delivery(db: Database, actor: Any, f: ReportFilter) -> dict[str, Any]:
    per_stage = await counts_by(db, actor, f, "m.code",
                                _m("delivery.due delivery.on_time delivery.late"))
    sql = base(actor, f, RECORDSETS["milestones"])
    rows = await db.fetch(
        "SELECT m.code AS code, m.planned_end AS planned, m.actual_end AS actual, "
        f"COUNT(*) AS n FROM {RECORDSETS['milestones'].source} WHERE {sql.clause} "
        "AND m.actual_end IS NOT NULL GROUP BY m.code, m.planned_end, m.actual_end", *sql.args)
    delay: dict[str, list[int]] = {}
    for r in rows:
        late = max(0, (_d(r["actual"]) - _d(r["planned"])).days)
        acc = delay.setdefault(r["code"], [0, 0])
        acc[0] += late * r["n"]
        acc[1] += r["n"]
    stages = []
    for code, c in sorted(per_stage.items(), key=lambda kv: _stage_order(kv[0])):
        total, n = delay.get(code, [0, 0])
        stages.append({"code": code, "due": c["delivery.due"], "on_time": c["delivery.on_time"],
                       "late": c["delivery.late"],
                       "rate": fx.rate(c["delivery.on_time"], c["delivery.due"]),
                       "avg_delay": fx.mean(total, n)})
    acc = await counts(db, actor, f, _m("delivery.acceptances delivery.participated"))
    defects = (await counts(db, actor, f, _m("delivery.defects")))["delivery.defects"]
    photos = (await counts(db, actor, f, _m("delivery.photos")))["delivery.photos"]
    active = (await counts(db, actor, f, _m("delivery.active")))["delivery.active"]
    weeks = f.days / 7
    figs = [
        Figure(N_("Acceptance defects per project"), fx.mean(defects, acc["delivery.acceptances"]),
               None, "num1", "delivery.defects", invert=True),
        Figure(N_("Customer participation at acceptance"),
               fx.rate(acc["delivery.participated"], acc["delivery.acceptances"]), None, "pct",
               "delivery.participated"),
        Figure(N_("Photo-log updates per active project per week"),
               fx.mean(photos / weeks, active) if weeks else None, None, "num1",
               "delivery.photos"),
    ]
    counts_ = [Figure(MEASURES["delivery.acceptances"].label, acc["delivery.acceptances"],
                      None, "int", "delivery.acceptances"),
               Figure(MEASURES["delivery.participated"].label, acc["delivery.participated"],
                      None, "int", "delivery.participated"),
               Figure(MEASURES["delivery.defects"].label, defects, None, "int",
                      "delivery.defects"),
               Figure(MEASURES["delivery.photos"].label, photos, None, "int", "delivery.photos"),
               Figure(MEASURES["delivery.active"].label, active, None, "int", "delivery.active")]
    return {"figures": figs, "counts": counts_, "stages": stages}


def _d(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


_ORDER = ("measure", "design", "contract", "production", "delivery", "install", "acceptance",
          "warranty")


def _stage_order(code: str) -> tuple[int, str]:
    return (_ORDER.index(code) if code in _ORDER else len(_ORDER), code)


__all__ = ["FUNNEL", "FUNNEL_LABELS", "SEGMENTS", "Figure", "delivery", "service", "voice"]
