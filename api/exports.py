"""CSV exports: `GET /export/{report}.csv?period=…` for payouts, team-contribution, attribution, credits, objectives,
sla and leads; streamed as rows come (in chunks of about 64 KiB), header first, snake_case columns, cells that a
spreadsheet would run as a formula escaped. The same figures as GraphQL, from the same functions; none of these
reports shows pay or cost the viewer may not see (payouts and team-contribution follow the privacy rule, the
others carry no pay or cost)."""
from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import date
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from api.auth import export_principal_of
from api.limits import allowance_of, over_budget
from domain import clock, numbers
from domain.attribution import queries as attribution
from domain.attribution import rules as attribution_rules
from domain.contribution import queries as contribution
from domain.access.rules import can_see_team_pay
from domain.comp.service import visible_statements
from domain.errors import DomainError
from domain.goals import history
from domain.goals import queries as goals_queries
from domain.leads import queries as lead_queries
from domain.leads import sla
from domain.leads.models import Lead
from domain.leads.rules import Stage, lead_response_hours
from domain.money import from_cents
from domain.org.models import Period as PeriodRow
from domain.org.models import Person, Team
from domain.org.rules import Principal
from domain.org.service import get_period
from domain.turns import Turns
from schema.core.costs import export_cost
from schema.core.ids import encode_id

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str:
    """A text cell starting with = + - @ (or a tab or carriage return) is prefixed with ' so spreadsheets show it
    as text instead of running it. Numbers come already in their written form (domain/numbers.py) and are written
    as GraphQL's JSON holds them: Decimals in plain notation, floats as JSON writes them (`0.5`, `0.543016`), so a
    negative figure such as -0.25 is a number, not a formula."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(_FORMULA_START) else value
    if kind is int or kind is float:
        return str(value)
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


_CHUNK = 64 * 1024  # characters of CSV gathered before a write to the socket


async def stream_csv(header: list[str], rows: AsyncIterator[Iterable] | Iterable[Iterable]) -> AsyncIterator[str]:
    """The header, then the rows, in chunks of about 64 KiB (a large export is not one write per row). Nothing is
    kept but the chunk being filled: memory stays flat whatever the number of rows, as long as `rows` streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    write = writer.writerow

    def flush() -> str:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    write(header)
    yield flush()
    turns = Turns()  # a large export is CPU work too: others get the event loop every few ms
    if hasattr(rows, "__aiter__"):
        async for row in rows:
            write([escape_cell(v) for v in row])
            if buffer.tell() >= _CHUNK:
                yield flush()
            if turns.due():
                await turns.give()
    else:
        for row in rows:
            write([escape_cell(v) for v in row])
            if buffer.tell() >= _CHUNK:
                yield flush()
            if turns.due():
                await turns.give()
    rest = flush()
    if rest:
        yield rest


PAYOUT_COLUMNS = ["period", "person_email", "person_name", "team", "component", "metric", "metric_value", "quota",
                  "attainment", "curve_value", "gate_open", "payout", "kind", "draw_balance"]


AS_OF_PAYOUT_COLUMNS = ["locked_payout", "difference_from_locked"]


async def payout_rows(principal: Principal, period_key: str, as_of: date | None = None) -> AsyncIterator[list]:
    """One row per person and component (accrued while open, locked once closed), one for a draw, one per clawback
    not waived, then one per
    adjustment; `draw_balance` is what the person still owes of recoverable draws after the statement. As of a day
    (?asOf=): the recomputation, each component's row ending with the locked payout and the difference on a closed
    period (AS_OF_PAYOUT_COLUMNS, empty on other rows and on an open period)."""
    view = await get_period(period_key)
    statements = await visible_statements(principal, view, as_of=as_of)
    people = {p.id: p for p in await Person.filter(id__in=[s.person_id for s in statements])}
    teams = dict(await Team.all().values_list("id", "name"))
    for s in statements:
        person = people[s.person_id]
        base = [view.key, person.email, person.name, teams.get(person.team_id, "")]
        balance = numbers.money(s.draw.balance_after)
        record = {x.position: x.line.payout for x in s.locked_record.lines} if s.locked_record else None
        for x in s.lines:
            line = x.line
            compared = [] if as_of is None else [None, None] if record is None else [
                numbers.money(record.get(x.position)), numbers.money(line.payout - record.get(x.position, 0))]
            yield base + [line.component, line.metric.value, numbers.comp_metric_value(line.metric_value, line.metric),
                          numbers.comp_metric_value(line.quota, line.metric), numbers.ratio(line.attainment),
                          numbers.ratio(line.curve_value), str(line.gate_open).lower(), numbers.money(line.payout),
                          "LOCKED" if s.locked else "ACCRUED", balance] + compared
        tail = [] if as_of is None else [None, None]
        if s.draw.amount:
            yield base + ["Draw", "", "", "", "", "", "", numbers.money(s.draw.amount), "DRAW", balance] + tail
        for c in s.clawbacks:
            if c.waived_at is None:
                yield base + [c.component, "", "", "", "", "", "", numbers.money(from_cents(c.amount_cents)),
                              "CLAWBACK", balance] + tail
        for a in s.adjustments:
            yield base + [a.component or "", "", "", "", "", "", "", numbers.money(from_cents(a.amount_cents)),
                          "ADJUSTMENT", balance] + tail


CONTRIBUTION_COLUMNS = ["period", "team", "goal_progress", "mqls_delivered", "sals", "sqls", "sourced_pipeline",
                        "influenced_pipeline", "attributed_bookings", "sla_compliance", "payouts_accrued",
                        "wasted_selling_cost"]


async def contribution_rows(principal: Principal, period_key: str, as_of: date | None = None) -> AsyncIterator[list]:
    """One row per team (as of a day with ?asOf=); pay and cost totals left empty where the viewer may not see
    them."""
    view = await get_period(period_key)
    names = dict(await Team.all().values_list("id", "name"))
    for team_id, f in (await contribution.team_contribution(view, as_of)).items():
        visible = can_see_team_pay(principal, team_id)
        yield [view.key, names[team_id], numbers.ratio(f.goal_progress), f.mqls_delivered, f.sals, f.sqls,
               numbers.money(f.sourced_pipeline), numbers.money(f.influenced_pipeline),
               numbers.money(f.attributed_bookings), numbers.ratio(f.sla_compliance),
               numbers.money(f.payouts_accrued) if visible else None,
               numbers.money(f.wasted_selling_cost) if visible else None]


ATTRIBUTION_COLUMNS = ["period", "model", "group_by", "key", "label", "pipeline", "bookings", "pipeline_share",
                       "bookings_share"]


async def attribution_rows(principal: Principal, period_key: str, model: str | None = None,
                           group_by: str | None = None, choice=None) -> AsyncIterator[list]:
    """The credit lines of `attribution(period, model, groupBy, markovOrder)`: model of record and TEAM by default
    (`choice`: the model already checked and resolved by the route)."""
    view = await get_period(period_key)
    if choice is None:
        choice = await attribution.model_of_record(view.key) if not model else attribution.ModelChoice(
            attribution_rules.Model(model))
    grouping = attribution.GroupBy(group_by or "TEAM")
    result = await attribution.attribution(view, choice, grouping)
    share = lambda part, whole: numbers.ratio(attribution_rules.share_of_total(part, whole))
    for line in result.lines:
        yield [view.key, choice.model.value, grouping.value, line.key, line.label,
               numbers.money(from_cents(line.pipeline_cents)), numbers.money(from_cents(line.bookings_cents)),
               share(line.pipeline_cents, result.pipeline_total_cents),
               share(line.bookings_cents, result.bookings_total_cents)]


CREDIT_COLUMNS = ["period", "model", "opportunity", "opportunity_name", "status", "in_pipeline", "in_bookings",
                  "touch_at", "channel", "campaign", "team", "person", "weight", "amount"]


async def credit_rows(principal: Principal, period_key: str) -> AsyncIterator[list]:
    """One row per deal and touch under the period's model of record (UNATTRIBUTED for a deal without touches)."""
    view = await get_period(period_key)
    choice = await attribution.model_of_record(view.key)
    teams = dict(await Team.all().values_list("id", "name"))
    people = dict(await Person.all().values_list("id", "name"))
    deal_list = await attribution.deals(view)
    for rows in attribution.iter_credit_rows(deal_list, choice, clock.now()):
        o, deal = rows[0].deal.opportunity, rows[0].deal
        base = [view.key, choice.model.value, o.external_id, o.name, o.status.value, str(deal.in_pipeline).lower(),
                str(deal.in_bookings).lower()]
        for row in rows:
            touch = row.touch
            if touch is None:
                yield base + ["", "", "", attribution.UNATTRIBUTED, "", "", numbers.money(from_cents(row.cents))]
                continue
            yield base + [touch.at.isoformat(), touch.channel, touch.campaign, teams.get(touch.team_id, ""),
                          people.get(touch.person_id, ""), numbers.weight(row.weight),
                          numbers.money(from_cents(row.cents))]


OBJECTIVE_COLUMNS = ["period", "objective_id", "objective", "owners", "status", "progress", "expected_progress",
                     "score", "score_override_reason", "key_result_id", "key_result", "kind", "unit", "source",
                     "metric", "start", "target", "weight", "current", "key_result_progress",
                     "key_result_raw_progress", "key_result_status"]


async def objective_rows(principal: Principal, period_key: str) -> AsyncIterator[list]:
    """One row per live key result of each live objective of the period (one row with empty key result columns
    for an objective without any), in id order; the figures of `objectives(period)` from the same evaluation."""
    view = await get_period(period_key)
    teams = dict(await Team.all().values_list("id", "name"))
    async for x in goals_queries.period_objectives(view.key):
        o, f = x.objective, x.figures
        owners = "; ".join(f"{teams.get(w.team_id, '')} ({numbers.weight(w.share)})" for w in x.owners)
        base = [view.key, encode_id("Objective", o.id), o.title, owners, f.status.value, numbers.ratio(f.progress),
                numbers.ratio(f.expected_progress), numbers.ratio(f.final_score), f.score_override_reason]
        if not x.key_results:
            yield base + [None] * (len(OBJECTIVE_COLUMNS) - len(base))
        for kr in x.key_results:
            k = f.key_results.get(kr.id)
            yield base + [encode_id("KeyResult", kr.id), kr.title, kr.kind.value, kr.unit.value, kr.source.value,
                          kr.metric_name, numbers.key_result_value(kr.start, kr.unit),
                          numbers.key_result_value(kr.target, kr.unit), numbers.weight(kr.weight),
                          numbers.key_result_value(k.current, kr.unit) if k else None,
                          numbers.ratio(k.progress) if k else None, numbers.ratio(k.raw_progress) if k else None,
                          k.status.value if k else None]


SLA_COLUMNS = ["period", "marketing_team", "sales_team", "level", "side", "team", "person_email", "person_name",
               "month", "met", "counted", "compliance", "open_breaches", "missed", "mql_volume", "mql_volume_target",
               "volume_met", "acceptance_rate", "acceptance_rate_target", "acceptance_met", "follow_up_compliance",
               "follow_up_rate_target", "follow_up_met", "median_response_hours", "p90_response_hours", "item",
               "state", "lead", "due", "done_at", "overdue_hours"]
_SLA_AT = {name: i for i, name in enumerate(SLA_COLUMNS)}


def _bool(value: bool | None) -> str | None:
    return None if value is None else str(value).lower()


def _sla_row(**cells) -> list:
    row = [None] * len(SLA_COLUMNS)
    for name, value in cells.items():
        row[_SLA_AT[name]] = value
    return row


async def sla_rows(principal: Principal, period_key: str) -> AsyncIterator[list]:
    """`slaReport` of every SLA agreement of the period (in id order), as rows told apart by `level`:
    AGREEMENT (the headline figures and targets), SIDE (each side's compliance, with its team), PERSON (each
    person's compliance on a side, marketing first, by person id), AWARD (the monthly awards), BREACH (each open
    or missed commitment, by due time, with the lead's external id and the person the commitment was theirs).
    `open_breaches` and `missed` count the BREACH rows of the agreement, side or person."""
    view = await get_period(period_key)
    stored = await PeriodRow.get_or_none(key=view.key)
    if stored is None:
        return
    teams = dict(await Team.all().values_list("id", "name"))
    people = {pid: (email, name, team_id) for pid, email, name, team_id in
              await Person.all().values_list("id", "email", "name", "team_id")}
    for agreement in await lead_queries.agreements(stored.id):
        result = await lead_queries.sla_result(agreement, view)
        f = result.figures
        pair = dict(period=view.key, marketing_team=teams.get(agreement.marketing_team_id, ""),
                    sales_team=teams.get(agreement.sales_team_id, ""))
        team_of_side = {sla.Side.MARKETING: pair["marketing_team"], sla.Side.SALES: pair["sales_team"]}
        tally = sla.breach_tally(f.items)
        person_of = tally.person_of

        def counts(side=None, person=None) -> dict:
            open_breaches, missed = tally.open_and_missed(side, person)
            return dict(open_breaches=open_breaches, missed=missed)

        def who(person_id) -> dict:
            email, name, team_id = people.get(person_id, ("", "", None))
            return dict(person_email=email, person_name=name, team=teams.get(team_id, ""))

        yield _sla_row(**pair, level="AGREEMENT", **counts(), mql_volume=f.mql_volume,
                       mql_volume_target=agreement.mql_volume, volume_met=_bool(f.volume_met),
                       acceptance_rate=numbers.ratio(f.acceptance_rate),
                       acceptance_rate_target=numbers.ratio(agreement.acceptance_rate_target),
                       acceptance_met=_bool(f.acceptance_met),
                       follow_up_compliance=numbers.ratio(f.follow_up_compliance),
                       follow_up_rate_target=numbers.ratio(agreement.follow_up_rate_target),
                       follow_up_met=_bool(f.follow_up_met),
                       median_response_hours=numbers.hours(f.response_median_hours),
                       p90_response_hours=numbers.hours(f.response_p90_hours))
        for side, c in ((sla.Side.MARKETING, f.marketing), (sla.Side.SALES, f.sales)):
            yield _sla_row(**pair, level="SIDE", side=side.value, team=team_of_side[side], met=c.met,
                           counted=c.counted, compliance=numbers.ratio(c.compliance), **counts(side))
        for side, by_person in ((sla.Side.MARKETING, f.marketing_by_person), (sla.Side.SALES, f.sales_by_person)):
            for person_id, c in sorted(by_person.items()):
                yield _sla_row(**pair, level="PERSON", side=side.value, **who(person_id), met=c.met,
                               counted=c.counted, compliance=numbers.ratio(c.compliance),
                               **counts(side, person_id))
        for a in result.awards:
            yield _sla_row(**pair, level="AWARD", side=a.side.value, **who(a.person_id), month=a.month, met=a.met,
                           counted=a.counted, compliance=numbers.ratio(a.compliance))
        lead_ids = sorted({b.lead_id for b in f.breaches})
        external = {}
        for i in range(0, len(lead_ids), 5000):
            external.update(await Lead.filter(id__in=lead_ids[i:i + 5000]).values_list("id", "external_id"))
        for b in f.breaches:
            person_id = person_of.get((b.lead_id, b.item))
            person = {**(who(person_id) if person_id is not None else {}), "team": team_of_side[b.side]}
            yield _sla_row(**pair, level="BREACH", side=b.side.value, **person,
                           item=b.item.value, state=b.state.value, lead=external.get(b.lead_id),
                           due=b.due.isoformat(), done_at=b.done_at.isoformat() if b.done_at else None,
                           overdue_hours=numbers.hours(b.overdue_hours))


LEAD_COLUMNS = ["period", "external_id", "company", "contact_name", "email", "industry", "employees", "region",
                "title", "source", "created_at", "stage", "owner_email", "owner_name", "owner_team",
                "first_touch_team", "mql_at", "handover_at", "first_follow_up_at", "response_hours", "attempts",
                "decision", "decision_at", "sal_at", "sql_at"]
LEAD_SCORE_COLUMNS = ["fit_score", "engagement_score", "qualifies"]


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


async def lead_rows(principal: Principal, period_key: str, stage: str | None = None,
                    score: bool = False) -> AsyncIterator[list]:
    """One row per lead created in the period or with a stage change (a STAGE event) in it, in id order,
    optionally only those now at `stage`: the lead's fields and its stored facts (the first MQL's SLA facts), owner
    and teams by name. With `score`, the score under the active definition as of the export's start (as
    `Lead.score` gives it; blank without an active definition). Streamed in constant memory: keyset pages of
    5,000 leads (lead_export_pages), people and teams from two small dicts read once."""
    view = await get_period(period_key)
    teams = dict(await Team.all().values_list("id", "name"))
    people = {pid: (email, name) for pid, email, name in await Person.all().values_list("id", "email", "name")}
    definition = await lead_queries.active_definition() if score else None
    as_of = clock.now()
    nobody = ("", "")
    key = view.key
    async for page in lead_queries.lead_export_pages(view, Stage(stage) if stage else None):
        scores = await lead_queries.lead_export_scores(page, definition, as_of) if definition else None
        for i, r in enumerate(page):
            owner_email, owner_name = people.get(r.owner_person_id, nobody) if r.owner_person_id else nobody
            handover, follow_up = r.handover_at, r.first_follow_up_at
            row = [key, r.external_id, r.company, r.contact_name, r.email, r.industry, r.employees, r.region,
                   r.title, r.source, r.created_at.isoformat(), r.stage, owner_email, owner_name,
                   teams.get(r.owner_team_id, "") if r.owner_team_id else "",
                   teams.get(r.first_touch_team_id, "") if r.first_touch_team_id else "",
                   _iso(r.mql_at), _iso(handover), _iso(follow_up),
                   numbers.hours(lead_response_hours(handover, follow_up)),
                   r.attempts, r.decision, _iso(r.decision_at), _iso(r.sal_at), _iso(r.sql_at)]
            if score:
                if scores is None:
                    row += [None, None, None]
                else:
                    fit, engagement, qualifies = scores[i]
                    row += [numbers.points(fit), numbers.points(engagement), _bool(qualifies)]
            yield row


REPORTS = {"payouts": (PAYOUT_COLUMNS, payout_rows), "team-contribution": (CONTRIBUTION_COLUMNS, contribution_rows),
           "attribution": (ATTRIBUTION_COLUMNS, attribution_rows), "credits": (CREDIT_COLUMNS, credit_rows),
           "objectives": (OBJECTIVE_COLUMNS, objective_rows), "sla": (SLA_COLUMNS, sla_rows),
           "leads": (LEAD_COLUMNS, lead_rows)}


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
        return _error(400, "INVALID", "give ?period=2026-Q4 (or current, previous or next)")
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
        order = request.query_params.get("markovOrder", "1")
        if order not in ("1", "2", "3"):
            return _error(400, "INVALID", "markovOrder is 1, 2 or 3")
        options["markov_order"] = int(order)
    if report == "leads":
        stage, score = request.query_params.get("stage"), request.query_params.get("score", "false")
        if stage and stage not in Stage.__members__:
            return _error(400, "INVALID", f"stage is one of {', '.join(Stage.__members__)}")
        if score not in ("true", "false"):
            return _error(400, "INVALID", "score is true or false")
        options = {"stage": stage or None, "score": score == "true"}
        if options["score"]:
            columns = columns + LEAD_SCORE_COLUMNS
    if report == "payouts" and "asOf" in request.query_params:
        columns = columns + AS_OF_PAYOUT_COLUMNS
    try:
        if report in ("payouts", "team-contribution") and "asOf" in request.query_params:
            options["as_of"] = history.as_of_day(request.query_params["asOf"])
        view = await get_period(period)
        period = view.key  # "current", "previous", "next" resolved here, once
        if options.get("as_of") is not None:  # refused before the first row: outside the period or after today
            history.as_of(view, options["as_of"])
        if report == "attribution":  # a data-driven model's chain (and its refusals) before the first row
            order = options.pop("markov_order")
            if options["model"]:
                options["choice"] = await attribution.with_effects(view, attribution.model_choice(
                    attribution_rules.Model(options["model"]), markov_order=order))
    except DomainError as e:
        return _error(400, e.problems[0].code.value, e.problems[0].message)
    allowance = allowance_of(request.scope)  # the cost of the report's GraphQL twin (README, Field costs)
    if allowance is not None and (receipt := allowance.spend(export_cost(report, request.query_params))).refused:
        return over_budget(receipt, f"The {report} export")
    return StreamingResponse(stream_csv(columns, rows(principal, period, **options)), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{report}-{period}.csv"'})
