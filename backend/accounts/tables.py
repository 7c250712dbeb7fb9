"""Staff, regions and teams, sign-in codes, sessions and rate-limit counters."""

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Region(Table):
    id = UUID(primary_key=True)
    code = Varchar(length=32, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)


class Team(Table):
    id = UUID(primary_key=True)
    region = ForeignKey(Region, db_column_name="region_id", null=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)


class StaffUser(Table):
    """A member of staff: admin, manager, agent, dispatcher, PM, designer or technician."""

    id = UUID(primary_key=True)
    email = Varchar(length=254, unique=True)
    name = Varchar(length=100)
    phone = Varchar(length=20, null=True, default=None)
    role = Varchar(length=32, index=True)
    region = ForeignKey(Region, db_column_name="region_id", null=True)
    team = ForeignKey(Team, db_column_name="team_id", null=True)
    is_team_lead = Boolean(default=False)
    skills = Text(default="")
    language = Varchar(length=8, default="zh_CN")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    password_hash = Text()
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()


class LoginCode(Table):
    """A one-time sign-in code for a homeowner; only its hash is kept."""

    id = UUID(primary_key=True)
    target = Varchar(length=254, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    used_at = Timestamptz(null=True, default=None)
    burned = Boolean(default=False)


class UserSession(Table):
    """A server-side session; the cookie holds a random token, the table its SHA-256."""

    id = Varchar(length=64, primary_key=True)
    realm = Varchar(length=16)
    subject_id = UUID(index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz()
    user_agent = Varchar(length=300, default="")


class RateCounter(Table):
    """Fixed-window counters for rate limits, shared by every app process."""

    id = Varchar(length=200, primary_key=True)
    window_start = Timestamptz()
    count = Integer(default=0)
