"""Handing one event to the rules, and the dry run over the last 30 days.

``handle_event`` runs inside the worker's transaction for that event. Each (rule, event) pair
is recorded in ``rule_run`` under a unique key before its actions run, so an event handed over
twice (two workers racing after a lease ran out) never fires a rule twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from backend import clock
from backend.db import Database
from backend.rules.actions import recipients, run_action
from backend.rules.context import Context, load_context
from backend.rules.language import all_hold

DRY_RUN_DAYS = 30
DRY_RUN_LIMIT = 500


def _decode(rule: dict[str, Any]) -> dict[str, Any]:
    out = dict(rule)
    for key in ("conditions", "actions"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key] or "[]")
    return out


async def rules_for(db: Database, kind: str) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT id, name, event_kind, conditions, actions FROM rule "
                          "WHERE enabled = TRUE AND event_kind = $1 ORDER BY created_at, id",
                          kind)
    return [_decode(r) for r in rows]


async def handle_event(db: Database, event: dict[str, Any]) -> list[str]:
    """Run every enabled rule for ``event``; returns notes on what fired (for logs/tests)."""
    rules = await rules_for(db, event["kind"])
    if not rules:
        return []
    ctx = await load_context(db, event)
    notes = []
    for rule in rules:
        matched = all_hold(rule["conditions"], ctx)
        inserted = await db.fetchval(
            "INSERT INTO rule_run (id, run_key, rule_id, event_id, matched, at) VALUES "
            "($1, $2, $3, $4, $5, $6) ON CONFLICT (run_key) DO NOTHING RETURNING id",
            uuid.uuid4(), f"{rule['id']}:{event['id']}", rule["id"], event["id"], matched,
            clock.now())
        if inserted is None or not matched:
            continue
        for action in rule["actions"]:
            notes.append(f"{rule['name']}: {await run_action(db, action, ctx, rule)}")
    return notes


async def _describe(db: Database, action: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """What an action would do, without doing it."""
    people = []
    if "to" in action:
        people = [str(pid) for _k, pid in await recipients(db, action["to"], ctx)]
    elif action["do"] in ("send_survey", "add_tag"):
        cid = (ctx.get("customer") or {}).get("id")
        people = [str(cid)] if cid else []
    return {"do": action["do"], "detail": action.get("message") or action.get("tag")
            or action.get("title") or action.get("survey") or "", "people": people}


async def dry_run(db: Database, *, event_kind: str, conditions: list[dict[str, str]],
                  actions: list[dict[str, Any]]) -> dict[str, Any]:
    """What a rule would have fired on the last 30 days of events of its kind; no writes."""
    since = clock.now() - timedelta(days=DRY_RUN_DAYS)
    events = await db.fetch(
        "SELECT id, at, kind, aggregate_type, aggregate_id, payload FROM outbox_event "
        "WHERE kind = $1 AND at >= $2 ORDER BY id DESC LIMIT $3",
        event_kind, since, DRY_RUN_LIMIT)
    fired = []
    for event in events:
        ctx = await load_context(db, event)
        if all_hold(conditions, ctx):
            fired.append({
                "event_id": event["id"], "at": event["at"],
                "about": " ".join(str(x) for x in (
                    (ctx.get("ticket") or {}).get("number"),
                    (ctx.get("project") or {}).get("number"),
                    (ctx.get("customer") or {}).get("name")) if x),
                "actions": [await _describe(db, a, ctx) for a in actions],
            })
    return {"examined": len(events), "fired": fired}
