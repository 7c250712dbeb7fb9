"""Every figure a dashboard shows that can be drilled into: key -> condition on a record set.

Formulas are in ``docs/metrics.md``; the keys appear in drill-down URLs.
"""

from __future__ import annotations

from datetime import date, timedelta

from backend import clock
from backend.i18n import N_
from backend.projects.warranty import add_months
from backend.reports.filters import ReportFilter, Sql
from backend.reports.recordsets import OPEN, Measure

_LATER_NPS = ("EXISTS (SELECT 1 FROM survey_response r2 WHERE r2.customer_id = r.customer_id "
              "AND r2.kind = 'nps' AND r2.created_at > r.created_at{extra})")


def _age(lo_days: int | None, hi_days: int | None) -> object:
    """Backlog tickets created between ``hi_days`` and ``lo_days`` ago."""
    def cond(sql: Sql, f: ReportFilter) -> str:
        from backend.reports.recordsets import days_ago
        parts = []
        if lo_days is not None:
            parts.append(f"t.created_at <= {sql.arg(days_ago(lo_days))}")
        if hi_days is not None:
            parts.append(f"t.created_at > {sql.arg(days_ago(hi_days))}")
        return " AND ".join(parts) or "1 = 1"
    return cond


_RESOLVED = "t.resolved_at IS NOT NULL"
# visit_count is the ticket's number of work orders, kept by the services (reports/facts.py).
_FCR = f"{_RESOLVED} AND t.reopen_count = 0 AND t.visit_count <= 1"
_WARRANTY_REPAIR = "t.category = 'repair' AND t.warranty_status = 'in_warranty'"

_ALL = [
    # customer voice
    Measure("voice.nps_responses", N_("NPS answers"), "responses", "r.kind = 'nps'"),
    Measure("voice.promoters", N_("Promoters"), "responses", "r.kind = 'nps' AND r.score >= 9"),
    Measure("voice.passives", N_("Passives"), "responses",
            "r.kind = 'nps' AND r.score >= 7 AND r.score <= 8"),
    Measure("voice.detractors", N_("Detractors"), "responses", "r.kind = 'nps' AND r.score <= 6"),
    Measure("voice.csat_responses", N_("CSAT answers"), "responses", "r.kind = 'csat'"),
    Measure("voice.csat_satisfied", N_("Satisfied (4-5)"), "responses",
            "r.kind = 'csat' AND r.score >= 4"),
    Measure("voice.ces_responses", N_("CES answers"), "responses", "r.kind = 'ces'"),
    Measure("voice.ces_easy", N_("Easy (1-2)"), "responses", "r.kind = 'ces' AND r.score <= 2"),
    Measure("voice.resurveyed", N_("Detractors re-surveyed"), "responses",
            "r.kind = 'nps' AND r.score <= 6 AND " + _LATER_NPS.format(extra="")),
    Measure("voice.recovered", N_("Detractors recovered"), "responses",
            "r.kind = 'nps' AND r.score <= 6 AND " + _LATER_NPS.format(
                extra=" AND r2.score >= 7")),
    Measure("voice.sent", N_("Surveys sent"), "surveys"),
    # A survey's used_at is stamped in the transaction that stores its one answer.
    Measure("voice.answered", N_("Surveys answered"), "surveys", "s.used_at IS NOT NULL"),
    # service
    Measure("service.created", N_("Tickets created"), "tickets"),
    Measure("service.responded", N_("Responded"), "tickets", "t.first_responded_at IS NOT NULL"),
    Measure("service.resolved", N_("Resolved"), "tickets", _RESOLVED),
    Measure("service.response_due", N_("With a response target"), "tickets",
            "t.first_responded_at IS NOT NULL AND t.first_response_due IS NOT NULL"),
    Measure("service.response_met", N_("Response within SLA"), "tickets",
            "t.first_responded_at IS NOT NULL AND t.first_response_due IS NOT NULL "
            "AND t.first_responded_at <= t.first_response_due"),
    Measure("service.resolution_due", N_("With a resolution target"), "tickets",
            f"{_RESOLVED} AND t.resolution_due IS NOT NULL"),
    Measure("service.resolution_met", N_("Resolved within SLA"), "tickets",
            f"{_RESOLVED} AND t.resolution_due IS NOT NULL AND t.resolved_at <= t.resolution_due"),
    Measure("service.fcr", N_("First-contact resolutions"), "tickets", _FCR),
    Measure("service.reopened", N_("Reopened"), "tickets", "t.reopen_count > 0"),
    Measure("service.with_project", N_("Tickets on delivered projects"), "tickets",
            "t.project_delivered = TRUE"),  # kept with the project's acceptance (facts.py)
    Measure("service.backlog", N_("Open tickets"), "backlog"),
    Measure("service.age_1d", N_("Under 1 day"), "backlog", _age(None, 1)),
    Measure("service.age_3d", N_("1-3 days"), "backlog", _age(1, 3)),
    Measure("service.age_7d", N_("3-7 days"), "backlog", _age(3, 7)),
    Measure("service.age_30d", N_("7-30 days"), "backlog", _age(7, 30)),
    Measure("service.age_old", N_("Over 30 days"), "backlog", _age(30, None)),
    Measure("service.delivered", N_("Delivered projects"), "delivered", "1 = 1",
            {"crew": "p.installer_lead_id"}),
    # delivery
    Measure("delivery.due", N_("Milestones due"), "milestones", "1 = 1", {"stage": "m.code"}),
    Measure("delivery.on_time", N_("On time"), "milestones",
            "m.actual_end IS NOT NULL AND m.actual_end <= m.planned_end", {"stage": "m.code"}),
    Measure("delivery.late", N_("Late"), "milestones",
            "(m.actual_end IS NULL OR m.actual_end > m.planned_end)", {"stage": "m.code"}),
    Measure("delivery.acceptances", N_("Acceptances"), "acceptances"),
    Measure("delivery.participated", N_("Customer signed off"), "acceptances",
            "m.signed_off_by_id IS NOT NULL"),
    Measure("delivery.defects", N_("Acceptance defects"), "defects"),
    Measure("delivery.photos", N_("Site photos"), "photos"),
    Measure("delivery.active", N_("Active projects"), "active_projects"),
    # warranty
    Measure("warranty.repairs", N_("Repairs within warranty"), "tickets", _WARRANTY_REPAIR,
            {"product_line": "t.product_line_id", "crew": "p.installer_lead_id"}),
    Measure("warranty.delivered", N_("Delivered projects"), "warranties", "1 = 1",
            {"product_line": "pp.product_line_id", "crew": "p.installer_lead_id"}),
    # growth
    Measure("growth.lead", N_("Leads"), "projects"),
    Measure("growth.referred", N_("Referred customers"), "referred"),
    # A scalar subquery with LIMIT rather than EXISTS: PostgreSQL may turn an EXISTS into one
    # hash of every signed contract (150 ms) when it overestimates the referred customers;
    # this form is always a couple of index probes per referred customer.
    Measure("growth.referred_converted", N_("Referrals converted"), "referred",
            "(SELECT 1 FROM project pc JOIN milestone mc ON mc.project_id = pc.id "
            "WHERE pc.customer_id = c.id AND mc.code = 'contract' AND mc.status = 'done' "
            "LIMIT 1) IS NOT NULL"),
]

def _segment(name: str) -> object:
    """The SQL form of :func:`backend.reports.formulas.segment` (same thresholds)."""
    def cond(sql: Sql, f: ReportFilter) -> str:
        from backend.reports.formulas import READY_WITHIN, STALE_AFTER
        from backend.reports.recordsets import days_ago
        if name == "unknown":
            return "x.latest_nps IS NULL"
        ready = f"x.last_touch >= {sql.arg(days_ago(READY_WITHIN.days))}"
        is_ready = f"(x.latest_nps >= 9 AND {ready})"
        if name == "referral_ready":
            return f"x.latest_nps IS NOT NULL AND {is_ready}"
        stale = f"(x.last_touch IS NULL OR x.last_touch < {sql.arg(days_ago(STALE_AFTER.days))})"
        at_risk = f"(x.latest_nps <= 6 OR (x.latest_nps <= 8 AND {stale}))"
        negate = "" if name == "at_risk" else "NOT "
        return f"x.latest_nps IS NOT NULL AND NOT {is_ready} AND {negate}{at_risk}"
    return cond


def accepted_between(months: int, first_end: date, last_end: date) -> tuple[date, date]:
    """The acceptance dates whose warranty (``months`` long) ends in [first_end, last_end].

    ``add_months`` never decreases, so the answer is one interval; found by stepping from
    the naive inverse (month-end clamping moves it by at most three days).
    """
    lo = add_months(first_end, -months)
    while add_months(lo, months) >= first_end:
        lo -= timedelta(days=1)
    while add_months(lo, months) < first_end:
        lo += timedelta(days=1)
    hi = add_months(last_end, -months)
    while add_months(hi, months) <= last_end:
        hi += timedelta(days=1)
    while add_months(hi, months) > last_end:
        hi -= timedelta(days=1)
    return lo, hi


def _ending(sql: Sql, f: ReportFilter) -> str:
    """Warranties whose last covered day falls in the next 90 days (from tomorrow)."""
    today = f.today or clock.now().date()
    parts = []
    for months in f.warranty_months:
        lo, hi = accepted_between(months, today + timedelta(days=1), today + timedelta(days=90))
        parts.append(f"(pl.warranty_months = {sql.arg(months)} AND p.accepted_on >= "
                     f"{sql.arg(lo)} AND p.accepted_on <= {sql.arg(hi)})")
    return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"


_ALL.append(Measure("warranty.ending", N_("Warranties ending in the next 90 days"),
                    "warranties", _ending))


SEGMENTS = {"referral_ready": N_("Referral-ready"), "at_risk": N_("At risk"),
            "neutral": N_("Neutral"), "unknown": N_("No NPS answer")}
for _seg, _label in SEGMENTS.items():
    _ALL.append(Measure(f"growth.segment_{_seg}", _label, "customers", _segment(_seg)))
_ALL.append(Measure("growth.customers", N_("Customers"), "customers"))
_ALL.append(Measure("growth.addon", N_("With add-on orders"), "customers", "x.projects > 1"))
_ALL.append(Measure("growth.referrers", N_("Referrers"), "customers", "x.referrals > 0"))

FUNNEL = ("measure", "design", "contract", "install", "acceptance")
FUNNEL_LABELS = {"lead": N_("Lead"), "measure": N_("Measured"), "design": N_("Designed"),
                 "contract": N_("Signed"), "install": N_("Installed"),
                 "acceptance": N_("Accepted")}

for _code in FUNNEL:
    _ALL.append(Measure(f"growth.{_code}", FUNNEL_LABELS[_code], "projects",
                        "EXISTS (SELECT 1 FROM milestone mf WHERE mf.project_id = p.id AND "
                        f"mf.code = '{_code}' AND mf.status = 'done')"))

MEASURES: dict[str, Measure] = {m.key: m for m in _ALL}
__all__ = ["FUNNEL", "FUNNEL_LABELS", "MEASURES", "OPEN"]
