"""Admin configuration of staff users, roles, regions and teams (audited)."""

from __future__ import annotations

import uuid
from typing import Any

from backend.access import STAFF_ROLES, Actor, require
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.i18n import N_


async def staff_directory(db: Database) -> dict[str, list[Row]]:
    """Staff with their region and team, plus the region and team lists."""
    staff = await db.fetch(
        "SELECT s.id, s.name, s.email, s.role, s.region_id, s.team_id, s.is_team_lead, "
        "s.skills, s.active FROM staff_user s ORDER BY s.active DESC, s.role, s.name")
    regions = await db.fetch("SELECT * FROM region ORDER BY code")
    teams = await db.fetch("SELECT * FROM team ORDER BY name_en")
    return {"staff": staff, "regions": regions, "teams": teams}


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError as exc:
        raise ValidationFailed({"": N_("Something in the request was not right")}) from exc


async def update_staff(db: Database, actor: Actor, *, staff_id: uuid.UUID, role: str,
                       region_id: str | None, team_id: str | None, is_team_lead: bool,
                       skills: str, active: bool) -> None:
    """Change a person's role, region, team, lead flag, skills or access; admins only.

    An admin cannot remove their own admin role (someone must be able to undo mistakes).
    """
    require(actor, "users.edit")
    if role not in STAFF_ROLES:
        raise ValidationFailed({"role": N_("Choose a valid role.")})
    if staff_id == actor.id and (role != "admin" or not active):
        raise ValidationFailed({"role": N_("You cannot remove your own admin access.")})
    region, team = _uuid_or_none(region_id), _uuid_or_none(team_id)
    skills = ",".join(s.strip().lower() for s in (skills or "").split(",") if s.strip())[:300]
    async with db.transaction():
        old = await db.fetchrow("SELECT role, region_id, team_id, is_team_lead, skills, active "
                                "FROM staff_user WHERE id = $1", staff_id)
        if old is None:
            raise NotFound()
        after: dict[str, Any] = {"role": role, "region_id": region, "team_id": team,
                                 "is_team_lead": is_team_lead, "skills": skills,
                                 "active": active}
        before, after = audit.diff(dict(old), after)
        if not after:
            return
        await db.execute(
            "UPDATE staff_user SET role = $2, region_id = $3, team_id = $4, is_team_lead = $5, "
            "skills = $6, active = $7 WHERE id = $1",
            staff_id, role, region, team, is_team_lead, skills, active)
        if not active:
            await db.execute("DELETE FROM user_session WHERE realm = 'staff' AND "
                             "subject_id = $1", staff_id)
        await audit.record(db, actor=actor, action="staff_user.updated",
                           object_type="staff_user", object_id=staff_id, before=before,
                           after=after)


async def add_region(db: Database, actor: Actor, *, code: str, name_zh: str,
                     name_en: str) -> uuid.UUID:
    """A new service region; its code is unique."""
    require(actor, "config.edit")
    code = (code or "").strip().lower()
    if not code or len(code) > 32 or not name_zh.strip() or not name_en.strip():
        raise ValidationFailed({"code": N_("Enter a code and both names.")})
    async with db.transaction():
        if await db.fetchval("SELECT count(*) AS n FROM region WHERE code = $1", code):
            raise ValidationFailed({"code": N_("That code is already used.")})
        rid = uuid.uuid4()
        await db.execute("INSERT INTO region (id, code, name_zh, name_en) VALUES ($1, $2, $3, "
                         "$4)", rid, code, name_zh.strip()[:100], name_en.strip()[:100])
        await audit.record(db, actor=actor, action="region.created", object_type="region",
                           object_id=rid, after={"code": code, "name_en": name_en})
    return rid


async def add_team(db: Database, actor: Actor, *, region_id: str | None, name_zh: str,
                   name_en: str) -> uuid.UUID:
    """A new team, optionally inside a region."""
    require(actor, "config.edit")
    if not name_zh.strip() or not name_en.strip():
        raise ValidationFailed({"name_en": N_("Enter both names.")})
    region = _uuid_or_none(region_id)
    async with db.transaction():
        tid = uuid.uuid4()
        await db.execute("INSERT INTO team (id, region_id, name_zh, name_en) VALUES ($1, $2, "
                         "$3, $4)", tid, region, name_zh.strip()[:100], name_en.strip()[:100])
        await audit.record(db, actor=actor, action="team.created", object_type="team",
                           object_id=tid, after={"region_id": region, "name_en": name_en})
    return tid
