"""Uploaded photos and their variants; files live in storage under content-addressed keys."""

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

from backend.projects.tables import Milestone, Project


class Media(Table):
    id = UUID(primary_key=True)
    sha256 = Varchar(length=64, index=True)
    kind = Varchar(length=16, default="photo")
    project = ForeignKey(Project, db_column_name="project_id", null=True)
    milestone = ForeignKey(Milestone, db_column_name="milestone_id", null=True)
    work_order_id = UUID(null=True, default=None, index=True)
    ticket_id = UUID(null=True, default=None, index=True)
    message_id = UUID(null=True, default=None)
    uploaded_by_staff_id = UUID(null=True, default=None)
    uploaded_by_customer_id = UUID(null=True, default=None)
    caption = Text(default="")
    customer_visible = Boolean(default=False)
    taken_at = Timestamptz(null=True, default=None)
    width = Integer(default=0)
    height = Integer(default=0)
    thumb_key = Varchar(length=200)
    display_key = Varchar(length=200)
    original_key = Varchar(length=200, null=True, default=None)
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)
    created_at = Timestamptz()
