"""A small, realistic demo organisation, loaded by `sharedgoals seed-demo` (and `make serve` on an empty database)."""
from __future__ import annotations

from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.org.models import Person, Team
from domain.org.rules import Principal, Role, TeamFunction
from domain.org.service import PersonFields, create_person, create_team

ADMIN_EMAIL = "ada.admin@demo.sharedgoals.dev"
SEEDER = Principal(token_id=None, name="seed-demo", role=Role.ADMIN)

TEAMS = [
    ("Field Sales", TeamFunction.SALES),
    ("Demand Generation", TeamFunction.MARKETING),
    ("Sales Development", TeamFunction.SDR),
    ("Customer Success", TeamFunction.CUSTOMER_SUCCESS),
    ("Finance", TeamFunction.FINANCE),
    ("Revenue Leadership", TeamFunction.LEADERSHIP),
]

# name, email local part, team, role, annual cost, annual quota
PEOPLE = [
    ("Ada Admin", "ada.admin", "Revenue Leadership", Role.ADMIN, "250000", None),
    ("Sam Sales-Lead", "sam.lead", "Field Sales", Role.LEADER, "260000", "3000000"),
    ("Maya Marketing-Lead", "maya.lead", "Demand Generation", Role.LEADER, "230000", None),
    ("Fin Finance", "fin.finance", "Finance", Role.FINANCE, "150000", None),
    ("Sofia Seller", "sofia.seller", "Field Sales", Role.MEMBER, "210672", "2000000"),
    ("Omar Seller", "omar.seller", "Field Sales", Role.MEMBER, "198000", "1800000"),
    ("Dana Demand", "dana.demand", "Demand Generation", Role.MEMBER, "132000", None),
    ("Theo Content", "theo.content", "Demand Generation", Role.MEMBER, "118000", None),
    ("Riley SDR", "riley.sdr", "Sales Development", Role.MEMBER, "96000", "600000"),
    ("Casey Success", "casey.success", "Customer Success", Role.MEMBER, "105000", "400000"),
]


async def is_empty() -> bool:
    return not await Team.exists() and not await Person.exists()


async def seed_demo() -> int:
    """Loads the demo organisation in one transaction; returns the number of people added."""
    async with in_transaction():
        teams = {name: await create_team(SEEDER, name, function) for name, function in TEAMS}
        for name, local, team, role, cost, quota in PEOPLE:
            await create_person(SEEDER, PersonFields(
                name=name, email=f"{local}@demo.sharedgoals.dev", team_id=teams[team].id, role=role,
                annual_cost=Decimal(cost) if cost else None, annual_quota=Decimal(quota) if quota else None))
    return len(PEOPLE)
