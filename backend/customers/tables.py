"""Homeowners, the household members they invite, and their properties."""

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Customer(Table):
    id = UUID(primary_key=True)
    name = Varchar(length=100)
    phone = Varchar(length=20, null=True, default=None, index=True)
    email = Varchar(length=254, null=True, default=None, index=True)
    language = Varchar(length=8, default="zh_CN")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    tags = Text(default="[]")
    value_tier = Varchar(length=16, default="standard")
    source = Varchar(length=32, default="walk_in")
    referrer = ForeignKey("self", db_column_name="referrer_id", null=True)
    consent_service = Boolean(default=True)
    consent_marketing = Boolean(default=False)
    consent_updated_at = Timestamptz(null=True, default=None)
    quiet_start = Varchar(length=5, null=True, default="22:00")
    quiet_end = Varchar(length=5, null=True, default="08:00")
    merged_into = ForeignKey("self", db_column_name="merged_into_id", null=True)
    created_at = Timestamptz()
    # Report facts (backend/reports/facts.py), maintained with the records they derive from.
    last_touch_at = Timestamptz(null=True, default=None)
    latest_nps = Integer(null=True, default=None)
    project_count = Integer(default=0)
    contract_value_fen = BigInt(default=0)
    referral_count = Integer(default=0)

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class HouseholdMember(Table):
    """A family member invited by a homeowner; sees the owner's projects while active."""

    id = UUID(primary_key=True)
    owner = ForeignKey(Customer, db_column_name="owner_id")
    member = ForeignKey(Customer, db_column_name="member_id")
    relation = Varchar(length=32, default="family")
    created_at = Timestamptz()
    removed_at = Timestamptz(null=True, default=None)


class Property(Table):
    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, db_column_name="customer_id")
    city = Varchar(length=50)
    district = Varchar(length=50, default="")
    address = Varchar(length=300)
    layout = Varchar(length=50, default="")
    area_sqm = Real(null=True, default=None)
    created_at = Timestamptz()
