"""Repair requests, complaints and questions, with their thread and SLA clocks."""

from piccolo.columns import (
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.accounts.tables import Region, StaffUser, Team
from backend.customers.tables import Customer
from backend.projects.tables import Milestone, ProductLine, Project


class BusinessCalendar(Table):
    """Working hours, holidays and make-up working days (调休) as editable data (JSON)."""

    id = UUID(primary_key=True)
    name = Varchar(length=100)
    timezone = Varchar(length=64, default="Asia/Shanghai")
    data = Text(default="{}")
    is_default = Boolean(default=False)


class SlaPolicy(Table):
    id = UUID(primary_key=True)
    category = Varchar(length=32)
    priority = Varchar(length=16)
    first_response_minutes = Integer()
    resolution_minutes = Integer()
    calendar = ForeignKey(BusinessCalendar, db_column_name="calendar_id", null=True)
    active = Boolean(default=True)


class Ticket(Table):
    id = UUID(primary_key=True)
    number = Varchar(length=20, unique=True)
    customer = ForeignKey(Customer, db_column_name="customer_id")
    project = ForeignKey(Project, db_column_name="project_id", null=True)
    milestone = ForeignKey(Milestone, db_column_name="milestone_id", null=True)
    product_line = ForeignKey(ProductLine, db_column_name="product_line_id", null=True)
    channel = Varchar(length=16, default="portal")
    category = Varchar(length=32, index=True)
    priority = Varchar(length=16, default="normal")
    status = Varchar(length=20, default="new", index=True)
    subject = Varchar(length=200)
    description = Text(default="")
    preferred_windows = Text(default="[]")
    assignee = ForeignKey(StaffUser, db_column_name="assignee_id", null=True)
    team = ForeignKey(Team, db_column_name="team_id", null=True)
    region = ForeignKey(Region, db_column_name="region_id", null=True)
    warranty_status = Varchar(length=16, default="unknown")
    warranty_until = Date(null=True, default=None)
    sla_snapshot = Text(default="{}")
    first_response_due = Timestamptz(null=True, default=None)
    resolution_due = Timestamptz(null=True, default=None)
    first_responded_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    reopen_count = Integer(default=0)
    # Report facts (backend/reports/facts.py), maintained with the columns they derive from.
    first_response_bs = Integer(null=True, default=None)
    resolution_bs = Integer(null=True, default=None)
    visit_count = Integer(default=0)
    project_delivered = Boolean(default=False)
    merged_into_id = UUID(null=True, default=None)
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)
    last_customer_message_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()


class TicketMessage(Table):
    """One message in a ticket's thread. ``internal`` notes never reach the customer."""

    id = UUID(primary_key=True)
    ticket = ForeignKey(Ticket, db_column_name="ticket_id")
    author_staff = ForeignKey(StaffUser, db_column_name="author_staff_id", null=True)
    author_customer = ForeignKey(Customer, db_column_name="author_customer_id", null=True)
    body = Text()
    internal = Boolean(default=False)
    created_at = Timestamptz()


class TicketStatusChange(Table):
    """The recorded status history; SLA clocks are computed from it, never rewritten."""

    id = UUID(primary_key=True)
    ticket = ForeignKey(Ticket, db_column_name="ticket_id")
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20)
    at = Timestamptz()
