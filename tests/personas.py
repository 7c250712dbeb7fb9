"""Personas shared by tests: Alice and Bob own homes (and never see each other's), Carol is
in Alice's household, Tina and Tom are technicians, agents are bound to regions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.db import Database
from tests import factories as f


@dataclass
class World:
    people: dict[str, dict[str, Any]]
    objects: dict[str, dict[str, Any]]

    def realm(self, name: str) -> str:
        return "customer" if name in ("alice", "bob", "carol") else "staff"


async def build_world(db: Database) -> World:
    east = await f.make_region(db)
    west = await f.make_region(db)
    alice = await f.make_customer(db, name="Alice 王")
    bob = await f.make_customer(db, name="Bob 李")
    carol = await f.make_customer(db, name="Carol 王")
    await f.add_household_member(db, alice, carol)
    tina = await f.make_staff(db, role="technician", region_id=east, name="Tina")
    tom = await f.make_staff(db, role="technician", region_id=west, name="Tom")
    agent_east = await f.make_staff(db, role="service_agent", region_id=east, name="Agnes")
    agent_west = await f.make_staff(db, role="service_agent", region_id=west, name="Walter")
    manager = await f.make_staff(db, role="manager", name="Mona")
    admin = await f.make_staff(db, role="admin", name="Adam")

    project_a = await f.make_project(db, customer=alice, region_id=east)
    project_b = await f.make_project(db, customer=bob, region_id=west)
    ticket_a = await f.make_ticket(db, customer=alice, project=project_a, region_id=east,
                                   internal_text="INTERNAL-NOTE-ALICE do not show")
    ticket_b = await f.make_ticket(db, customer=bob, project=project_b, region_id=west,
                                   internal_text="INTERNAL-NOTE-BOB do not show")
    wo_a = await f.make_work_order(db, project=project_a, technician=tina, ticket=ticket_a)
    wo_b = await f.make_work_order(db, project=project_b, technician=tom, ticket=ticket_b)
    photo_a = await f.make_media(db, project=project_a)
    photo_a_internal = await f.make_media(db, project=project_a, customer_visible=False,
                                          caption="internal only")
    photo_b = await f.make_media(db, project=project_b)
    return World(
        people={"alice": alice, "bob": bob, "carol": carol, "tina": tina, "tom": tom,
                "agent_east": agent_east, "agent_west": agent_west, "manager": manager,
                "admin": admin},
        objects={"project_a": project_a, "project_b": project_b, "ticket_a": ticket_a,
                 "ticket_b": ticket_b, "wo_a": wo_a, "wo_b": wo_b, "photo_a": photo_a,
                 "photo_a_internal": photo_a_internal, "photo_b": photo_b,
                 "customer_a": alice, "customer_b": bob},
    )
