"""Sign-in for both realms, server-side sessions and rate limits.

Homeowners sign in with a one-time 6-digit code (phone or e-mail, no password); staff and
technicians with a password (argon2) and a lockout after repeated failures.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from backend import clock
from backend.access import Actor
from backend.audit import services as audit
from backend.config import get_settings
from backend.customers.rules import normalize_contact, normalize_email
from backend.db import Database
from backend.errors import RateLimited, ValidationFailed
from backend.i18n import N_

from .passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password

CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
SESSION_TTL = timedelta(days=30)
SESSION_TOUCH_EVERY = timedelta(minutes=10)
STAFF_MAX_FAILURES = 5
STAFF_LOCKOUT = timedelta(minutes=15)


def _digest(value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- rate limits ---------------------------------------------------------------------------


async def hit_rate_limit(db: Database, *, key: str, limit: int, window: timedelta) -> None:
    """Count one attempt for ``key`` in a fixed window; raise :class:`RateLimited` past it.

    One atomic upsert, so concurrent requests on several app processes count correctly.
    """
    now = clock.now()
    async with db.transaction():
        row = await db.fetchrow(
            "INSERT INTO rate_counter (id, window_start, count) VALUES ($1, $2, 1) "
            "ON CONFLICT (id) DO UPDATE SET "
            "count = CASE WHEN rate_counter.window_start <= $3 THEN 1 "
            "ELSE rate_counter.count + 1 END, "
            "window_start = CASE WHEN rate_counter.window_start <= $3 THEN $2 "
            "ELSE rate_counter.window_start END "
            "RETURNING count, window_start",
            key, now, now - window,
        )
    assert row is not None
    if row["count"] > limit:
        retry = int((row["window_start"] + window - now).total_seconds()) + 1
        raise RateLimited(retry_after=max(retry, 1))


# --- homeowners: one-time codes ---------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    channel: str  # "phone" | "email"
    target: str
    code: str
    customer_id: uuid.UUID
    locale: str


async def _find_customer(db: Database, channel: str, target: str) -> dict | None:
    column = "phone" if channel == "phone" else "lower(email)"
    return await db.fetchrow(
        f"SELECT id, language FROM customer WHERE {column} = $1 AND merged_into_id IS NULL "
        "ORDER BY created_at LIMIT 1",
        target if channel == "phone" else target.lower(),
    )


async def request_login_code(db: Database, *, contact: str, ip: str) -> CodeRequest:
    """Issue a fresh code for a known homeowner; earlier unused codes stop working.

    Limits: 5 requests per contact and 20 per IP address in 15 minutes.
    """
    channel, target = normalize_contact(contact)
    await hit_rate_limit(db, key=f"code-ip:{ip}", limit=20, window=timedelta(minutes=15))
    await hit_rate_limit(db, key=f"code-to:{target}", limit=5, window=timedelta(minutes=15))
    customer = await _find_customer(db, channel, target)
    if customer is None:
        message = (
            N_("No homeowner account uses this phone number. Please use the number you gave "
               "your project team.")
            if channel == "phone"
            else N_("No homeowner account uses this e-mail address. Please use the address "
                    "you gave your project team.")
        )
        raise ValidationFailed({"contact": message})
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    async with db.transaction():
        await db.execute(
            "UPDATE login_code SET burned = TRUE WHERE target = $1 AND used_at IS NULL "
            "AND burned = FALSE",
            target,
        )
        await db.execute(
            "INSERT INTO login_code (id, target, code_hash, created_at, expires_at, attempts, "
            "burned) VALUES ($1, $2, $3, $4, $5, 0, FALSE)",
            uuid.uuid4(), target, _digest(f"{target}:{code}"), now, now + CODE_TTL,
        )
    return CodeRequest(channel, target, code, customer["id"], customer["language"])


async def verify_login_code(db: Database, *, contact: str, code: str, ip: str) -> uuid.UUID:
    """Check a code; return the homeowner's id. Five wrong tries burn the code."""
    channel, target = normalize_contact(contact)
    await hit_rate_limit(db, key=f"verify-ip:{ip}", limit=50, window=timedelta(minutes=15))
    cleaned = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(cleaned) != 6:
        raise ValidationFailed({"code": N_("Enter the 6-digit code we sent you.")})
    now = clock.now()
    async with db.transaction():
        row = await db.fetchrow(
            "SELECT id, code_hash, attempts, expires_at FROM login_code WHERE target = $1 "
            "AND used_at IS NULL AND burned = FALSE ORDER BY created_at DESC LIMIT 1",
            target,
        )
        if row is None or row["expires_at"] <= now:
            raise ValidationFailed(
                {"code": N_("This code has expired or was already used. Request a new code.")}
            )
        if not hmac.compare_digest(row["code_hash"], _digest(f"{target}:{cleaned}")):
            attempts = row["attempts"] + 1
            burned = attempts >= CODE_MAX_ATTEMPTS
            await db.execute(
                "UPDATE login_code SET attempts = $1, burned = $2 WHERE id = $3",
                attempts, burned, row["id"],
            )
            failed = ValidationFailed({"code": N_("That code is not right. Please check it "
                                                  "and try again.")})
            if burned:
                failed = ValidationFailed({"code": N_("Too many wrong tries: this code no "
                                                      "longer works. Request a new code.")})
            # Commit the counted attempt, then report the failure.
            pending_error: ValidationFailed | None = failed
        else:
            pending_error = None
            await db.execute("UPDATE login_code SET used_at = $1 WHERE id = $2", now, row["id"])
    if pending_error is not None:
        raise pending_error
    customer = await _find_customer(db, channel, target)
    if customer is None:
        raise ValidationFailed({"code": N_("This code has expired or was already used. "
                                           "Request a new code.")})
    return customer["id"]


# --- staff: passwords with lockout ------------------------------------------------------------


@dataclass(frozen=True)
class StaffLogin:
    id: uuid.UUID
    role: str


async def authenticate_staff(db: Database, *, email: str, password: str, ip: str) -> StaffLogin:
    """Check a staff password; five failures lock the account for 15 minutes."""
    invalid = ValidationFailed({"": N_("Wrong e-mail or password.")})
    try:
        address = normalize_email(email)
    except ValidationFailed:
        raise invalid from None
    await hit_rate_limit(db, key=f"staff-ip:{ip}", limit=50, window=timedelta(minutes=15))
    row = await db.fetchrow(
        "SELECT id, role, password_hash, failed_logins, locked_until, active FROM staff_user "
        "WHERE lower(email) = $1",
        address.lower(),
    )
    if row is None or not row["active"]:
        verify_password(DUMMY_HASH, password)
        raise invalid
    now = clock.now()
    if row["locked_until"] is not None and row["locked_until"] > now:
        raise RateLimited(
            retry_after=int((row["locked_until"] - now).total_seconds()) + 1,
            message=N_("This account is locked after too many failed sign-ins. Try again in "
                       "15 minutes or ask an admin."),
        )
    if not verify_password(row["password_hash"], password):
        failures = row["failed_logins"] + 1
        locked = now + STAFF_LOCKOUT if failures >= STAFF_MAX_FAILURES else None
        async with db.transaction():
            await db.execute(
                "UPDATE staff_user SET failed_logins = $1, locked_until = $2 WHERE id = $3",
                0 if locked else failures, locked, row["id"],
            )
            if locked:
                await audit.record(
                    db, actor=Actor(kind="staff", id=row["id"]), action="staff.locked",
                    object_type="staff_user", object_id=row["id"],
                    after={"locked_until": locked},
                )
        raise invalid
    if row["failed_logins"] or row["locked_until"] or needs_rehash(row["password_hash"]):
        async with db.transaction():
            await db.execute(
                "UPDATE staff_user SET failed_logins = 0, locked_until = NULL, "
                "password_hash = $1 WHERE id = $2",
                hash_password(password) if needs_rehash(row["password_hash"])
                else row["password_hash"],
                row["id"],
            )
    return StaffLogin(row["id"], row["role"])


# --- sessions -------------------------------------------------------------------------------


async def create_session(
    db: Database, *, realm: str, subject_id: uuid.UUID, user_agent: str = ""
) -> str:
    """Start a server-side session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    actor = Actor(kind="staff" if realm == "staff" else "customer", id=subject_id)
    async with db.transaction():
        await db.execute(
            "INSERT INTO user_session (id, realm, subject_id, created_at, last_seen_at, "
            "expires_at, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6)",
            session_digest(token), realm, subject_id, now, now + SESSION_TTL, user_agent[:300],
        )
        await audit.record(db, actor=actor, action="session.started",
                           object_type=realm, object_id=subject_id)
    return token


_SESSION_SQL = """
SELECT s.id AS session_id, s.realm, s.subject_id, s.last_seen_at, s.expires_at,
       c.name AS c_name, c.language AS c_language, c.timezone AS c_timezone,
       c.merged_into_id AS c_merged,
       u.name AS u_name, u.role AS u_role, u.region_id AS u_region, u.team_id AS u_team,
       u.language AS u_language, u.timezone AS u_timezone, u.active AS u_active
FROM user_session s
LEFT JOIN customer c ON s.realm = 'customer' AND c.id = s.subject_id
LEFT JOIN staff_user u ON s.realm = 'staff' AND u.id = s.subject_id
WHERE s.id = $1
"""


async def load_actor(db: Database, token: str) -> Actor | None:
    """Resolve a session cookie to its actor in one query; None when invalid or expired."""
    if not token or len(token) > 100:
        return None
    row = await db.fetchrow(_SESSION_SQL, session_digest(token))
    now = clock.now()
    if row is None or row["expires_at"] <= now:
        return None
    if now - row["last_seen_at"] > SESSION_TOUCH_EVERY:
        # Sliding expiry, written at most every few minutes so reads stay reads.
        async with db.transaction():
            await db.execute(
                "UPDATE user_session SET last_seen_at = $1, expires_at = $2 WHERE id = $3",
                now, now + SESSION_TTL, row["session_id"],
            )
    if row["realm"] == "customer":
        if row["c_name"] is None or row["c_merged"] is not None:
            return None
        return Actor(kind="customer", id=row["subject_id"], name=row["c_name"],
                     locale=row["c_language"], timezone=row["c_timezone"],
                     session_id=row["session_id"])
    if row["u_name"] is None or not row["u_active"]:
        return None
    return Actor(kind="staff", id=row["subject_id"], name=row["u_name"], role=row["u_role"],
                 region_id=row["u_region"], team_id=row["u_team"], locale=row["u_language"],
                 timezone=row["u_timezone"], session_id=row["session_id"])


async def end_session(db: Database, *, actor: Actor) -> None:
    if not actor.session_id:
        return
    async with db.transaction():
        await db.execute("DELETE FROM user_session WHERE id = $1", actor.session_id)
        await audit.record(db, actor=actor, action="session.ended",
                           object_type=actor.kind, object_id=actor.id)


async def end_all_sessions(db: Database, *, actor: Actor) -> int:
    """Sign the actor out everywhere (all devices)."""
    async with db.transaction():
        count = await db.fetchval(
            "SELECT count(*) AS n FROM user_session WHERE subject_id = $1", actor.id
        )
        await db.execute("DELETE FROM user_session WHERE subject_id = $1", actor.id)
        await audit.record(db, actor=actor, action="session.ended_all",
                           object_type=actor.kind, object_id=actor.id, after={"count": count})
    return int(count or 0)
