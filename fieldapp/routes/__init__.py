"""Field app routes under ``/field/``; every handler but sign-in, the PWA files and the
service worker's push renewal needs a technician."""

from litestar import Router
from litestar.di import Provide

from backend.web.auth import field_actor
from backend.web.staff_auth import staff_auth_handlers

from . import api, notifications, pwa, work_orders

field_router = Router(
    path="/field",
    route_handlers=[*staff_auth_handlers("field", home="/field/"), *work_orders.HANDLERS,
                    *api.HANDLERS, *pwa.HANDLERS, *notifications.HANDLERS],
    dependencies={"actor": Provide(field_actor)},
)
