"""NPS, CSAT and CES surveys sent to homeowners, and their answers."""

from piccolo.columns import (
    UUID,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.customers.tables import Customer
from backend.projects.tables import Project


class Survey(Table):
    id = UUID(primary_key=True)
    kind = Varchar(length=8)
    customer = ForeignKey(Customer, db_column_name="customer_id")
    project = ForeignKey(Project, db_column_name="project_id", null=True)
    ticket_id = UUID(null=True, default=None)
    trigger = Varchar(length=32, default="manual")
    token_hash = Varchar(length=64, unique=True)
    sent_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class SurveyResponse(Table):
    id = UUID(primary_key=True)
    survey = ForeignKey(Survey, db_column_name="survey_id", unique=True)
    customer = ForeignKey(Customer, db_column_name="customer_id")
    kind = Varchar(length=8)
    score = Integer()
    comment = Text(default="")
    created_at = Timestamptz()
