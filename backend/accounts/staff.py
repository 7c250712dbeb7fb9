"""Creating and changing staff users (audited)."""

from __future__ import annotations

import uuid

from backend import clock
from backend.access import STAFF_ROLES, SYSTEM, Actor
from backend.audit import services as audit
from backend.customers.rules import normalize_email, normalize_phone
from backend.db import Database
from backend.errors import ValidationFailed
from backend.i18n import N_

from .passwords import hash_password

MIN_PASSWORD = 10


async def create_staff_user(
    db: Database,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    phone: str | None = None,
    region_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    is_team_lead: bool = False,
    skills: str = "",
    language: str = "zh_CN",
    actor: Actor = SYSTEM,
) -> uuid.UUID:
    """Create a staff user; e-mail unique, role known, password at least 10 characters."""
    errors: dict[str, str] = {}
    address = ""
    try:
        address = normalize_email(email)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if role not in STAFF_ROLES:
        errors["role"] = N_("Choose a role.")
    if not name.strip():
        errors["name"] = N_("Enter a name.")
    if len(password) < MIN_PASSWORD:
        errors["password"] = N_("Use at least 10 characters for the password.")
    e164 = None
    if phone:
        try:
            e164 = normalize_phone(phone)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if address and await db.fetchval(
        "SELECT id FROM staff_user WHERE lower(email) = $1", address.lower()
    ):
        errors["email"] = N_("A staff user with this e-mail address already exists.")
    if errors:
        raise ValidationFailed(errors)
    staff_id = uuid.uuid4()
    password_hash = hash_password(password)
    async with db.transaction():
        await db.execute(
            "INSERT INTO staff_user (id, email, name, phone, role, region_id, team_id, "
            "is_team_lead, skills, language, timezone, password_hash, failed_logins, active, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'Asia/Shanghai', "
            "$11, 0, TRUE, $12)",
            staff_id, address, name.strip(), e164, role, region_id, team_id, is_team_lead,
            skills, language, password_hash, clock.now(),
        )
        await audit.record(db, actor=actor, action="staff.created", object_type="staff_user",
                           object_id=staff_id,
                           after={"email": address, "role": role, "name": name.strip()})
    return staff_id
