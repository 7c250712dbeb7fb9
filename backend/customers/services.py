"""What a homeowner changes about themselves: their household and their profile."""

from __future__ import annotations

import uuid
from typing import Any

from backend import clock
from backend.access import Actor, require_customer
from backend.audit import services as audit
from backend.customers.rules import normalize_email, normalize_phone
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.events import outbox
from backend.i18n import N_
from backend.reports import facts

RELATIONS = ("spouse", "parent", "child", "family", "other")
LANGUAGES = ("zh_CN", "en")


async def invite_household_member(
    db: Database,
    *,
    actor: Actor,
    phone: str,
    name: str = "",
    relation: str = "family",
) -> Row:
    """The homeowner invites a family member by mobile number. The member signs in with their
    own one-time code and sees the owner's projects while the invitation stands. A number
    nobody uses yet gets a new homeowner record (so the code can reach it)."""
    require_customer(actor)
    e164 = normalize_phone(phone)
    clean_name = (name or "").strip()[:100]
    if relation not in RELATIONS:
        relation = "family"
    own_phone = await db.fetchval("SELECT phone FROM customer WHERE id = $1", actor.id)
    if own_phone == e164:
        raise ValidationFailed({"phone": N_("This is your own number.")})
    now = clock.now()
    async with db.transaction():
        member = await db.fetchrow(
            "SELECT id FROM customer WHERE phone = $1 AND merged_into_id IS NULL "
            "ORDER BY created_at LIMIT 1", e164)
        created = member is None
        if member is None:
            member_id = uuid.uuid4()
            await db.execute(
                "INSERT INTO customer (id, name, phone, language, timezone, tags, value_tier, "
                "source, referrer_id, consent_service, consent_marketing, created_at) VALUES "
                "($1, $2, $3, $4, $5, '[]', 'standard', 'household', $6, TRUE, FALSE, $7)",
                member_id, clean_name or e164, e164, actor.locale, actor.timezone, actor.id, now)
            await facts.refresh_customers(db, actor.id)
        else:
            member_id = member["id"]
        active = await db.fetchval(
            "SELECT id FROM household_member WHERE owner_id = $1 AND member_id = $2 "
            "AND removed_at IS NULL", actor.id, member_id)
        if active is not None:
            raise ValidationFailed({"phone": N_("This person is already in your household.")})
        invite_id = uuid.uuid4()
        await db.execute(
            "INSERT INTO household_member (id, owner_id, member_id, relation, created_at) "
            "VALUES ($1, $2, $3, $4, $5)", invite_id, actor.id, member_id, relation, now)
        after = {"member_id": member_id, "relation": relation, "new_customer": created}
        await audit.record(db, actor=actor, action="household.invited",
                           object_type="household_member", object_id=invite_id, after=after)
        await outbox.emit(db, kind="household.invited", aggregate_type="customer",
                          aggregate_id=actor.id,
                          payload={**after, "owner_id": actor.id, "phone": e164})
    return {"id": invite_id, "member_id": member_id, "phone": e164}


async def remove_household_member(db: Database, *, actor: Actor,
                                  membership_id: uuid.UUID) -> None:
    """The owner removes a member (or a member leaves); from then on they no longer see the
    owner's projects. Anyone else gets "not found"."""
    require_customer(actor)
    async with db.transaction():
        row = await db.fetchrow(
            "UPDATE household_member SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL "
            "AND (owner_id = $3 OR member_id = $3) RETURNING owner_id, member_id",
            membership_id, clock.now(), actor.id)
        if row is None:
            raise NotFound()
        await audit.record(db, actor=actor, action="household.removed",
                           object_type="household_member", object_id=membership_id,
                           before={"owner_id": row["owner_id"], "member_id": row["member_id"]})


async def update_profile(
    db: Database,
    *,
    actor: Actor,
    name: str,
    email: str,
    language: str,
    consent_service: bool,
    consent_marketing: bool,
) -> Row:
    """A homeowner edits their name, e-mail, language and consent. The mobile number is how
    they sign in, so only their team changes it. An e-mail another homeowner uses is refused
    (sign-in by e-mail must reach exactly one person)."""
    require_customer(actor)
    errors: dict[str, str] = {}
    clean_name = (name or "").strip()
    if not clean_name or len(clean_name) > 100:
        errors["name"] = N_("Enter your name (up to 100 characters).")
    clean_email: str | None = None
    if (email or "").strip():
        try:
            clean_email = normalize_email(email)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if language not in LANGUAGES:
        errors["language"] = N_("Choose a language.")
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        before = await db.fetchrow(
            "SELECT name, email, language, consent_service, consent_marketing, "
            "consent_updated_at FROM customer "
            "WHERE id = $1", actor.id)
        if before is None:
            raise NotFound()
        if clean_email and await db.fetchval(
                "SELECT id FROM customer WHERE lower(email) = $1 AND id <> $2 "
                "AND merged_into_id IS NULL", clean_email.lower(), actor.id):
            raise ValidationFailed(
                {"email": N_("Another account uses this e-mail address.")})
        after: dict[str, Any] = {"name": clean_name, "email": clean_email, "language": language,
                                 "consent_service": consent_service,
                                 "consent_marketing": consent_marketing}
        consent_changed = (before["consent_service"] != consent_service
                           or before["consent_marketing"] != consent_marketing)
        now = clock.now()
        await db.execute(
            "UPDATE customer SET name = $2, email = $3, language = $4, consent_service = $5, "
            "consent_marketing = $6, consent_updated_at = $7 WHERE id = $1",
            actor.id, clean_name, clean_email, language, consent_service, consent_marketing,
            now if consent_changed else before["consent_updated_at"])
        old, new = audit.diff(dict(before), after)
        if new:
            await audit.record(db, actor=actor, action="customer.updated",
                               object_type="customer", object_id=actor.id, before=old,
                               after=new)
            await outbox.emit(db, kind="customer.updated", aggregate_type="customer",
                              aggregate_id=actor.id,
                              payload={"customer_id": actor.id, "fields": sorted(new)})
    return after
