"""Helpers for the notification tests: emit events, run the worker, read what people got."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from backend import clock
from backend.config import get_settings
from backend.db import Database
from backend.events import outbox
from backend.events.worker import Worker
from backend.notifications.channels import Channels, SendResult


class RecordingSms:
    """An SMS provider port that records (the console one prints); a fake at the port."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, *, to: str, text: str, key: str) -> SendResult:
        self.sent.append((to, text, key))
        return SendResult(ok=True)


def channels(*, smtp_port: int | None = None, sms: RecordingSms | None = None) -> Channels:
    settings = get_settings()
    if smtp_port:
        settings = replace(settings, smtp_host="127.0.0.1", smtp_port=smtp_port)
    else:
        settings = replace(settings, smtp_host=None)
    return Channels(settings, allow_http_push=True, sms=sms or RecordingSms())


async def emit(db: Database, kind: str, aggregate_type: str, aggregate_id: Any,
               **payload: Any) -> None:
    async with db.transaction():
        await outbox.emit(db, kind=kind, aggregate_type=aggregate_type,
                          aggregate_id=aggregate_id,
                          payload={k: str(v) if isinstance(v, uuid.UUID) else v
                                   for k, v in payload.items()})


async def run(db: Database, ch: Channels | None = None, *, scheduler: bool = False) -> Worker:
    worker = Worker(db, ch or channels(), batch=50, run_scheduler=scheduler)
    try:
        await worker.drain()
    finally:
        await worker.close()
    return worker


async def inbox(db: Database, person_id: uuid.UUID) -> list[dict[str, Any]]:
    return await db.fetch("SELECT id, kind, title, body, link, urgent, reason FROM notification "
                          "WHERE person_id = $1 ORDER BY created_at", person_id)


async def deliveries(db: Database, person_id: uuid.UUID) -> list[dict[str, Any]]:
    return await db.fetch(
        "SELECT d.channel, d.status, d.attempts, d.last_error, d.next_attempt_at, n.kind "
        "FROM notification_delivery d JOIN notification n ON n.id = d.notification_id "
        "WHERE d.person_id = $1 ORDER BY d.created_at, d.channel", person_id)


async def make_team_with_lead(db: Database, region_id: uuid.UUID | None = None
                              ) -> tuple[uuid.UUID, dict[str, Any]]:
    from tests import factories as f

    team = uuid.uuid4()
    lead = await f.make_staff(db, role="project_manager", region_id=region_id, name="Lead Li")
    async with db.transaction():
        await db.execute("INSERT INTO team (id, region_id, name_zh, name_en) VALUES "
                         "($1, $2, '一队', 'Team 1')", team, region_id)
        await db.execute("UPDATE staff_user SET team_id = $1, is_team_lead = TRUE "
                         "WHERE id = $2", team, lead["id"])
    return team, lead


async def set_quiet(db: Database, person_id: uuid.UUID, start: str | None,
                    end: str | None, *, cap: int = 5, opt_out: bool = False,
                    kind: str = "customer") -> None:
    async with db.transaction():
        await db.execute(
            "INSERT INTO notification_setting (id, person_kind, person_id, quiet_start, "
            "quiet_end, daily_cap, muted_kinds, surveys_opt_out, updated_at) VALUES ($1, $2, "
            "$3, $4, $5, $6, '[]', $7, $8) ON CONFLICT (person_id) DO UPDATE SET "
            "quiet_start = $4, quiet_end = $5, daily_cap = $6, surveys_opt_out = $7",
            uuid.uuid4(), kind, person_id, start, end, cap, opt_out, clock.now())
        if kind == "customer":
            await db.execute("UPDATE customer SET quiet_start = $2, quiet_end = $3 "
                             "WHERE id = $1", person_id, start, end)


def payload_of(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["payload"])
