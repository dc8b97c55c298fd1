"""CSV exports: `GET /export/{report}.csv?period=…`, streamed row by row, header first, snake_case columns,
cells that a spreadsheet would run as a formula escaped. The same figures as GraphQL, from the same functions."""
from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from api.auth import export_principal_of
from domain import clock
from domain.attribution import queries as attribution
from domain.attribution import rules as attribution_rules
from domain.comp import queries as comp_queries
from domain.contribution import queries as contribution
from domain.contribution.rules import can_see_team_pay
from domain.comp.service import visible_people
from domain.errors import DomainError
from domain.money import from_cents
from domain.org.models import Person, Team
from domain.org.rules import Principal
from domain.org.service import get_period

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str:
    """A text cell starting with = + - @ (or a tab or carriage return) is prefixed with ' so spreadsheets show it
    as text instead of running it. Numbers are written as they are."""
    if value is None:
        return ""
    text = format(value, "f") if hasattr(value, "quantize") else str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


async def stream_csv(header: list[str], rows: AsyncIterator[Iterable] | Iterable[Iterable]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(header)
    yield flush()
    if hasattr(rows, "__aiter__"):
        async for row in rows:
            writer.writerow([escape_cell(v) for v in row])
            yield flush()
    else:
        for row in rows:
            writer.writerow([escape_cell(v) for v in row])
            yield flush()


PAYOUT_COLUMNS = ["period", "person_email", "person_name", "team", "component", "metric", "metric_value", "quota",
                  "attainment", "curve_value", "gate_open", "payout", "kind"]


async def payout_rows(principal: Principal, period_key: str) -> AsyncIterator[list]:
    """One row per person and component (accrued while open, locked once closed), then one per adjustment."""
    view = await get_period(period_key)
    statements = await comp_queries.statements(view, await visible_people(principal))
    people = {p.id: p for p in await Person.filter(id__in=[s.person_id for s in statements])}
    teams = dict(await Team.all().values_list("id", "name"))
    for s in statements:
        person = people[s.person_id]
        base = [view.key, person.email, person.name, teams.get(person.team_id, "")]
        for x in s.lines:
            line = x.line
            yield base + [line.component, line.metric.value, line.metric_value.normalize(), line.quota.normalize(),
                          line.attainment.normalize(), line.curve_value.normalize(), str(line.gate_open).lower(),
                          line.payout,
                          "LOCKED" if s.locked else "ACCRUED"]
        for a in s.adjustments:
            yield base + [a.component or "", "", "", "", "", "", "", from_cents(a.amount_cents), "ADJUSTMENT"]


CONTRIBUTION_COLUMNS = ["period", "team", "goal_progress", "mqls_delivered", "sals", "sqls", "sourced_pipeline",
                        "influenced_pipeline", "attributed_bookings", "sla_compliance", "payouts_accrued",
                        "wasted_selling_cost"]


async def contribution_rows(principal: Principal, period_key: str) -> AsyncIterator[list]:
    """One row per team; pay and cost totals left empty where the viewer may not see them."""
    view = await get_period(period_key)
    names = dict(await Team.all().values_list("id", "name"))
    for team_id, f in (await contribution.team_contribution(view)).items():
        private = can_see_team_pay(principal, team_id)
        yield [view.key, names[team_id], f.goal_progress, f.mqls_delivered, f.sals, f.sqls, f.sourced_pipeline,
               f.influenced_pipeline, f.attributed_bookings, f.sla_compliance,
               f.payouts_accrued if private else None, f.wasted_selling_cost if private else None]


ATTRIBUTION_COLUMNS = ["period", "model", "group_by", "key", "label", "pipeline", "bookings", "pipeline_share",
                       "bookings_share"]


async def attribution_rows(principal: Principal, period_key: str, model: str | None = None,
                           group_by: str | None = None) -> AsyncIterator[list]:
    """The credit lines of `attribution(period, model, groupBy)`: model of record and TEAM by default."""
    view = await get_period(period_key)
    choice = await attribution.model_of_record(view.key) if not model else attribution.ModelChoice(
        attribution_rules.Model(model))
    grouping = attribution.GroupBy(group_by or "TEAM")
    result = await attribution.attribution(view, choice, grouping)
    share = lambda part, whole: None if whole == 0 else (Decimal(part) / Decimal(whole)).normalize()
    for line in result.lines:
        yield [view.key, choice.model.value, grouping.value, line.key, line.label, from_cents(line.pipeline_cents),
               from_cents(line.bookings_cents), share(line.pipeline_cents, result.pipeline_total_cents),
               share(line.bookings_cents, result.bookings_total_cents)]


CREDIT_COLUMNS = ["period", "model", "opportunity", "opportunity_name", "status", "in_pipeline", "in_bookings",
                  "touch_at", "channel", "campaign", "team", "person", "weight", "amount"]


async def credit_rows(principal: Principal, period_key: str) -> AsyncIterator[list]:
    """One row per deal and touch under the period's model of record (UNATTRIBUTED for a deal without touches)."""
    view = await get_period(period_key)
    choice = await attribution.model_of_record(view.key)
    teams = dict(await Team.all().values_list("id", "name"))
    people = dict(await Person.all().values_list("id", "name"))
    now = clock.now()
    for deal in await attribution.deals(view):
        o = deal.opportunity
        base = [view.key, choice.model.value, o.external_id, o.name, o.status.value, str(deal.in_pipeline).lower(),
                str(deal.in_bookings).lower()]
        touches = deal.journey.touches
        if not touches:
            yield base + ["", "", "", attribution.UNATTRIBUTED, "", "", from_cents(o.amount_cents)]
            continue
        weights = attribution_rules.weights(choice.model, deal.journey, choice.half_life_days, choice.custom, now)
        for touch, weight, cents in zip(touches, weights, attribution_rules.split(o.amount_cents, weights)):
            yield base + [touch.at.isoformat(), touch.channel, touch.campaign, teams.get(touch.team_id, ""),
                          people.get(touch.person_id, ""), weight.normalize(), from_cents(cents)]


REPORTS = {"payouts": (PAYOUT_COLUMNS, payout_rows), "team-contribution": (CONTRIBUTION_COLUMNS, contribution_rows),
           "attribution": (ATTRIBUTION_COLUMNS, attribution_rows), "credits": (CREDIT_COLUMNS, credit_rows)}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


async def export(request: Request):
    report = request.path_params["report"]
    if report not in REPORTS:
        return _error(404, "NOT_FOUND", f"no report named {report}; there are: {', '.join(sorted(REPORTS))}")
    principal = await export_principal_of(request)
    if principal is None:
        return _error(401, "UNAUTHENTICATED", "send `Authorization: Bearer <token>`, or ?token=<export token>")
    period = request.query_params.get("period")
    if not period:
        return _error(400, "INVALID", "give ?period=2026-Q4")
    columns, rows = REPORTS[report]
    options = {}
    if report == "attribution":
        options = {"model": request.query_params.get("model"), "group_by": request.query_params.get("groupBy")}
        if options["model"] and options["model"] not in attribution_rules.Model.__members__:
            return _error(400, "INVALID", f"model is one of {', '.join(attribution_rules.Model.__members__)}")
        if options["model"] == "CUSTOM":
            return _error(400, "INVALID", "CUSTOM weights go through GraphQL's attribution(weights:)")
        if options["group_by"] and options["group_by"] not in attribution.GroupBy.__members__:
            return _error(400, "INVALID", f"groupBy is one of {', '.join(attribution.GroupBy.__members__)}")
    try:
        await get_period(period)
    except DomainError as e:
        return _error(400, "INVALID", e.problems[0].message)
    return StreamingResponse(stream_csv(columns, rows(principal, period, **options)), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{report}-{period}.csv"'})
