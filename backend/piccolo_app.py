"""The one Piccolo app that owns HomeLoop's schema.

The tables live in their bounded contexts (``backend/<context>/tables.py``); they reference
each other across contexts (a ticket has a customer, a project, a milestone), so one app with
one ordered migration history keeps foreign keys simple on both databases.
"""

import os

from piccolo.conf.apps import AppConfig

from backend.accounts.tables import LoginCode, RateCounter, Region, StaffUser, Team, UserSession
from backend.audit.tables import AuditEntry
from backend.customers.tables import Customer, HouseholdMember, Property
from backend.events.tables import Counter, OutboxEvent
from backend.media.tables import Media
from backend.notifications.tables import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSetting,
    PushSubscription,
)
from backend.projects.tables import (
    ChangeRequest,
    Milestone,
    MilestoneTemplate,
    ProductLine,
    Project,
    ProjectProduct,
    TemplateStage,
)
from backend.rules.tables import Rule, RuleRun, SchedulerMark, StaffTask
from backend.surveys.tables import Survey, SurveyResponse
from backend.tickets.tables import (
    BusinessCalendar,
    SlaPolicy,
    Ticket,
    TicketMessage,
    TicketStatusChange,
)
from backend.workorders.tables import ChecklistTemplate, SyncReceipt, WorkOrder

TABLES = [
    Region, Team, StaffUser, LoginCode, UserSession, RateCounter,
    Customer, HouseholdMember, Property,
    ProductLine, MilestoneTemplate, TemplateStage, Project, ProjectProduct, Milestone,
    ChangeRequest,
    ChecklistTemplate, WorkOrder, SyncReceipt,
    Media,
    BusinessCalendar, SlaPolicy, Ticket, TicketMessage, TicketStatusChange,
    Survey, SurveyResponse,
    PushSubscription, Notification, NotificationDelivery, NotificationPreference,
    NotificationSetting, Rule, RuleRun, SchedulerMark, StaffTask,
    AuditEntry, OutboxEvent, Counter,
]

APP_CONFIG = AppConfig(
    app_name="homeloop",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
