"""Portal routes under ``/portal/``; every handler but sign-in needs a signed-in homeowner."""

from litestar import Router
from litestar.di import Provide

from backend.web.auth import portal_actor

from . import auth, media, projects, tickets

portal_router = Router(
    path="/portal",
    route_handlers=[*auth.HANDLERS, *projects.HANDLERS, *tickets.HANDLERS, *media.HANDLERS],
    dependencies={"actor": Provide(portal_actor)},
)
