"""A small, realistic demo organisation, loaded by `sharedgoals seed-demo` (and `make serve` on an empty database)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain import clock
from domain.closing import close_period
from domain.comp import service as comp
from domain.comp.rules import CompMetric, Component
from domain.dataset.service import Options, generate
from domain.goals import service as goals
from domain.goals.rules import KeyResultKind, LinkKind, Unit
from domain.org.models import Person, Team
from domain.org.rules import Principal, Role, TeamFunction
from domain.org.service import (
    PersonFields, create_person, create_team, current_quarter, get_period, person_principal,
)

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


# The current quarter's shared goals: (title, owners {team: share}, parent title, key results), where a key
# result is (title, kind, unit, start, target, weight, check-ins as (author email local part, value, confidence, comment)).
GOALS = [
    ("Win the mid-market this quarter", {"Revenue Leadership": "1"}, None, []),
    ("Grow new-logo bookings 30%", {"Field Sales": "0.6", "Demand Generation": "0.4"}, "Win the mid-market this quarter", [
        ("New-logo bookings", KeyResultKind.INCREASE_TO, Unit.CURRENCY, "1000000", "1300000", "2",
         [("sofia.seller", "1080000", "0.7", "two enterprise deals signed"),
          ("omar.seller", "1150000", "0.6", "")]),
        ("Pipeline created from marketing-sourced leads", KeyResultKind.INCREASE_TO, Unit.CURRENCY, "0", "2500000", "1",
         [("dana.demand", "1400000", "0.8", "webinar series is converting")]),
    ]),
    ("Follow up every qualified lead fast", {"Field Sales": "0.5", "Sales Development": "0.5"},
     "Win the mid-market this quarter", [
        ("Median hours from hand-over to first touch", KeyResultKind.DECREASE_TO, Unit.HOURS, "48", "24", "1",
         [("riley.sdr", "30", "0.7", "SDR rota covers mornings now")]),
        ("Leads followed up within the SLA", KeyResultKind.STAY_AT_OR_ABOVE, Unit.PERCENT, "0.7", "0.9", "1",
         [("sam.lead", "0.86", "0.5", "two reps on leave")]),
    ]),
    ("Agree what a qualified lead is", {"Demand Generation": "0.5", "Field Sales": "0.5"}, None, [
        ("Lead definition signed by both leaders", KeyResultKind.MILESTONE, Unit.COUNT, "0", "1", "1",
         [("maya.lead", "1", "1", "signed off with Sam on the ICP")]),
        ("MQL to SAL acceptance rate", KeyResultKind.INCREASE_TO, Unit.PERCENT, "0.45", "0.6", "1",
         [("maya.lead", "0.52", "0.6", "")]),
    ]),
]


CHECK_IN_STEPS = 4  # check-ins a key result gets over the quarter so far, the last one as GOALS says


def _check_in_series(kind: KeyResultKind, start: Decimal, value: Decimal, confidence: Decimal, q_start,
                     now) -> list:
    """(moment, value, confidence) of a key result's check-ins, spread over the weeks of the quarter gone by:
    values climb from the start to the last one GOALS gives, confidence wavers towards the last one (a milestone
    is checked in once, when it is reached)."""
    span = now - q_start
    if span.total_seconds() <= 0 or kind is KeyResultKind.MILESTONE:
        return [(now, value, confidence)]
    waver = (Decimal("-0.2"), Decimal("0.1"), Decimal("-0.1"), Decimal(0))
    series = []
    for step in range(1, CHECK_IN_STEPS + 1):
        share = Decimal(step) / CHECK_IN_STEPS
        moment = q_start + span * (step / (CHECK_IN_STEPS + 0.5))
        point = (start + (value - start) * share).quantize(Decimal("0.01"))
        series.append((moment, point, min(Decimal(1), max(Decimal(0), confidence + waver[step - 1]))))
    return series


async def _seed_goals(teams: dict[str, Team], people: dict[str, Person]) -> None:
    quarter = current_quarter()
    period = quarter.key
    q_start = (await get_period(period)).start
    now = clock.now()
    objectives = {}
    for title, owners, parent, key_results in GOALS:
        parents = [goals.ParentLink(objectives[parent].id, LinkKind.CONTRIBUTES)] if parent else []
        objectives[title] = objective = await goals.create_objective(
            SEEDER, title, None, period,
            [goals.OwnerShare(teams[name].id, Decimal(share)) for name, share in owners.items()], parents)
        for kr_title, kind, unit, start, target, weight, check_ins in key_results:
            kr = await goals.create_key_result(SEEDER, objective.id, goals.KeyResultFields(
                title=kr_title, kind=kind, unit=unit, start=Decimal(start), target=Decimal(target),
                weight=Decimal(weight)))
            for n, (local, value, confidence, comment) in enumerate(check_ins):
                author = people[local]
                actor = SEEDER if author.team_id not in {teams[n].id for n in owners} else \
                    await person_principal(author)
                series = _check_in_series(kind, Decimal(start), Decimal(value), Decimal(confidence), q_start, now)
                for i, (moment, point, sure) in enumerate(series):
                    with clock.at(min(now, moment + timedelta(hours=7 * n))):  # authors on different days
                        await goals.check_in(actor, kr.id, point, sure, comment if i == len(series) - 1 else "")


DEMO_LEADS = 1500  # the generated history behind the common view: leads, journeys, deals, SLAs, shared goals

# Pay tied to the common measure: sellers on bookings, marketing on attributed bookings and MQLs (person, target
# variable, components as (name, metric, quota, weight, accelerator)).
PLANS = [
    ("sam.lead", "40000", [("Team bookings", CompMetric.TEAM_BOOKINGS, "2500000", "0.8", "1.5"),
                           ("SLA follow-up", CompMetric.SLA_COMPLIANCE, "0.8", "0.2", "1")]),
    ("omar.seller", "18000", [("Team bookings", CompMetric.TEAM_BOOKINGS, "2500000", "0.8", "1.5"),
                              ("SLA follow-up", CompMetric.SLA_COMPLIANCE, "0.8", "0.2", "1")]),
    ("theo.content", "12000", [("Attributed bookings", CompMetric.ATTRIBUTED_BOOKINGS, "600000", "0.5", "1.2"),
                               ("MQLs delivered", CompMetric.MQLS_DELIVERED, "120", "0.5", "1")]),
]


async def _seed_plans(people: dict[str, Person], periods: list[str]) -> None:
    for period in periods:
        for local, target, components in PLANS:
            await comp.create_plan(SEEDER, comp.PlanFields(
                person_id=people[local].id, period=period, target_variable=Decimal(target),
                components=[Component(name, metric, Decimal(quota), Decimal(weight), accelerator=Decimal(acc))
                            for name, metric, quota, weight, acc in components]))


async def seed_demo() -> int:
    """Loads the demo organisation and its current quarter's goals (check-ins spread over the weeks so far) in one
    transaction, then a small generated history of the last two quarters through the import path (its own
    transactions: its people, the last quarter's goals, leads, touches and deals), three pay plans a quarter, and
    closes the quarter that has ended, so the common view, the reports and the dashboard have figures and history;
    returns how many people are stored."""
    async with in_transaction():
        teams = {name: await create_team(SEEDER, name, function) for name, function in TEAMS}
        people = {}
        for name, local, team, role, cost, quota in PEOPLE:
            people[local] = await create_person(SEEDER, PersonFields(
                name=name, email=f"{local}@demo.sharedgoals.dev", team_id=teams[team].id, role=role,
                annual_cost=Decimal(cost) if cost else None, annual_quota=Decimal(quota) if quota else None))
        await _seed_goals(teams, people)
    summary = await generate(Options(leads=DEMO_LEADS, seed=42, quarters=2, current_goals=False, pay=False))
    await _seed_plans(people, summary.periods)
    for past in summary.periods[:-1]:  # ended quarters are closed: frozen scores, locked statements
        await close_period(SEEDER, past)
    return await Person.all().count()
