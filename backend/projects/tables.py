"""Product lines, milestone templates, projects, their milestones and change requests."""

from piccolo.columns import (
    UUID,
    BigInt,
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
from backend.customers.tables import Customer, Property


class ProductLine(Table):
    id = UUID(primary_key=True)
    code = Varchar(length=32, unique=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)
    warranty_months = Integer(default=24)
    terms_zh = Text(default="")
    terms_en = Text(default="")


class MilestoneTemplate(Table):
    id = UUID(primary_key=True)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)
    project_type = Varchar(length=32, default="full_renovation")
    active = Boolean(default=True)


class TemplateStage(Table):
    id = UUID(primary_key=True)
    template = ForeignKey(MilestoneTemplate, db_column_name="template_id")
    position = Integer()
    code = Varchar(length=32)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)
    default_days = Integer(default=7)
    customer_visible = Boolean(default=True)
    requires_signoff = Boolean(default=False)


class Project(Table):
    id = UUID(primary_key=True)
    number = Varchar(length=20, unique=True)
    title = Varchar(length=200)
    customer = ForeignKey(Customer, db_column_name="customer_id")
    property = ForeignKey(Property, db_column_name="property_id", null=True)
    project_type = Varchar(length=32, default="full_renovation")
    contract_amount_fen = BigInt(default=0)
    region = ForeignKey(Region, db_column_name="region_id", null=True)
    team = ForeignKey(Team, db_column_name="team_id", null=True)
    designer = ForeignKey(StaffUser, db_column_name="designer_id", null=True)
    project_manager = ForeignKey(StaffUser, db_column_name="project_manager_id", null=True)
    installer_lead = ForeignKey(StaffUser, db_column_name="installer_lead_id", null=True)
    template = ForeignKey(MilestoneTemplate, db_column_name="template_id", null=True)
    status = Varchar(length=16, default="active")
    current_stage = Varchar(length=32, default="measure")
    accepted_on = Date(null=True, default=None)
    design_notes = Text(default="")
    created_at = Timestamptz()


class ProjectProduct(Table):
    """A product line delivered in a project; warranty runs from the acceptance date."""

    id = UUID(primary_key=True)
    project = ForeignKey(Project, db_column_name="project_id")
    product_line = ForeignKey(ProductLine, db_column_name="product_line_id")
    description = Varchar(length=200, default="")


class Milestone(Table):
    id = UUID(primary_key=True)
    project = ForeignKey(Project, db_column_name="project_id")
    position = Integer()
    code = Varchar(length=32)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)
    status = Varchar(length=16, default="pending")
    planned_start = Date(null=True, default=None)
    planned_end = Date(null=True, default=None)
    estimated_end = Date(null=True, default=None)
    actual_start = Date(null=True, default=None)
    actual_end = Date(null=True, default=None)
    delay_reason = Text(default="")
    customer_visible = Boolean(default=True)
    requires_signoff = Boolean(default=False)
    signed_off_at = Timestamptz(null=True, default=None)
    signed_off_by = ForeignKey(Customer, db_column_name="signed_off_by_id", null=True)


class ChangeRequest(Table):
    id = UUID(primary_key=True)
    project = ForeignKey(Project, db_column_name="project_id")
    milestone = ForeignKey(Milestone, db_column_name="milestone_id", null=True)
    title = Varchar(length=200)
    description = Text(default="")
    cost_delta_fen = BigInt(default=0)
    schedule_delta_days = Integer(default=0)
    status = Varchar(length=16, default="pending")
    deadline = Timestamptz(null=True, default=None)
    raised_by = ForeignKey(StaffUser, db_column_name="raised_by_id", null=True)
    decided_by = ForeignKey(Customer, db_column_name="decided_by_id", null=True)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
    created_at = Timestamptz()
