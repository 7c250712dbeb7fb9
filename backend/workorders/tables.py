"""Site visits: measure, delivery, install, repair and inspection work orders."""

from piccolo.columns import (
    UUID,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.accounts.tables import StaffUser
from backend.customers.tables import Customer
from backend.projects.tables import Milestone, Project


class ChecklistTemplate(Table):
    """Checklist items per work-order kind, as JSON: [{key, label_zh, label_en, required,
    requires_photo}]."""

    id = UUID(primary_key=True)
    kind = Varchar(length=32, unique=True)
    items = Text(default="[]")


class WorkOrder(Table):
    id = UUID(primary_key=True)
    number = Varchar(length=20, unique=True)
    kind = Varchar(length=32)
    status = Varchar(length=20, default="scheduled", index=True)
    customer = ForeignKey(Customer, db_column_name="customer_id")
    project = ForeignKey(Project, db_column_name="project_id", null=True)
    milestone = ForeignKey(Milestone, db_column_name="milestone_id", null=True)
    ticket_id = UUID(null=True, default=None, index=True)
    technician = ForeignKey(StaffUser, db_column_name="technician_id", null=True)
    window_start = Timestamptz(index=True)
    window_end = Timestamptz()
    address = Varchar(length=300, default="")
    checklist = Text(default="[]")
    notes = Text(default="")
    parts = Text(default="[]")
    follow_up_reason = Text(default="")
    signer_name = Varchar(length=100, default="")
    signed_at = Timestamptz(null=True, default=None)
    signature_media_id = UUID(null=True, default=None)
    en_route_at = Timestamptz(null=True, default=None)
    on_site_at = Timestamptz(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class SyncReceipt(Table):
    """One processed item of a phone's offline outbox, by its idempotency key: a replay of the
    same key returns the stored result and changes nothing."""

    id = UUID(primary_key=True)
    key = Varchar(length=64, unique=True)
    technician_id = UUID(index=True)
    work_order_id = UUID(null=True, default=None)
    kind = Varchar(length=32)
    result = Text(default="{}")
    created_at = Timestamptz()
