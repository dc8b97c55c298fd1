"""Stored per-lead SLA rows (SlaLead): each MQL's commitments under each agreement of its period, their due times
worked out once (business hours included), so that a report counts states, compliance, people and awards in SQL
against the clock instead of rebuilding every lead's items in Python.

The rows are kept current in the transaction that changes a lead's facts (`refresh_for_leads`, called by
facts.refresh_leads), written for every existing MQL when an agreement is created (`write_agreement`), and
`rebuild_all()` recomputes them from the facts (a test compares it with the kept-current rows).

What a row holds does not depend on the clock or on team membership: the states are worked out when read, with
`:now`, and whether a hand-over went to the agreement's sales team is read from `person` then. So the SQL here is
the rules of domain/leads/sla.py (lead_items, compliance_of, _by_person, _awards, breaches) said in SQL over the
stored due times; tests hold the two to the same figures, boundaries included. `items()` and `leads()` give the
rows back as the pure rules' inputs, for the reports that list every item (traces, the CSV)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from datetime import datetime, timedelta, timezone

from tortoise.expressions import Subquery

from domain import bulk, config, rawsql
from domain.rawsql import as_utc
from domain.memo import Memo
from domain.leads.mqls import first_marketing_person, mql_facts_query
from domain.leads import sla
from domain.leads.models import SlaAgreement, SlaLead
from domain.org.models import Period
from domain.org.rules import PeriodStatus
from domain.org.service import PeriodView

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """A time as whole microseconds since the epoch (UTC; a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _MICRO


def moment(us: int | None) -> datetime | None:
    """micros() back to an aware UTC datetime."""
    return None if us is None else EPOCH + timedelta(microseconds=us)


def _month(due: datetime) -> int:
    due = due.astimezone(UTC)
    return due.year * 100 + due.month


def month_name(yyyymm: int) -> str:
    """A stored month (yyyymm) as sla.due_month names it ("2026-11")."""
    return f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"


def terms_tz(agreement: SlaAgreement) -> str:
    """The time zone an agreement's due times depend on ('' without business hours)."""
    return config.current().timezone if agreement.business_hours_only else ""


def agreement_terms(a: SlaAgreement, timezone: str) -> sla.Agreement:
    """An agreement's terms as the pure rules take them, its business hours in `timezone`."""
    return sla.Agreement(mql_volume=a.mql_volume, acceptance_rate_target=a.acceptance_rate_target,
                         handover_hours=a.handover_hours, follow_up_hours=a.follow_up_hours,
                         follow_up_rate_target=a.follow_up_rate_target, minimum_attempts=a.minimum_attempts,
                         decision_days=a.decision_days, business_hours_only=a.business_hours_only, timezone=timezone)


# --- writing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Terms:
    agreement: SlaAgreement
    terms: sla.Agreement
    dues: "sla.DueTimes"
    tz: str
    start: datetime
    end: datetime


async def terms(agreements: Iterable[SlaAgreement] | None = None) -> list[_Terms]:
    """The agreements (all by default) with their due-time functions and period bounds, for the writers."""
    found = list(agreements) if agreements is not None else await SlaAgreement.all().order_by("id")
    periods = {p.id: p for p in await Period.filter(id__in=sorted({a.period_id for a in found}))}
    zone = config.current().timezone
    out = []
    for a in found:
        terms = agreement_terms(a, zone)
        period = periods[a.period_id]
        out.append(_Terms(a, terms, sla.DueTimes.of(terms), terms_tz(a), as_utc(period.start), as_utc(period.end)))
    return out


SLA_COLUMNS = ("agreement_id", "lead_id", "mql_us", "marketing_person_id", "handover_due_us", "handover_month", "tz",
               "attempts_ok", "decision", "decision_us", "follow_up_us", "handover_us", "handover_owner_id",
               "follow_up_due_us", "follow_up_month", "decision_due_us", "decision_month")


def _row(t: _Terms, lead_id: int, mql_at: datetime, handover_at: datetime | None, handover_owner_id: int | None,
         first_follow_up_at: datetime | None, attempts: int, decision: str | None, decision_at: datetime | None,
         marketing_person_id: int | None) -> tuple:
    """One row of SLA_COLUMNS."""
    handover_due = t.dues.handover(mql_at)
    handover_us = follow_up_due_us = follow_up_month = decision_due_us = decision_month = None
    if handover_at is not None:
        follow_up_due, decision_due = t.dues.follow_up(handover_at), t.dues.decision(handover_at)
        handover_us = micros(handover_at)
        follow_up_due_us, follow_up_month = micros(follow_up_due), _month(follow_up_due)
        decision_due_us, decision_month = micros(decision_due), _month(decision_due)
    else:
        handover_owner_id = None
    return (t.agreement.id, lead_id, micros(mql_at), marketing_person_id, micros(handover_due), _month(handover_due),
            t.tz, attempts >= t.terms.minimum_attempts, decision, None if decision_at is None else micros(decision_at),
            None if first_follow_up_at is None else micros(first_follow_up_at), handover_us, handover_owner_id,
            follow_up_due_us, follow_up_month, decision_due_us, decision_month)


def _value(stage) -> str | None:
    return None if stage is None else getattr(stage, "value", stage)


def _rows_of_facts(terms: list[_Terms], facts: Iterable,
                   marketing_person: dict[int, int | None]) -> list[tuple]:
    """The rows of these facts under every agreement whose period holds the MQL and whose marketing team made the
    first touch."""
    rows = []
    for f in facts:
        if f.mql_at is None or f.first_touch_team_id is None:
            continue
        mql_at = as_utc(f.mql_at)
        for t in terms:
            if t.agreement.marketing_team_id == f.first_touch_team_id and t.start <= mql_at < t.end:
                rows.append(_row(t, f.lead_id, mql_at, as_utc(f.handover_at), f.handover_owner_id,
                                 as_utc(f.first_follow_up_at), f.attempts, _value(f.decision), as_utc(f.decision_at),
                                 marketing_person.get(f.lead_id)))
    return rows


async def refresh_for_leads(all_terms: list[_Terms], lead_ids: Sequence[int], facts: Iterable,
                            marketing_person: dict[int, int | None], connection=None) -> None:
    """Replace the rows of these leads with those of their new facts (`all_terms`: terms() of every agreement;
    `facts`: the new facts of the leads that have any; `marketing_person`: the person of each one's first
    MARKETING touch; facts are LeadFact rows or anything with their attributes). Call in the transaction that
    wrote the facts. Without agreements there are no rows."""
    if not all_terms:
        return
    db = bulk.db_of(connection)
    await bulk.delete_where(db, "sla_lead", "lead_id", list(lead_ids))
    await bulk.insert(db, "sla_lead", SLA_COLUMNS, _rows_of_facts(all_terms, facts, marketing_person))


async def write_agreement(agreement: SlaAgreement) -> None:
    """The rows of a new agreement: every existing lead that became MQL in its period, first touched by its
    marketing team (the leads `sla_leads` reads)."""
    (t,) = await terms([agreement])
    view = PeriodView("", t.start, t.end, PeriodStatus.OPEN)
    facts = mql_facts_query(view, [agreement.marketing_team_id])
    marketers = await first_marketing_person(Subquery(mql_facts_query(view, [agreement.marketing_team_id])
                                                       .values("lead_id")))
    await SlaLead.filter(agreement_id=agreement.id).delete()
    await bulk.insert(bulk.db_of(), "sla_lead", SLA_COLUMNS, _rows_of_facts([t], await facts, marketers))


async def rebuild_all() -> None:
    """Recompute every row from the stored facts."""
    await SlaLead.all().delete()
    for agreement in await SlaAgreement.all().order_by("id"):
        await write_agreement(agreement)


# --- reading -----------------------------------------------------------------------------------

# The rows of an agreement's MQLs known by :now, each with `here`: handed over, by :now, to a person of the
# agreement's sales team (its sales items exist). NULL when not handed over: read as false by CASE and WHERE.
_BASE = """
  WITH x AS (
    SELECT s.*, (s.handover_owner_id IN (SELECT p.id FROM person p WHERE p.team_id = :sales_team)
                 AND s.handover_us <= :now) AS here
    FROM sla_lead s WHERE s.agreement_id = :agreement AND s.mql_us <= :now)"""

# Each item's met and counted (sla.item_state: done at or before due is MET; an item counts once done or past due;
# ATTEMPTS is met by enough attempts, whenever).
_HANDOVER_MET = "CASE WHEN here AND handover_us <= handover_due_us THEN 1 ELSE 0 END"
_HANDOVER_COUNTED = "CASE WHEN here OR handover_due_us < :now THEN 1 ELSE 0 END"
_FOLLOW_UP_DONE = "follow_up_us <= :now"
_FOLLOW_UP_MET = f"CASE WHEN here AND {_FOLLOW_UP_DONE} AND follow_up_us <= follow_up_due_us THEN 1 ELSE 0 END"
_FOLLOW_UP_COUNTED = f"CASE WHEN here AND ({_FOLLOW_UP_DONE} OR follow_up_due_us < :now) THEN 1 ELSE 0 END"
_DECIDED = "(decision IS NOT NULL AND decision_us <= :now)"
_DECISION_MET = f"CASE WHEN here AND {_DECIDED} AND decision_us <= decision_due_us THEN 1 ELSE 0 END"
_DECISION_COUNTED = f"CASE WHEN here AND ({_DECIDED} OR decision_due_us < :now) THEN 1 ELSE 0 END"
_ATTEMPTS_MET = "CASE WHEN here AND attempts_ok THEN 1 ELSE 0 END"
_ATTEMPTS_COUNTED = "CASE WHEN here AND (attempts_ok OR decision_due_us < :now) THEN 1 ELSE 0 END"
_SALES_MET = f"{_FOLLOW_UP_MET} + {_DECISION_MET} + {_ATTEMPTS_MET}"
_SALES_COUNTED = f"{_FOLLOW_UP_COUNTED} + {_DECISION_COUNTED} + {_ATTEMPTS_COUNTED}"

_HEADLINE = _BASE + f"""
  SELECT COUNT(*) AS volume, SUM(CASE WHEN {_DECIDED} AND decision = 'SAL' THEN 1 ELSE 0 END) AS accepted,
         SUM(CASE WHEN {_DECIDED} THEN 1 ELSE 0 END) AS decided,
         SUM({_FOLLOW_UP_MET}) AS follow_up_met, SUM({_FOLLOW_UP_COUNTED}) AS follow_up_counted,
         SUM({_HANDOVER_MET}) AS handover_met, SUM({_HANDOVER_COUNTED}) AS handover_counted,
         SUM({_SALES_MET}) AS sales_met, SUM({_SALES_COUNTED}) AS sales_counted,
         SUM(CASE WHEN here AND {_FOLLOW_UP_DONE} THEN 1 ELSE 0 END) AS responses,
         SUM(CASE WHEN tz <> :tz THEN 1 ELSE 0 END) AS other_zone
  FROM x"""


@dataclass(frozen=True)
class HeadlineCounts:
    """_HEADLINE's counts over an agreement's rows: the MQLs, accepted and decided ones, met and counted items of
    the follow-ups, the hand-overs and the sales side, the response times known, and the rows worked out in another
    time zone's business hours (`other_zone`: the report is then computed live)."""
    volume: int
    accepted: int
    decided: int
    follow_up_met: int
    follow_up_counted: int
    handover_met: int
    handover_counted: int
    sales_met: int
    sales_counted: int
    responses: int
    other_zone: int

    @classmethod
    def of(cls, **row) -> "HeadlineCounts":
        return cls(**{name: int(row[name] or 0) for name in cls.__dataclass_fields__})

_RESPONSES = _BASE + f""",
  o AS (SELECT follow_up_us - handover_us AS m,
               ROW_NUMBER() OVER (ORDER BY follow_up_us - handover_us) AS rn
        FROM x WHERE here AND {_FOLLOW_UP_DONE})
  SELECT rn, m FROM o WHERE rn IN (:rank_low, :rank_high, :rank_p90)"""

_PEOPLE = _BASE + f"""
  SELECT 'MARKETING', marketing_person_id, SUM({_HANDOVER_MET}), SUM({_HANDOVER_COUNTED})
  FROM x WHERE marketing_person_id IS NOT NULL GROUP BY marketing_person_id
  UNION ALL
  SELECT 'SALES', handover_owner_id, SUM({_SALES_MET}), SUM({_SALES_COUNTED})
  FROM x WHERE here GROUP BY handover_owner_id"""

_AWARDS = _BASE + f""",
  i AS (
    SELECT handover_month AS month, 'MARKETING' AS side, marketing_person_id AS person, {_HANDOVER_MET} AS met
    FROM x WHERE marketing_person_id IS NOT NULL AND {_HANDOVER_COUNTED} = 1
    UNION ALL
    SELECT follow_up_month, 'SALES', handover_owner_id, {_FOLLOW_UP_MET} FROM x WHERE here AND {_FOLLOW_UP_COUNTED} = 1
    UNION ALL
    SELECT decision_month, 'SALES', handover_owner_id, {_DECISION_MET} FROM x WHERE here AND {_DECISION_COUNTED} = 1
    UNION ALL
    SELECT decision_month, 'SALES', handover_owner_id, {_ATTEMPTS_MET} FROM x WHERE here AND {_ATTEMPTS_COUNTED} = 1)
  SELECT month, side, person, SUM(met), COUNT(*) FROM i GROUP BY month, side, person"""

# Open and missed items: (lead, kind's order in sla.ItemKind, due, done or NULL while open), by due, lead, kind.
_BREACHES = _BASE + """,
  b AS (
    SELECT lead_id, 0 AS kind, handover_due_us AS due, CASE WHEN here THEN handover_us END AS done
    FROM x WHERE CASE WHEN here THEN handover_us > handover_due_us ELSE handover_due_us < :now END
    UNION ALL
    SELECT lead_id, 1, follow_up_due_us, CASE WHEN follow_up_us <= :now THEN follow_up_us END
    FROM x WHERE here AND CASE WHEN follow_up_us <= :now THEN follow_up_us > follow_up_due_us
                               ELSE follow_up_due_us < :now END
    UNION ALL
    SELECT lead_id, 2, decision_due_us, CASE WHEN decision IS NOT NULL AND decision_us <= :now THEN decision_us END
    FROM x WHERE here AND CASE WHEN decision IS NOT NULL AND decision_us <= :now THEN decision_us > decision_due_us
                               ELSE decision_due_us < :now END
    UNION ALL
    SELECT lead_id, 3, decision_due_us, NULL FROM x WHERE here AND NOT attempts_ok AND decision_due_us < :now)
  SELECT lead_id, kind, due, done FROM b ORDER BY due, lead_id, kind LIMIT :limit OFFSET :offset"""
_BREACH_COUNT = _BREACHES.rsplit("SELECT lead_id, kind, due, done FROM b", 1)[0] + "SELECT COUNT(*) FROM b"

_ROWS = _BASE + """
  SELECT lead_id, mql_us, marketing_person_id, handover_due_us, handover_us, handover_owner_id, follow_up_due_us,
         decision_due_us, follow_up_us, decision, decision_us, attempts_ok,
         handover_owner_id IN (SELECT p.id FROM person p WHERE p.team_id = :sales_team) AS in_team
  FROM x ORDER BY lead_id"""


class StoredRow(NamedTuple):
    """A row of _ROWS: an SLA row's stored times (microseconds) as written, and `in_team`: whether the lead was
    handed over to a person of the agreement's sales team (SQLite gives 0/1, NULL when not handed over)."""
    lead_id: int
    mql_us: int
    marketing_person_id: int | None
    handover_due_us: int
    handover_us: int | None
    handover_owner_id: int | None
    follow_up_due_us: int | None
    decision_due_us: int | None
    follow_up_us: int | None
    decision: str | None
    decision_us: int | None
    attempts_ok: bool | int
    in_team: bool | int | None

_KINDS = list(sla.ItemKind)


class StoredSla:
    """One agreement's SLA report as of `now`, read from its stored rows a group at a time (headline, response
    times, people, awards, a page of breaches, every item): the same figures as sla.sla_report_and_awards over the
    agreement's leads. `stale` (from the headline) says the rows were worked out in another time zone's business
    hours; the caller then computes live."""

    def __init__(self, agreement: SlaAgreement, terms: sla.Agreement, now: datetime) -> None:
        self.agreement, self.terms, self.now = agreement, terms, now
        self._params = dict(agreement=agreement.id, sales_team=agreement.sales_team_id, now=micros(now))
        self._memo = Memo()

    async def _rows(self, text: str, **extra) -> list:
        return await rawsql.rows(text, **self._params, **extra)

    async def _counts(self) -> HeadlineCounts:
        async def compute():
            (found,) = await rawsql.records(HeadlineCounts.of, _HEADLINE, **self._params, tz=terms_tz(self.agreement))
            return found
        return await self._memo("counts", compute)

    async def stale(self) -> bool:
        return (await self._counts()).other_zone > 0

    async def sides(self) -> dict[sla.Side, sla.SideCompliance]:
        c = await self._counts()
        return {sla.Side.MARKETING: sla.SideCompliance.of(c.handover_met, c.handover_counted),
                sla.Side.SALES: sla.SideCompliance.of(c.sales_met, c.sales_counted)}

    async def follow_up(self) -> sla.SideCompliance:
        c = await self._counts()
        return sla.SideCompliance.of(c.follow_up_met, c.follow_up_counted)

    async def headline(self) -> sla.Headline:
        c = await self._counts()
        median, p90 = await self._memo("responses", lambda: self._response_hours(c.responses))
        return sla.headline(self.terms, c.volume, c.accepted, c.decided,
                            sla.SideCompliance.of(c.follow_up_met, c.follow_up_counted),
                            sla.SideCompliance.of(c.handover_met, c.handover_counted),
                            sla.SideCompliance.of(c.sales_met, c.sales_counted), median, p90)

    async def _response_hours(self, n: int):
        if not n:
            return None, None
        low, high, p90 = sla.response_ranks(n)
        picked = {int(rank): int(m) for rank, m in await self._rows(_RESPONSES, rank_low=low, rank_high=high,
                                                                      rank_p90=p90)}
        return sla.median_and_p90_hours(n, picked.__getitem__)

    async def response_micros(self) -> list[int]:
        """Every response time (first follow-up - hand-over, microseconds), in no particular order."""
        return [m for m, in await self._rows(_BASE + f"""
            SELECT follow_up_us - handover_us FROM x WHERE here AND {_FOLLOW_UP_DONE}""")]

    async def people(self) -> tuple[dict[int, sla.SideCompliance], dict[int, sla.SideCompliance]]:
        """(marketing, sales): each person's compliance on their side, by person id."""
        async def compute():
            by_side: dict[str, dict[int, sla.SideCompliance]] = {"MARKETING": {}, "SALES": {}}
            for side, person, met, counted in await self._rows(_PEOPLE):
                by_side[side][person] = sla.SideCompliance.of(int(met), int(counted))
            return tuple(dict(sorted(by_side[s].items())) for s in ("MARKETING", "SALES"))
        return await self._memo("people", compute)

    async def awards(self) -> list[sla.Award]:
        async def compute():
            return sla.awards_of((month_name(month), side, person, int(met), int(counted))
                                 for month, side, person, met, counted in await self._rows(_AWARDS))
        return await self._memo("awards", compute)

    async def breaches(self, offset: int, limit: int) -> list[sla.Breach]:
        """The breaches (sla.SlaFigures.breaches) from position `offset` (0-based), at most `limit`."""
        out = []
        for lead_id, kind, due, done in await self._rows(_BREACHES, limit=limit, offset=offset):
            kind = _KINDS[kind]
            out.append(sla.Breach(lead_id, sla.SIDE_OF[kind], kind,
                                  sla.ItemState.OPEN_BREACH if done is None else sla.ItemState.MISSED,
                                  moment(due), moment(done), self.now))
        return out

    async def breach_count(self) -> int:
        """How many breaches `breaches` pages through (one COUNT over the same rows)."""
        (found,) = await self._rows(_BREACH_COUNT)
        return int(found[0])

    async def weeks(self, weeks: Sequence[sla.Week]) -> list[tuple[sla.SideCompliance, sla.SideCompliance]]:
        """sla.weekly_compliance from the stored rows: one statement, each row's week found from its MQL time."""
        if not weeks:
            return []
        week = "CASE " + " ".join(f"WHEN mql_us < {micros(w.ends)} THEN {i}" for i, w in enumerate(weeks)) + " END"
        counts = {}
        for i, hand_met, hand_counted, sales_met, sales_counted in await self._rows(_BASE + f"""
                SELECT {week}, SUM({_HANDOVER_MET}), SUM({_HANDOVER_COUNTED}), SUM({_SALES_MET}), SUM({_SALES_COUNTED})
                FROM x WHERE mql_us >= {micros(weeks[0].begins)} GROUP BY {week}"""):
            if i is not None:
                counts[int(i)] = (sla.SideCompliance.of(int(hand_met or 0), int(hand_counted or 0)),
                                  sla.SideCompliance.of(int(sales_met or 0), int(sales_counted or 0)))
        empty = (sla.SideCompliance.of(0, 0), sla.SideCompliance.of(0, 0))
        return [counts.get(i, empty) for i in range(len(weeks))]

    async def follow_up_rows(self) -> list[sla.FollowUpRow] | None:
        """Every row as sla.follow_up_as_of reads it (one statement, whatever the clock), or None when the rows were
        worked out in another time zone's business hours (then the caller asks the live report)."""
        found = await rawsql.rows("""
            SELECT s.mql_us, s.handover_us, s.follow_up_us, s.follow_up_due_us,
                   s.handover_owner_id IN (SELECT p.id FROM person p WHERE p.team_id = :sales_team), s.tz
            FROM sla_lead s WHERE s.agreement_id = :agreement""", agreement=self.agreement.id,
                                  sales_team=self.agreement.sales_team_id)
        zone = terms_tz(self.agreement)
        if any(tz != zone for *_, tz in found):
            return None
        return [sla.FollowUpRow(m, h, f, d, bool(t)) for m, h, f, d, t, _ in found]

    async def leads_and_items(self) -> tuple[list[sla.LeadSla], list[sla.SlaItem]]:
        """The agreement's leads as sla.LeadSla (as queries.sla_leads gives them) and their items, worked out by
        sla.items_from_dues from the stored due times; by lead id."""
        leads, items = [], []
        for r in await rawsql.records(StoredRow, _ROWS, **self._params):
            here = bool(r.in_team) and r.handover_us is not None
            lead = sla.LeadSla(lead_id=r.lead_id, mql_at=moment(r.mql_us),
                               handover_at=moment(r.handover_us) if here else None,
                               handover_owner_id=r.handover_owner_id if here else None,
                               marketing_person_id=r.marketing_person_id,
                               first_follow_up_at=moment(r.follow_up_us) if here else None,
                               attempts=self.terms.minimum_attempts if here and r.attempts_ok else 0,
                               decision=r.decision, decision_at=moment(r.decision_us))
            leads.append(lead)
            items += sla.items_from_dues(lead, self.now, moment(r.handover_due_us),
                                         moment(r.follow_up_due_us) if here else None,
                                         moment(r.decision_due_us) if here else None, here and bool(r.attempts_ok))
        return leads, items
