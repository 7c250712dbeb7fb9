"""The five dashboards (customer voice, service, delivery, warranty, growth) and the wall.

Each function runs a constant, small number of statements over the filtered record sets and
returns plain data for the template: figures (value, previous value, the measure to drill
into), breakdowns, and chart series. Nothing is cached: every number is as of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from backend.db import Database
from backend.i18n import N_
from backend.reports import formulas as fx
from backend.reports.filters import ReportFilter
from backend.reports.measures import FUNNEL, FUNNEL_LABELS, MEASURES, SEGMENTS
from backend.reports.recordsets import (
    RECORDSETS,
    base,
    counts,
    counts_by,
    counts_pair,
    days_late,
    spanning,
)


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
    """The measures for the period and the previous one (one scan of both)."""
    return await counts_pair(db, actor, f, _m(keys), **kw)


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
    slices, trend_sums = _trend_slices(f)
    c, cp = await _both(db, actor, f, _VOICE, sums=_VOICE_SUMS, extra=trend_sums)
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
    trend = [{"label": sub.first_day.isoformat()[5:],
              "value": fx.Nps(c[f"p{i}"], c[f"n{i}"], c[f"d{i}"]).score,
              "n": c[f"p{i}"] + c[f"n{i}"] + c[f"d{i}"]} for i, sub in enumerate(slices)]
    return {"figures": figs, "counts": counts_, "trend": trend, "values": v}


def _trend_slices(f: ReportFilter, buckets: int = 6
                  ) -> tuple[list[ReportFilter], list[tuple[str, Any, str]]]:
    """NPS per slice of the period (equal slices of whole days): the slices and the
    promoter / passive / detractor totals to count for each."""
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

    sums: list[tuple[str, Any, str]] = []
    for i, sub in enumerate(slices):
        sums += [(f"p{i}", within(sub, "r.score >= 9"), "1"),
                 (f"n{i}", within(sub, "r.score >= 7 AND r.score <= 8"), "1"),
                 (f"d{i}", within(sub, "r.score <= 6"), "1")]
    return slices, sums


# --- service --------------------------------------------------------------------------------

_SERVICE = ("service.created service.responded service.resolved service.response_due "
            "service.response_met service.resolution_due service.resolution_met service.fcr "
            "service.reopened service.with_project")
_BACKLOG = ("service.backlog service.age_1d service.age_3d service.age_7d service.age_30d "
            "service.age_old")


Quantiles = dict[str, tuple[int | None, int | None]]  # measure -> (median, p90) in seconds


_DURATIONS = {"first_response": "first_response_bs", "resolution": "resolution_bs"}


async def durations(db: Database, actor: Any, f: ReportFilter) -> tuple[Quantiles, Quantiles]:
    """Median and p90 business seconds created -> first response and created -> resolved,
    for the period and the previous one, from the durations stored on each ticket
    (backend/reports/facts.py).

    PostgreSQL computes the nearest-rank percentiles itself (``percentile_disc`` is
    nearest-rank) in a statement of their own: ordered-set aggregates cannot be computed
    in parallel, so they would slow the counts down. Elsewhere the values are sorted here.
    """
    sql = base(actor, spanning(f), RECORDSETS["tickets"])
    now = f"t.created_at >= {sql.arg(f.start)}"
    source = RECORDSETS["tickets"].source
    periods = {"n": now, "p": f"NOT ({now})"}
    if db.kind == "postgres":
        # One group with FILTERs: a sort per aggregate, no sort of the rows by period.
        parts = [f"percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t.{col}) "
                 f"FILTER (WHERE {within}) AS {tag}_{name}"
                 for tag, within in periods.items() for name, col in _DURATIONS.items()]
        row = await db.fetchrow(f"SELECT {', '.join(parts)} FROM {source} WHERE {sql.clause}",
                                *sql.args)
        assert row is not None
        quantiles = {tag: {name: (None, None) if row[f"{tag}_{name}"] is None
                           else (row[f"{tag}_{name}"][0], row[f"{tag}_{name}"][1])
                           for name in _DURATIONS} for tag in periods}
        return quantiles["n"], quantiles["p"]
    cols = ", ".join(f"t.{col} AS {name}" for name, col in _DURATIONS.items())
    rows = await db.fetch(
        f"SELECT CASE WHEN {now} THEN 'n' ELSE 'p' END AS tag, {cols} FROM {source} "
        f"WHERE {sql.clause} AND (t.first_response_bs IS NOT NULL OR "
        "t.resolution_bs IS NOT NULL)", *sql.args)
    values: dict[str, dict[str, list[int]]] = {tag: {n: [] for n in _DURATIONS}
                                               for tag in periods}
    for row in rows:
        for name in _DURATIONS:
            if row[name] is not None:
                values[row["tag"]][name].append(int(row[name]))
    out: dict[str, Quantiles] = {}
    for tag, by_name in values.items():
        out[tag] = {}
        for name, seconds in by_name.items():
            ordered = sorted(seconds)
            out[tag][name] = (fx.median(ordered), fx.percentile(ordered, 90))  # type: ignore[assignment]
    return out["n"], out["p"]


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _service_values(c: dict[str, int], d: Quantiles, delivered: int) -> dict:
    return {
        "frt_median": _hours(d["first_response"][0]),
        "frt_p90": _hours(d["first_response"][1]),
        "res_median": _hours(d["resolution"][0]),
        "res_p90": _hours(d["resolution"][1]),
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
    now_d, prev_d = await durations(db, actor, f)
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
    late = days_late(db, "m.actual_end", "m.planned_end")
    per_stage = await counts_by(db, actor, f, "m.code",
                                _m("delivery.due delivery.on_time delivery.late"),
                                sums=[("delay_days", "m.actual_end IS NOT NULL", late),
                                      ("done", "m.actual_end IS NOT NULL", "1")])
    stages = []
    for code, c in sorted(per_stage.items(), key=lambda kv: _stage_order(kv[0])):
        stages.append({"code": code, "due": c["delivery.due"], "on_time": c["delivery.on_time"],
                       "late": c["delivery.late"],
                       "rate": fx.rate(c["delivery.on_time"], c["delivery.due"]),
                       "avg_delay": fx.mean(c["delay_days"], c["done"])})
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
