"""Desk routes; every handler but sign-in needs a desk role (not technicians)."""

from litestar import Router
from litestar.di import Provide

from backend.web.auth import desk_actor
from backend.web.staff_auth import staff_auth_handlers

from . import admin, customers, dispatch, notify_settings, projects, reports, rules, tasks, tickets

desk_router = Router(
    path="/desk",
    route_handlers=[*staff_auth_handlers("desk", home="/desk/"), *tickets.HANDLERS,
                    *customers.HANDLERS, *reports.HANDLERS,
                    *dispatch.HANDLERS, *admin.HANDLERS, *rules.HANDLERS,
                    *notify_settings.HANDLERS,
                    *projects.HANDLERS, *tasks.HANDLERS],
    dependencies={"actor": Provide(desk_actor)},
)
