"""``homeloop bench-data``: a large, realistic dataset for benchmarks, loaded in bulk.

Default scale (``--scale 1``): 200,000 customers, 1,000,000 tickets, 2,000,000 events and
300,000 survey answers, plus the projects, milestones, status history and staff they need,
spread over two years with every foreign key valid. Rows are generated in Python from a
seeded RNG and loaded in big batches: ``COPY`` (asyncpg ``copy_records_to_table``) on
PostgreSQL; ``executemany`` in one transaction on SQLite with durability switched off for the
load only (the file is not in use by a server meanwhile).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend import clock
from backend.demo_data import STAGES

REGIONS = [("bj", "北京", "Beijing", 18), ("sh", "上海", "Shanghai", 24),
           ("gz", "广州", "Guangzhou", 14), ("sz", "深圳", "Shenzhen", 16),
           ("cd", "成都", "Chengdu", 12), ("hz", "杭州", "Hangzhou", 16)]
LINES = [("kitchen", "橱柜", "Kitchen cabinets", 60), ("wardrobe", "衣柜", "Wardrobes", 36),
         ("doors", "木门", "Interior doors", 24), ("bath", "卫浴", "Bathroom", 24),
         ("floor", "地板", "Flooring", 12)]
CATEGORIES = [("repair", 45), ("question", 25), ("complaint", 12), ("install_issue", 10),
              ("billing", 8)]
CHANNELS = [("portal", 40), ("phone", 30), ("wechat", 20), ("email", 5), ("field", 5)]
PRIORITIES = [("normal", 70), ("high", 18), ("urgent", 4), ("low", 8)]
TYPES = [("full_renovation", 35), ("kitchen", 25), ("wardrobe", 20), ("custom_furniture", 15),
         ("partial", 5)]
EVENT_KINDS = ["ticket.created", "ticket.status_changed", "ticket.message_added",
               "milestone.completed", "workorder.completed", "survey.answered"]
DEFAULTS = {"customers": 200_000, "tickets": 1_000_000, "events": 2_000_000,
            "surveys": 300_000}
BATCH = 50_000
SCORES = {"nps": (range(11), [1, 1, 1, 2, 2, 3, 5, 10, 18, 25, 32]),
          "csat": (range(1, 6), [3, 5, 12, 35, 45]),
          "ces": (range(1, 8), [30, 30, 15, 10, 8, 4, 3])}


def _weighted(rng: random.Random, items: list[tuple[Any, int]]) -> Callable[[], Any]:
    values = [v for v, _ in items]
    cum, total = [], 0
    for _, w in items:
        total += w
        cum.append(total)
    return lambda: rng.choices(values, cum_weights=cum)[0]


class Generator:
    """Yields rows per table; ids and choices made here keep every foreign key valid."""

    def __init__(self, *, customers: int, tickets: int, events: int, surveys: int,
                 seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.n = {"customers": customers, "tickets": tickets, "events": events,
                  "surveys": surveys}
        # Same seed, same day -> the same rows on every database (the bench compares them).
        self.now = clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0,
                                                       microsecond=0)
        self.tag = f"{seed % 100_000:05d}"
        self.start = self.now - timedelta(days=730)

    def uid(self) -> uuid.UUID:
        """A random version-4 UUID drawn from the seeded generator (reproducible)."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def when(self) -> datetime:
        """A moment in the last two years, busier recently (the company grows)."""
        x = self.rng.random() ** 0.75
        return self.start + timedelta(seconds=int(x * 730 * 86400))

    def reference(self) -> dict[str, list[tuple]]:
        rng = self.rng
        regions = [(self.uid(), f"b{self.tag}{c}", zh, en) for c, zh, en, _ in REGIONS]
        teams = [(self.uid(), r[0], f"{r[2]}{k}组", f"{r[3]} team {k}")
                 for r in regions for k in (1, 2)]
        lines = [(self.uid(), f"b{self.tag}{c}", zh, en, months) for c, zh, en, months in LINES]
        staff = []
        for role, count in (("service_agent", 60), ("technician", 120), ("project_manager", 30),
                            ("designer", 30)):
            for i in range(count):
                team = rng.choice(teams)
                sid = self.uid()
                staff.append((sid, f"{role}-{self.tag}-{i}@bench.homeloop.cn",
                              f"{role} {i}", role, team[1], team[0], "x", self.start))
        return {"region": regions, "team": teams, "product_line": lines, "staff_user": staff}

    def rows(self, ref: dict[str, list[tuple]]) -> Iterator[tuple[str, list[tuple]]]:
        """(table, batch of rows) in an order that satisfies foreign keys."""
        rng, now = self.rng, self.now
        region_w = _weighted(rng, [(r, w) for r, (_, _, _, w) in zip(ref["region"], REGIONS,
                                                                      strict=True)])
        teams_of = {r[0]: [t for t in ref["team"] if t[1] == r[0]] for r in ref["region"]}
        techs = [s for s in ref["staff_user"] if s[3] == "technician"]
        agents = [s for s in ref["staff_user"] if s[3] == "service_agent"]
        pick_cat, pick_ch = _weighted(rng, CATEGORIES), _weighted(rng, CHANNELS)
        pick_pri, pick_type = _weighted(rng, PRIORITIES), _weighted(rng, TYPES)
        # customers; a tenth were referred by an earlier customer
        customers, batch = [], []
        for i in range(self.n["customers"]):
            cid, created = self.uid(), self.when()
            referrer = (customers[rng.randrange(len(customers))][0]
                        if customers and rng.random() < 0.1 else None)
            customers.append((cid, created))
            batch.append((cid, f"客户{i}", f"+8613{i:09d}"[:14], "zh_CN", "Asia/Shanghai", "[]",
                          "standard", "referral" if referrer else "walk_in", referrer, True,
                          False, created))
        # referrers must exist before the referred: sort by whether the row has a referrer
        batch.sort(key=lambda r: r[8] is not None)
        for part in range(0, len(batch), BATCH):
            yield "customer", batch[part:part + BATCH]
        # projects (about 0.6 per customer), their product line and milestones
        projects: list[tuple] = []
        rows_p, rows_pp, rows_m = [], [], []
        for i, (cid, c_created) in enumerate(customers):
            if rng.random() > 0.6 and i % 5:
                continue
            region = region_w()
            team = rng.choice(teams_of[region[0]])
            pid = self.uid()
            created = c_created + timedelta(days=rng.randint(0, 30))
            if created > now:
                created = now - timedelta(hours=1)
            line = rng.choice(ref["product_line"])
            day = created.date()
            reached = rng.choices(range(len(STAGES)), weights=[10, 8, 8, 6, 5, 6, 8, 49])[0]
            accepted = None
            for pos, (code, zh, en, days, signoff) in enumerate(STAGES):
                planned_start, planned_end = day, day + timedelta(days=days)
                done = pos < reached and (planned_end + timedelta(days=3)) < now.date()
                actual_end = (planned_end + timedelta(days=max(0, int(rng.gauss(0, 3)))))
                if not done or actual_end > now.date():
                    done, actual_end = False, None
                status = "done" if done else ("in_progress" if pos == reached else "pending")
                if code == "acceptance" and done:
                    accepted = actual_end
                signed = (datetime.combine(actual_end, datetime.min.time(), UTC)
                          if done and signoff and rng.random() < 0.8 else None)
                rows_m.append((self.uid(), pid, pos, code, zh, en, status, planned_start,
                               planned_end, actual_end, "" if not actual_end or actual_end <=
                               planned_end else "材料延迟", True, signoff, signed,
                               cid if signed else None))
                day = (actual_end or planned_end)
            stage = STAGES[min(reached, len(STAGES) - 1)][0]
            rows_p.append((pid, f"BP{self.tag}{i:07d}", f"项目{i}", cid, pick_type(),
                           rng.randint(20_000, 600_000) * 100, region[0], team[0],
                           rng.choice(techs)[0], "completed" if accepted else "active", stage,
                           accepted, "", created))
            rows_pp.append((self.uid(), pid, line[0], ""))
            projects.append((pid, cid, region[0], team[0], line[0], accepted, created))
        yield "project", rows_p
        yield "project_product", rows_pp
        for part in range(0, len(rows_m), BATCH):
            yield "milestone", rows_m[part:part + BATCH]
        del rows_p, rows_pp, rows_m
        yield from self._tickets(customers, projects, agents, pick_cat, pick_ch, pick_pri,
                                 teams_of, region_w)
        yield from self._surveys(customers, projects)
        yield from self._events()

    def _tickets(self, customers: list, projects: list, agents: list, pick_cat: Callable,
                 pick_ch: Callable, pick_pri: Callable, teams_of: dict,
                 region_w: Callable) -> Iterator[tuple[str, list[tuple]]]:
        rng, now = self.rng, self.now
        tickets, changes = [], []
        for i in range(self.n["tickets"]):
            if projects and rng.random() < 0.85:
                pid, cid, region, team, line, accepted, p_created = rng.choice(projects)
                created = max(self.when(), p_created)
            else:
                cid, created = customers[rng.randrange(len(customers))]
                pid, line, accepted = None, None, None
                region = region_w()[0]
                team = rng.choice(teams_of[region])[0]
                created = max(self.when(), created)
            category = pick_cat()
            age = (now - created).total_seconds()
            responded = created + timedelta(minutes=int(rng.lognormvariate(4.0, 1.2)))
            responded = responded if responded < now else None
            resolved = created + timedelta(hours=int(rng.lognormvariate(3.3, 1.1)) + 1)
            open_ = (age < 86400 * 14 and rng.random() < 0.5) or rng.random() < 0.01
            resolved = None if open_ or resolved >= now else resolved
            status = ("closed" if resolved and rng.random() < 0.7 else "resolved" if resolved
                      else rng.choice(["new", "open", "waiting", "scheduled"]))
            if status == "new":
                responded = None
            warranty = ("in_warranty" if accepted and rng.random() < 0.8 else
                        "expired" if accepted else "unknown")
            tid = self.uid()
            tickets.append((
                tid, f"BT{self.tag}{i:08d}", cid, pid, line, pick_ch(), category, pick_pri(),
                status, f"工单 {i}", "", "[]", rng.choice(agents)[0] if status != "new" else None,
                team, region, warranty, "{}", created + timedelta(hours=4),
                created + timedelta(hours=48), responded, resolved,
                resolved + timedelta(days=3) if status == "closed" else None,
                1 if resolved and rng.random() < 0.06 else 0, created, resolved or created))
            changes.append((self.uid(), tid, None, "new", created))
            if resolved:
                changes.append((self.uid(), tid, "open", "resolved", resolved))
            if len(tickets) >= BATCH:
                yield "ticket", tickets
                yield "ticket_status_change", changes
                tickets, changes = [], []
        if tickets:
            yield "ticket", tickets
            yield "ticket_status_change", changes

    def _surveys(self, customers: list, projects: list) -> Iterator[tuple[str, list[tuple]]]:
        rng, now = self.rng, self.now
        surveys, answers, done = [], [], 0
        sent_total = int(self.n["surveys"] / 0.7)
        for i in range(sent_total):
            if projects:
                pid, cid, *_rest, p_created = rng.choice(projects)
            else:
                cid, p_created = customers[rng.randrange(len(customers))]
                pid = None
            sent = max(self.when(), p_created)
            kind = rng.choice(["nps", "nps", "csat", "ces"])
            sid = self.uid()
            left = self.n["surveys"] - done
            answered = left > 0 and (rng.random() < 0.7 or sent_total - i <= left)
            at = max(sent, min(sent + timedelta(hours=rng.randint(1, 72)),
                               now - timedelta(minutes=1)))
            surveys.append((sid, kind, cid, pid, "install_completed", self.uid().hex, sent,
                            sent + timedelta(days=14), at if answered else None))
            if answered:
                done += 1
                score = rng.choices(*SCORES[kind])[0]
                answers.append((self.uid(), sid, cid, kind, score, "", at))
            if len(surveys) >= BATCH:
                yield "survey", surveys
                yield "survey_response", answers
                surveys, answers = [], []
        if surveys:
            yield "survey", surveys
            yield "survey_response", answers

    def _events(self) -> Iterator[tuple[str, list[tuple]]]:
        rng = self.rng
        batch = []
        for _ in range(self.n["events"]):
            at = self.when()
            batch.append((at, rng.choice(EVENT_KINDS), "ticket", str(self.uid()), "{}", at, 1))
            if len(batch) >= BATCH:
                yield "outbox_event", batch
                batch = []
        if batch:
            yield "outbox_event", batch


COLUMNS = {
    "region": ["id", "code", "name_zh", "name_en"],
    "team": ["id", "region_id", "name_zh", "name_en"],
    "product_line": ["id", "code", "name_zh", "name_en", "warranty_months"],
    "staff_user": ["id", "email", "name", "role", "region_id", "team_id", "password_hash",
                   "created_at"],
    "customer": ["id", "name", "phone", "language", "timezone", "tags", "value_tier", "source",
                 "referrer_id", "consent_service", "consent_marketing", "created_at"],
    "project": ["id", "number", "title", "customer_id", "project_type", "contract_amount_fen",
                "region_id", "team_id", "installer_lead_id", "status", "current_stage",
                "accepted_on", "design_notes", "created_at"],
    "project_product": ["id", "project_id", "product_line_id", "description"],
    "milestone": ["id", "project_id", "position", "code", "name_zh", "name_en", "status",
                  "planned_start", "planned_end", "actual_end", "delay_reason",
                  "customer_visible", "requires_signoff", "signed_off_at", "signed_off_by_id"],
    "ticket": ["id", "number", "customer_id", "project_id", "product_line_id", "channel",
               "category", "priority", "status", "subject", "description", "preferred_windows",
               "assignee_id", "team_id", "region_id", "warranty_status", "sla_snapshot",
               "first_response_due", "resolution_due", "first_responded_at", "resolved_at",
               "closed_at", "reopen_count", "created_at", "updated_at"],
    "ticket_status_change": ["id", "ticket_id", "from_status", "to_status", "at"],
    "survey": ["id", "kind", "customer_id", "project_id", "trigger", "token_hash", "sent_at",
               "expires_at", "used_at"],
    "survey_response": ["id", "survey_id", "customer_id", "kind", "score", "comment",
                        "created_at"],
    "outbox_event": ["at", "kind", "aggregate_type", "aggregate_id", "payload", "processed_at",
                     "attempts"],
}


async def generate(database_url: str, *, customers: int, tickets: int, events: int,
                   surveys: int, seed: int = 7,
                   progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Generate and load the dataset into an already migrated database; row counts back."""
    gen = Generator(customers=customers, tickets=tickets, events=events, surveys=surveys,
                    seed=seed)
    ref = gen.reference()
    loaded: dict[str, int] = {}
    started = time.perf_counter()

    def batches() -> Iterator[tuple[str, list[tuple]]]:
        yield from ref.items()
        yield from gen.rows(ref)

    if database_url.startswith("sqlite:///"):
        _load_sqlite(database_url.split("sqlite:///", 1)[1], batches(), loaded)
    else:
        await _load_postgres(database_url, batches(), loaded)
    from backend.db import connect
    from backend.reports import facts

    db = connect(database_url)
    try:
        await facts.rebuild(db)  # the dashboards' facts, as the services keep them
        if db.kind == "postgres":
            await db.execute("VACUUM ANALYZE")  # as autovacuum would: stats + visibility map
        else:
            await db.execute("ANALYZE")
    finally:
        await db.close()
    if progress:
        progress(f"loaded {sum(loaded.values()):,} rows in {time.perf_counter() - started:.1f}s")
    return loaded


def _load_sqlite(path: str, batches: Iterator[tuple[str, list[tuple]]],
                 loaded: dict[str, int]) -> None:
    import sqlite3

    import piccolo.engine.sqlite  # noqa: F401 - the same adapters as the app

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        conn.execute("BEGIN")
        for table, rows in batches:
            cols = COLUMNS[table]
            marks = ", ".join("?" for _ in cols)
            conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
            loaded[table] = loaded.get(table, 0) + len(rows)
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()


async def _load_postgres(url: str, batches: Iterator[tuple[str, list[tuple]]],
                         loaded: dict[str, int]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for table, rows in batches:
                await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                loaded[table] = loaded.get(table, 0) + len(rows)
    finally:
        await conn.close()


def scaled(scale: float, **overrides: int | None) -> dict[str, int]:
    """The default sizes times ``scale``, with any explicit size winning."""
    return {k: (overrides.get(k) if overrides.get(k) is not None else max(1, int(v * scale)))
            for k, v in DEFAULTS.items()}  # type: ignore[misc]


__all__ = ["DEFAULTS", "date", "generate", "json", "scaled"]
