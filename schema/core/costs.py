"""What each field costs: the one table the cost estimate (`schema/core/limits.py`), the cost budget and the REST
routes' charges read (the README's *Field costs* lists it).

A field costs 1 unless it is named here. A report field costs what it computes: a sum over stored rows is cheap, a
live model over a whole period reads every deal with its journey and weighs each touch, and a trace connection
gathers every row behind its figure before it pages. Its subtree is then counted as usual (once, or `first`
times under a paged field, or `list_size` times under a list). The units are roughly "one resolved field"; the
heavy entries were sized from their times at 100k leads (a live TIME_DECAY attribution ~3 s, a `viewer` ~1 ms).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

# Building blocks, in cost units.
STORED_REPORT = 100          # a report summed in SQL from stored rows (credit, SLA, lead facts)
FIGURE = 10                  # one figure of the common view (computed once a request for every team)
TRACE = 100                  # a connection of the rows behind a figure: gathers them all, then pages
PERIOD_DEALS = 10_000        # every deal of a period read with its journey (touches, MQL time)
LIVE_MODEL = 20_000          # a model not kept in stored rows (CUSTOM, TIME_DECAY at another half-life) over a period
POSITION_MODEL = 2_000       # a position model computed live over a period's deals already read
DEAL_CREDIT = 2              # one deal's credit under a position model (its journey through a DataLoader)
DEAL_CREDIT_LIVE = 20        # one deal's credit under TIME_DECAY or CUSTOM (every touch weighed by its age)
FORECAST = 100               # a revenue forecast: 10,000 seeded draws over the open deals (the deals, their
                             # journeys and the win model are read once a request, whatever the number of forecasts)
WIN_PROBABILITY = 10         # one open deal's probability (the win model learnt once a request)
IMPORT_ROWS_PER_UNIT = 1_000  # a file import spends 1 unit per this many rows
DRIVERS = 10_000             # a period's training journeys read and its Markov chain solved (cached once closed)
DATA_DRIVEN_MODEL = DRIVERS + POSITION_MODEL  # MARKOV or SHAPLEY over a period: the chain, then the stored rows
                                              # re-weighed in Python (deals without fresh rows live)
DEAL_CREDIT_DRIVEN = 100     # one deal's credit under MARKOV or SHAPLEY (its period's chain shared by the request)

LIVE_MODELS = frozenset({"TIME_DECAY", "CUSTOM"})  # weighed per touch (Opportunity.credits)
DATA_DRIVEN_MODELS = frozenset({"MARKOV", "SHAPLEY"})
# The models kept in stored credit rows (domain/attribution/stored.py STORED_MODELS): TIME_DECAY only at its default
# half-life (DEFAULT_HALF_LIFE_DAYS); any other model, or another half-life, is computed live (MARKOV and SHAPLEY
# re-weigh the stored rows of the default model by their period's chain: DATA_DRIVEN_MODEL).
STORED_MODELS = frozenset({"FIRST_TOUCH", "LAST_TOUCH", "LINEAR", "U_SHAPED", "W_SHAPED", "FULL_PATH", "TIME_DECAY",
                           "J_SHAPED", "INVERSE_J"})
DEFAULT_HALF_LIFE_DAYS = 7
MAX_NODE_IDS = 100           # nodes(ids:) names at most this many records
MAX_TIMELINE = 500           # Lead.timeline(last:) gives at most this many events


def _name(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if isinstance(value, Enum) else value)


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _default_half_life(value: Any) -> bool:
    if value is None:
        return True
    try:
        return float(value) == DEFAULT_HALF_LIFE_DAYS
    except (TypeError, ValueError):
        return False


def model_cost(model: Any, half_life_days: Any = None) -> int:
    """`attribution(model:, halfLifeDays:)`: the model of record (null) and every stored model are summed from stored
    rows (TIME_DECAY at its default half-life plus its open deals weighed live); MARKOV and SHAPLEY solve their
    period's chain and re-weigh the stored rows; CUSTOM and TIME_DECAY at another half-life are computed live over
    the whole period."""
    name = _name(model)
    if name is None:
        return STORED_REPORT
    if name in DATA_DRIVEN_MODELS:
        return DATA_DRIVEN_MODEL
    if name not in STORED_MODELS or (name == "TIME_DECAY" and not _default_half_life(half_life_days)):
        return LIVE_MODEL
    return STORED_REPORT  # TIME_DECAY at its default half-life too: every deal has stored rows


def distinct_models(models: Any) -> list[str]:
    """The models of `attributionComparison`, each once, in first-seen order."""
    return list(dict.fromkeys(_name(m) for m in models or ()))


def comparison_cost(models: Any) -> int:
    """`attributionComparison`: each distinct stored model summed from its rows (as `attribution`), each MARKOV /
    SHAPLEY as `attribution`; the period's deals read once if any other model is not stored, then each such model
    computed over them."""
    names = distinct_models(models)
    live = [m for m in names if m not in STORED_MODELS and m not in DATA_DRIVEN_MODELS]
    return (PERIOD_DEALS if live else 0) + LIVE_MODEL * len(live) \
        + sum(model_cost(m) for m in names if m in STORED_MODELS or m in DATA_DRIVEN_MODELS)


@dataclass(frozen=True)
class FieldCost:
    """`own`: the field's cost (a number, or a function of its arguments by their Python names in the schema's
    camelCase, e.g. `halfLifeDays`); `list_size`: the items of a list field (a number or a function of the arguments; else the length of
    its list argument, else the default);
    `max_items`: list arguments refused above a length."""

    own: int | Callable[[Mapping[str, Any]], int] = 1
    list_size: int | Callable[[Mapping[str, Any]], int] | None = None
    max_items: Mapping[str, int] | None = None

    def of(self, arguments: Mapping[str, Any]) -> int:
        return self.own(arguments) if callable(self.own) else self.own

    def items(self, arguments: Mapping[str, Any]) -> int | None:
        return self.list_size(arguments) if callable(self.list_size) else self.list_size


QUARTER_DAYS = 92            # a series' points by default: a quarter's days, or its weeks
QUARTER_WEEKS = 14


def _day(value: Any):
    import datetime as dt
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def series_points(arguments: Mapping[str, Any]) -> int:
    """How many points a `series` gives: its days (or weeks) from `from` to `to` when both are named, else a
    quarter's; the 400-point limit is the resolver's."""
    start, end = _day(arguments.get("from")), _day(arguments.get("to"))
    weekly = _name(arguments.get("every")) != "DAY"
    if start is not None and end is not None and end >= start:
        days = (end - start).days + 1
        return max(1, min(400, -(-days // 7) + 1 if weekly else days))
    return QUARTER_WEEKS if weekly else QUARTER_DAYS


# A series is one grouped read per key result, batched across a page: a figure's cost, times its points' fields.
SERIES_COST = FieldCost(FIGURE, list_size=series_points)

_TEAM_FIGURES = ("goalProgress", "mqlsDelivered", "sals", "sqls", "sourcedPipeline", "influencedPipeline",
                 "attributedBookings", "slaCompliance", "payoutsAccrued", "wastedSellingCost")
_TEAM_TRACES = ("objectives", "mqlLeads", "salLeads", "sqlLeads", "sourcedDeals", "influencedDeals", "bookingCredits",
                "slaItems", "payoutLines", "wastedSellingTouchpoints")
_COMPANY_FIGURES = ("mqlsDelivered", "sals", "sqls", "pipeline", "bookings")
_COMPANY_TRACES = ("mqlLeads", "salLeads", "sqlLeads", "pipelineDeals", "bookedDeals")

FIELD_COSTS: dict[str, FieldCost] = {
    "Query.nodes": FieldCost(max_items={"ids": MAX_NODE_IDS}),
    "Query.attribution": FieldCost(lambda a: model_cost(a.get("model"), a.get("halfLifeDays"))),
    "Query.attributionComparison": FieldCost(lambda a: comparison_cost(a.get("models")),
                                             list_size=lambda a: len(distinct_models(a.get("models")))),
    "Query.sharedWins": FieldCost(STORED_REPORT, list_size=100),
    "Query.attributionDrivers": FieldCost(DRIVERS, list_size=20),
    "Query.pipelineByTeam": FieldCost(STORED_REPORT),
    "Query.slaReport": FieldCost(STORED_REPORT),
    "Query.leadFeedback": FieldCost(STORED_REPORT),
    "Query.compStatements": FieldCost(STORED_REPORT),
    "Query.teamContribution": FieldCost(STORED_REPORT),
    "Query.companyContribution": FieldCost(STORED_REPORT),
    "Query.funnelCohort": FieldCost(STORED_REPORT, list_size=10),
    "SlaReport.weeks": FieldCost(STORED_REPORT, list_size=QUARTER_WEEKS),
    "KeyResult.series": SERIES_COST,
    "Objective.series": SERIES_COST,
    "TeamContribution.goalProgressSeries": SERIES_COST,
    "Lead.timeline": FieldCost(list_size=lambda a: max(1, min(_int(a.get("last"), 50), MAX_TIMELINE))),
    "Opportunity.credits": FieldCost(lambda a: DEAL_CREDIT_DRIVEN if _name(a.get("model")) in DATA_DRIVEN_MODELS
                                     else DEAL_CREDIT_LIVE if _name(a.get("model")) in LIVE_MODELS
                                     else DEAL_CREDIT),
    "KeyResult.forecast": FieldCost(FORECAST),
    "Objective.forecastStatus": FieldCost(FORECAST),
    "TeamContribution.attributedBookingsForecast": FieldCost(FORECAST),
    "Opportunity.winProbability": FieldCost(WIN_PROBABILITY),
    **{f"TeamContribution.{name}": FieldCost(FIGURE) for name in _TEAM_FIGURES},
    **{f"TeamContribution.{name}": FieldCost(TRACE) for name in _TEAM_TRACES},
    **{f"CompanyContribution.{name}": FieldCost(FIGURE) for name in _COMPANY_FIGURES},
    **{f"CompanyContribution.{name}": FieldCost(TRACE) for name in _COMPANY_TRACES},
}

_DEFAULT = FieldCost()


def field_cost(type_name: str, field_name: str) -> FieldCost:
    return FIELD_COSTS.get(f"{type_name}.{field_name}", _DEFAULT)


# --- the REST routes spend what their GraphQL twin would -----------------------------------

EXPORT_COSTS: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "payouts": lambda q: STORED_REPORT,                               # compStatements
    "team-contribution": lambda q: STORED_REPORT + 10 * FIGURE * len(_TEAM_FIGURES),  # teamContribution, all figures
    "attribution": lambda q: model_cost(q.get("model")),              # attribution(model:)
    "credits": lambda q: PERIOD_DEALS,                                 # every deal's credit lines
    "objectives": lambda q: STORED_REPORT,                             # objectives with key results
    "sla": lambda q: STORED_REPORT,                                    # slaReport of each agreement
    "leads": lambda q: STORED_REPORT + 10 * TRACE,                     # every lead of the period, paged
}


def export_cost(report: str, query: Mapping[str, Any]) -> int:
    return EXPORT_COSTS.get(report, lambda q: STORED_REPORT)(query)


def import_cost(rows: int) -> int:
    """A file import: 1 unit per 1,000 rows (at least 1)."""
    return max(1, -(-rows // IMPORT_ROWS_PER_UNIT))
