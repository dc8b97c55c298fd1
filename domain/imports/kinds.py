"""What can be imported: one `Kind` per record type, each its keys, its table and how one row is checked.
A new kind is one more `Kind` and its `check` function, added to KINDS."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any

from domain import texts
from domain.attribution.models import OpportunityStatus, TouchKind
from domain.imports.ownership import MAX_TOUCH_MINUTES
from domain.imports.rules import EMAIL, Refs, Row
from domain.leads import rules as lead_rules
from domain.leads.rules import Behaviour, Stage

EVENT_TYPES = (*Behaviour.__members__, lead_rules.STAGE_EVENT, lead_rules.ASSIGNED_EVENT)
STAGES = tuple(Stage.__members__)
TOUCH_KINDS = tuple(TouchKind.__members__)
OPPORTUNITY_STATUSES = tuple(OpportunityStatus.__members__)
CLOSED = (OpportunityStatus.WON.value, OpportunityStatus.LOST.value)


@dataclass(frozen=True)
class Kind:
    name: str                         # as in `sharedgoals import KIND` and /import/{kind}
    table: str
    required: tuple[str, ...]         # keys every record has
    optional: tuple[str, ...]         # keys a record may have
    columns: tuple[str, ...]          # the columns a row writes, `external_id` first
    pg_types: tuple[str, ...]         # their PostgreSQL types, for the arrays a batch is sent in
    check: Callable[[Mapping[str, Any], Refs, str], tuple]  # (record, refs, importer's name) -> column values,
                                                            # or RowRefused with every reason
    mutable: bool                     # a changed row updates the record; else it is refused (facts are never edited)
    noun: str                         # for messages: "lead", "lead event"
    entity: str                       # for the audit log: "Lead"
    ignored_in_comparison: tuple[str, ...] = ()  # columns not taken from the file (so not compared)
    lead_column: str | None = None    # the column naming the lead, whose derived facts a new row changes
    scored: bool = True               # its rows are inputs of the lead scoring (touches are not)
    touches: bool = False             # its rows are touches: of a lead's facts they feed only the touch columns
                                      # (domain.leads.facts.refresh_touched_leads)
    key_of_column: Mapping[str, str] | None = None  # column -> key, for messages
    # The common case in a hurry: (values in key order, refs, importer's name) -> column values of a plain, valid
    # row (all text, as CSV gives), or None to let `check` decide (and give the reasons). Must agree with `check`,
    # as tests make sure.
    quick: Callable[..., tuple | None] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return self.required + self.optional

    def parse(self, values: tuple, refs: Refs, importer: str) -> tuple:
        """The column values of a record's values (in the order of `keys`); RowRefused when it is bad."""
        if self.quick is not None:
            row = self.quick(values, refs, importer)
            if row is not None:
                return row
        return self.check(dict(zip(self.keys, values)), refs, importer)

    @property
    def names_leads(self) -> bool:
        return "lead_external_id" in self.required

    def key(self, column: str) -> str:
        return (self.key_of_column or {}).get(column, column)


def check_lead(data: Mapping[str, Any], refs: Refs, importer: str) -> tuple:
    row = Row(data)
    values = (
        row.text("external_id", 128, required=True),
        row.text("company", 300, required=True),
        row.text("contact_name", 300, default=""),
        row.email("email") or "",
        row.text("industry", 120),
        row.count("employees"),
        row.text("region", 120),
        row.text("title", 200),
        row.text("source", 120),
        row.time("created_at"),
    )
    row.done()
    return values


def quick_lead(values: tuple, refs: Refs | None = None, importer: str | None = None) -> tuple | None:
    """check_lead's answer for a plain, valid lead row, or None (then check_lead decides)."""
    try:
        external_id, company, contact_name, email, industry, employees, region, title, source, created_at = values
        external_id, company, contact_name = external_id.strip(), company.strip(), contact_name.strip()
        email, employees = email.strip().lower(), employees.strip()
        industry, region, title, source = industry.strip(), region.strip(), title.strip(), source.strip()
        if not (external_id and company and len(external_id) <= 128 and len(company) <= 300
                and len(contact_name) <= 300 and len(industry) <= 120 and len(region) <= 120 and len(title) <= 200
                and len(source) <= 120 and (not email or (len(email) <= 320 and EMAIL.match(email)))
                and (not employees or (employees.isdigit() and employees.isascii() and len(employees) < 10))
                and "\x00" not in "".join(values)):
            return None
        at = datetime.fromisoformat(created_at)
        if at.tzinfo is None or at.utcoffset() is None:
            return None
        return (external_id, company, contact_name, email, industry or None, int(employees) if employees else None,
                region or None, title or None, source or None, at.astimezone(timezone.utc))
    except (AttributeError, TypeError, ValueError, OverflowError):  # not all text, a bad time: the careful way
        return None


def check_lead_event(data: Mapping[str, Any], refs: Refs, importer: str) -> tuple:
    row = Row(data)
    external_id = row.text("external_id", 128, required=True)
    lead_id = row.lead("lead_external_id", refs)
    at = row.time("at")
    type_ = row.choice("type", EVENT_TYPES, "a behaviour, STAGE or ASSIGNED")
    stage = reason_code = owner = None
    if type_ == lead_rules.STAGE_EVENT:
        stage = row.choice("stage", STAGES, "a stage")
        reason_code = row.text("reason_code", 32)
        if stage is not None:
            problem = lead_rules.reason_problem(Stage(stage), reason_code)
            if problem:
                row.reasons.append(problem)
    else:
        row.absent("stage", "STAGE events")
        row.absent("reason_code", "STAGE events")
    if type_ == lead_rules.ASSIGNED_EVENT:
        owner = row.person("owner_email", refs, required=True, active=True)
    else:
        row.absent("owner_email", "ASSIGNED events")
    actor = row.person("actor_email", refs)
    reason_text = row.text("reason_text", texts.REASON, default="")
    row.done()
    return (external_id, lead_id, at, type_, stage, owner.id if owner else None, actor.id if actor else None,
            actor.name if actor else importer, reason_code, reason_text)


_EVENT_TYPES = frozenset(EVENT_TYPES)
_STAGES = {s: Stage(s) for s in STAGES}
_BEHAVIOURS = frozenset(Behaviour.__members__)
_fromisoformat = datetime.fromisoformat
_EMPTY = ("", None)  # an optional value not given: CSV's empty cell, an absent column or key


@lru_cache(maxsize=4096)
def _given_email(given: str) -> str | None:
    """An email value as given, as quick_lead_event reads it: stripped and lowercased, "" when blank, None when it
    is no email address (at most 320 characters, EMAIL). Remembered: a file names the same few people on many rows."""
    email = given.strip().lower()
    return email if not email or (len(email) <= 320 and EMAIL.match(email)) else None


def quick_lead_event(values: tuple, refs: Refs, importer: str) -> tuple | None:
    """check_lead_event's answer for a plain, valid lead-event row, or None (then check_lead_event decides).
    Written out rather than with helpers: it runs once a row of the largest files."""
    try:
        external_id, lead_key_, at, type_, stage, owner_email, actor_email, reason_code, reason_text = values
        external_id, lead_key_, type_ = external_id.strip(), lead_key_.strip(), type_.strip()
        if (type_ in _BEHAVIOURS and stage in _EMPTY and owner_email in _EMPTY and actor_email in _EMPTY
                and reason_code in _EMPTY and reason_text in _EMPTY):
            # The most common row by far: a behaviour, its optional values empty (or absent). What the rest below
            # would give it, without the checks of values it does not have.
            lead_id = refs.leads.get(lead_key_)
            if lead_id is None or not external_id or len(external_id) > 128 or "\x00" in external_id:
                return None
            when = _fromisoformat(at)
            if when.tzinfo is None or when.utcoffset() is None:
                return None
            return (external_id, lead_id, when.astimezone(timezone.utc), type_, None, None, None, importer, None, "")
        stage = stage.strip() if stage is not None else ""
        reason_code = reason_code.strip() if reason_code is not None else ""
        owner_email = _given_email(owner_email) if owner_email is not None else ""
        actor_email = _given_email(actor_email) if actor_email is not None else ""
        if owner_email is None or actor_email is None:  # not an email address
            return None
        reason_text = reason_text.strip() if reason_text is not None else ""
        lead_id = refs.leads.get(lead_key_)
        if (lead_id is None or not external_id or len(external_id) > 128 or type_ not in _EVENT_TYPES
                or len(reason_code) > 32 or len(reason_text) > texts.REASON):
            return None
        if type_ == lead_rules.STAGE_EVENT:
            if stage not in _STAGES or lead_rules.reason_problem(_STAGES[stage], reason_code or None):
                return None
        elif stage or reason_code:
            return None
        owner = None
        if type_ == lead_rules.ASSIGNED_EVENT:
            owner = refs.people.get(owner_email)
            if owner is None or not owner.active:
                return None
        elif owner_email:
            return None
        actor = None
        if actor_email:
            actor = refs.people.get(actor_email)
            if actor is None:
                return None
        if "\x00" in external_id or "\x00" in reason_text or "\x00" in reason_code:
            return None
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or when.utcoffset() is None:
            return None
        return (external_id, lead_id, when.astimezone(timezone.utc), type_, stage or None,
                owner.id if owner else None, actor.id if actor else None, actor.name if actor else importer,
                reason_code or None, reason_text)
    except (AttributeError, TypeError, ValueError, OverflowError):  # not all text, a bad time: the careful way
        return None


_TOUCH_KINDS = frozenset(TOUCH_KINDS)


def quick_touchpoint(values: tuple, refs: Refs, importer: str) -> tuple | None:
    """check_touchpoint's answer for a plain, valid touchpoint row, or None (then check_touchpoint decides).
    Written out rather than with helpers: it runs once a row of the largest files."""
    try:
        external_id, lead_key_, at, kind, channel, team, campaign, person_email, duration = values
        external_id, lead_key_, kind, channel, team = (external_id.strip(), lead_key_.strip(), kind.strip(),
                                                       channel.strip(), team.strip())
        campaign = campaign.strip() if campaign is not None else ""
        lead_id = refs.leads.get(lead_key_)
        team_id = refs.teams.get(team)
        if team_id is None:
            team_id = refs.teams.get(team.lower())
        if (lead_id is None or team_id is None or kind not in _TOUCH_KINDS or not external_id or not channel
                or len(external_id) > 128 or len(channel) > 64 or len(campaign) > 200 or len(team) > 200):
            return None
        person = None
        if person_email is not None:
            email = person_email.strip().lower()
            if email:
                person = refs.people.get(email)
                if person is None or len(email) > 320 or not EMAIL.match(email):
                    return None
        minutes = None
        if duration is not None:
            duration = duration.strip()
            if duration:
                if not (duration.isdigit() and duration.isascii() and len(duration) < 10):
                    return None
                minutes = int(duration)
                if minutes > MAX_TOUCH_MINUTES:
                    return None
        if "\x00" in external_id or "\x00" in channel or "\x00" in campaign or "\x00" in team:
            return None
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or when.utcoffset() is None:
            return None
        return (external_id, lead_id, when.astimezone(timezone.utc), kind, channel, campaign or None, team_id,
                person.id if person else None, minutes)
    except (AttributeError, TypeError, ValueError, OverflowError):  # not all text, a bad time: the careful way
        return None


def check_touchpoint(data: Mapping[str, Any], refs: Refs, importer: str) -> tuple:
    row = Row(data)
    external_id = row.text("external_id", 128, required=True)
    lead_id = row.lead("lead_external_id", refs)
    at = row.time("at")
    kind = row.choice("kind", TOUCH_KINDS, "a touch kind")
    channel = row.text("channel", 64, required=True)
    campaign = row.text("campaign", 200)
    team_name = row.text("team", 200, required=True)
    team_id = refs.team(team_name) if team_name else None
    if team_name and team_id is None:
        row.reasons.append(f"team '{team_name}' names no team")
    person = row.person("person_email", refs)
    duration = row.count("duration_minutes")
    if duration is not None and duration > MAX_TOUCH_MINUTES:
        row.reasons.append(f"duration_minutes is at most {MAX_TOUCH_MINUTES} (a day)")
    row.done()
    return (external_id, lead_id, at, kind, channel, campaign, team_id, person.id if person else None, duration)


def check_opportunity(data: Mapping[str, Any], refs: Refs, importer: str) -> tuple:
    row = Row(data)
    external_id = row.text("external_id", 128, required=True)
    lead_id = row.lead("lead_external_id", refs)
    name = row.text("name", 300, required=True)
    amount_cents = row.cents("amount")
    created_at = row.time("created_at")
    status = row.choice("status", OPPORTUNITY_STATUSES, "an opportunity status")
    closed_at = None
    if status == OpportunityStatus.OPEN.value:
        row.absent("closed_at", "WON and LOST opportunities (an OPEN one is not closed)")
    elif status in CLOSED:
        if not row.given("closed_at"):
            row.reasons.append(f"closed_at is required for a {status} opportunity")
        else:
            closed_at = row.time("closed_at")
            if closed_at is not None and created_at is not None and closed_at < created_at:
                row.reasons.append("closed_at is before created_at")
    else:  # an unknown status: still say what else is wrong with the row
        row.time("closed_at", required=False)
    owner = row.person("owner_email", refs)
    row.done()
    return (external_id, lead_id, name, amount_cents, created_at, status, closed_at, owner.id if owner else None)


def check_opportunity_split(data: Mapping[str, Any], refs: Refs, importer: str) -> tuple:
    """One row of a deal's splits; the set of a deal's rows is checked as a whole by the import (the rule of
    opportunitySplitSet: comp.service.split_set_problems)."""
    row = Row(data)
    external_id = row.text("external_id", 128, required=True)
    opportunity_id = row.opportunity("opportunity_external_id", refs)
    person = row.person("person_email", refs, required=True)
    percent = row.percent("percent")
    row.done()
    return (external_id, opportunity_id, person.id if person else None, percent)


LEADS = Kind(
    name="leads", table="lead", noun="lead", entity="Lead", mutable=True, check=check_lead, quick=quick_lead,
    required=("external_id", "company", "contact_name", "email", "industry", "employees", "region", "title",
              "source", "created_at"),
    optional=(),
    columns=("external_id", "company", "contact_name", "email", "industry", "employees", "region", "title",
             "source", "created_at"),
    pg_types=("text", "text", "text", "text", "text", "int4", "text", "text", "text", "timestamptz"),
)

LEAD_EVENTS = Kind(
    name="lead-events", table="lead_event", noun="lead event", entity="LeadEvent", mutable=False, check=check_lead_event,
    quick=quick_lead_event,
    required=("external_id", "lead_external_id", "at", "type"),
    optional=("stage", "owner_email", "actor_email", "reason_code", "reason_text"),
    columns=("external_id", "lead_id", "at", "type", "stage", "owner_person_id", "actor_person_id", "actor_name",
             "reason_code", "reason_text"),
    pg_types=("text", "int8", "timestamptz", "text", "text", "int4", "int4", "text", "text", "text"),
    ignored_in_comparison=("actor_name",),
    lead_column="lead_id",
    key_of_column={"lead_id": "lead_external_id", "owner_person_id": "owner_email",
                   "actor_person_id": "actor_email"},
)

TOUCHPOINTS = Kind(
    name="touchpoints", table="touchpoint", noun="touchpoint", entity="Touchpoint", mutable=False, check=check_touchpoint,
    quick=quick_touchpoint,
    required=("external_id", "lead_external_id", "at", "kind", "channel", "team"),
    optional=("campaign", "person_email", "duration_minutes"),
    columns=("external_id", "lead_id", "at", "kind", "channel", "campaign", "team_id", "person_id",
             "duration_minutes"),
    pg_types=("text", "int8", "timestamptz", "text", "text", "text", "int4", "int4", "int4"),
    lead_column="lead_id", scored=False, touches=True,
    key_of_column={"lead_id": "lead_external_id", "team_id": "team", "person_id": "person_email"},
)

OPPORTUNITIES = Kind(
    name="opportunities", table="opportunity", noun="opportunity", entity="Opportunity", mutable=True,
    check=check_opportunity,
    required=("external_id", "lead_external_id", "name", "amount", "created_at", "status"),
    optional=("closed_at", "owner_email"),
    columns=("external_id", "lead_id", "name", "amount_cents", "created_at", "status", "closed_at", "owner_id"),
    pg_types=("text", "int8", "text", "int8", "timestamptz", "text", "timestamptz", "int4"),
    key_of_column={"lead_id": "lead_external_id", "amount_cents": "amount", "owner_id": "owner_email"},
)

OPPORTUNITY_SPLITS = Kind(
    name="opportunity-splits", table="opportunity_split", noun="opportunity split", entity="Opportunity",
    mutable=True, check=check_opportunity_split,
    required=("external_id", "opportunity_external_id", "person_email", "percent"),
    optional=(),
    columns=("external_id", "opportunity_id", "person_id", "percent"),
    pg_types=("text", "int4", "int4", "numeric"),
    key_of_column={"opportunity_id": "opportunity_external_id", "person_id": "person_email"},
)

KINDS: dict[str, Kind] = {k.name: k for k in (LEADS, LEAD_EVENTS, TOUCHPOINTS, OPPORTUNITIES, OPPORTUNITY_SPLITS)}
