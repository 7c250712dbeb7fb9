"""Writing the audit log: called by every service inside its transaction."""

from __future__ import annotations

import json
from typing import Any

from backend import clock
from backend.access import Actor
from backend.db import Database


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)


async def record(
    db: Database,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit row (who, what, before → after) to the current transaction."""
    if not db.in_transaction():
        raise RuntimeError("audit rows are written inside the change's transaction")
    await db.execute(
        "INSERT INTO audit_entry (at, actor_kind, actor_id, action, object_type, object_id, "
        "before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        clock.now(), actor.audit_kind, actor.audit_id, action, object_type, str(object_id),
        dumps(before or {}), dumps(after or {}),
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, so audit rows stay readable."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
