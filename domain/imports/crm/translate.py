"""Vendor rows into native records. Pure: the people, the links earlier files left (crm_link) and the lead
creation times come in as mappings the caller loaded; what comes out is, per native kind, the records the native
import checks and writes (each with the vendor file's line number), the links to store, the file errors (a
missing column, values the mapping does not know) and the rows skipped on purpose, with their reasons."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.imports.crm import rules
from domain.imports.crm.rules import VendorValueError
from domain.imports.formats import Record
from domain.imports.kinds import KINDS

ORDER = ("leads", "lead-events", "touchpoints", "opportunities", "opportunity-splits")  # the order they import in


@dataclass
class Lookups:
    people: list[rules.Person]
    team_of_email: dict[str, str]                    # email -> team name
    teams_by_function: dict[str, list[str]]          # MARKETING -> team names
    links: dict[tuple[str, str], str]                # (kind, vendor id) -> value, of this source
    lead_created: dict[str, datetime] = field(default_factory=dict)  # lead external id -> created_at


@dataclass
class Translation:
    records: dict[str, list[Record]] = field(default_factory=lambda: {k: [] for k in ORDER})
    links: dict[tuple[str, str], str] = field(default_factory=dict)  # to store: (kind, vendor id) -> value
    file_errors: list[str] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)              # (section, value) -> rows
    skipped: Counter = field(default_factory=Counter)               # reason -> rows
    stage_times: dict[str, datetime] = field(default_factory=dict)  # movable stage event external id -> its time
    rows: int = 0

    def emit(self, kind_name: str, line: int, **values: Any) -> None:
        keys = KINDS[kind_name].keys
        self.records[kind_name].append(Record(line, tuple(values.get(k) for k in keys)))

    def refuse(self, kind: str, line: int, reason: str) -> None:
        self.records[kind].append(Record(line, None, reason))

    @property
    def all_errors(self) -> list[str]:
        return self.file_errors + rules.unmapped_message(self.unmapped)


class Context:
    """One file's translation: its mapping section, the lookups and the output."""

    def __init__(self, mapping: Mapping[str, Any], object_name: str, lookups: Lookups, out: Translation) -> None:
        self.mapping = mapping
        self.object_name = object_name
        self.section = mapping["objects"][object_name]
        self.columns: dict[str, str] = dict(self.section.get("columns", {}))
        self.lookups = lookups
        self.out = out
        self.zone = mapping.get("timezone", "UTC")
        self.formats = list(mapping.get("date_formats", []))
        self.prefix = mapping.get("prefix", mapping.get("source", "crm"))
        self.salesforce_ids = mapping.get("ids") == "salesforce"
        self.owners = rules.OwnerMatch(mapping.get("owners", {}), lookups.people)
        self.row: dict[str, str] = {}

    # --- reading a row ---
    def get(self, name: str) -> str:
        column = self.columns.get(name)
        value = self.row.get(column) if column else None
        return (value or "").strip()

    def time(self, name: str, required: bool = True) -> datetime | None:
        value = self.get(name)
        if not value:
            if required:
                raise VendorValueError(f"{self.columns.get(name, name)} is required")
            return None
        try:
            return rules.parse_vendor_time(value, self.zone, self.formats)
        except VendorValueError as e:
            raise VendorValueError(f"{self.columns.get(name, name)}: {e}") from None

    def vendor_id(self, name: str, required: bool = True) -> str | None:
        value = self.get(name)
        if not value:
            if required:
                raise VendorValueError(f"{self.columns.get(name, name)} is required")
            return None
        if self.salesforce_ids:
            try:
                return rules.sf_id18(value)
            except VendorValueError as e:
                raise VendorValueError(f"{self.columns.get(name, name)}: {e}") from None
        return value

    def ext(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def mapped(self, table_name: str, value: str, section: str | None = None) -> str | None:
        """`value` through the object's (or the mapping's top-level) table; an unknown value is noted (a file
        error naming the section to edit) and None returned."""
        table = self.section.get(table_name)
        where = f"objects.{self.object_name}.{table_name}"
        if table is None:
            table, where = self.mapping.get(table_name, {}), table_name
        found = rules.look_up(table, value)
        if found is None:
            self.out.unmapped[(section or where, value)] += 1
        return found

    def owner(self, name: str) -> str | None:
        """The email of the row's owner, or None: no owner, a queue, or an unmatched one (then a file error)."""
        value = self.get(name)
        if not value or (self.salesforce_ids and rules.is_sf_queue(value)):
            return None
        if self.salesforce_ids:
            try:
                value = rules.sf_id18(value)
            except VendorValueError:
                pass  # a name in a report export
        email, problem = self.owners.email(value)
        if problem == "ambiguous":
            self.out.unmapped[("owners", f"{value} (a name several people have)")] += 1
        elif problem:
            self.out.unmapped[("owners", value)] += 1
        return email

    def team(self, function: str, owner_email: str | None = None) -> str | None:
        if owner_email and owner_email in self.lookups.team_of_email:
            return self.lookups.team_of_email[owner_email]
        named = (self.mapping.get("teams", {}).get(function.lower()) or "").strip()
        if named:
            return named
        candidates = self.lookups.teams_by_function.get(function, [])
        if len(candidates) == 1:
            return candidates[0]
        problem = (f"no {function} team: create one or name it in [teams] {function.lower()}" if not candidates else
                   f"{len(candidates)} {function} teams: name the one for these touches in [teams] {function.lower()}")
        if problem not in self.out.file_errors:
            self.out.file_errors.append(problem)
        return None

    def lead_of_who(self, vendor_id: str) -> str | None:
        """A Salesforce WhoId or member's LeadId/ContactId as the lead's external id (a contact through the lead
        converted into it); None when it names neither."""
        if vendor_id.startswith("00Q"):
            return self.ext(vendor_id)
        if vendor_id.startswith("003"):
            return self.lookups.links.get(("contact", vendor_id)) or self.out.links.get(("contact", vendor_id))
        return None


def iso(at: datetime | None) -> str:
    return at.isoformat() if at is not None else ""


# --- Salesforce --------------------------------------------------------------------------------------------------

def sf_lead(c: Context, line: int) -> None:
    lead_id = c.vendor_id("id")
    created = c.time("created")
    ext = c.ext(lead_id)
    name = " ".join(p for p in (c.get("first_name"), c.get("last_name")) if p)
    if c.get("status"):
        c.mapped("status", c.get("status"))
    c.owner("owner")  # checked (an unmatched owner is a file error); assignments come from LeadHistory
    c.out.emit("leads", line, external_id=ext, company=c.get("company"), contact_name=name, email=c.get("email"),
               industry=c.get("industry"), employees=c.get("employees"), region=c.get("region"),
               title=c.get("title"), source=c.get("source"), created_at=iso(created))
    if rules.truthy(c.get("converted")):
        opportunity = c.vendor_id("converted_opportunity", required=False)
        contact = c.vendor_id("converted_contact", required=False)
        if opportunity:
            c.out.links[("opportunity", opportunity)] = ext
            converted = c.time("converted_date", required=False) or created
            c.out.emit("lead-events", line, external_id=c.ext(lead_id, "converted"), lead_external_id=ext,
                       at=iso(rules.closed_at_of(converted, created)), type="STAGE", stage="OPPORTUNITY")
        if contact:
            c.out.links[("contact", contact)] = ext


def sf_lead_history(c: Context, line: int, first_seen: dict) -> None:
    field_name = c.get("field")
    if field_name not in ("Status", "Owner"):
        c.out.skipped[f"LeadHistory rows of other fields ({field_name or 'none'})"] += 1
        return
    history_id = c.vendor_id("id")
    lead = c.ext(c.vendor_id("lead"))
    at = c.time("created")
    if field_name == "Status":
        stage, reason = _stage(c, c.get("new"))
        if stage:
            c.out.emit("lead-events", line, external_id=c.ext(history_id), lead_external_id=lead, at=iso(at),
                       type="STAGE", stage=stage, reason_code=reason)
        _initial(c, line, lead, "Status", at, first_seen)
        return
    new = c.get("new")
    if not _looks_like_sf_id(new):  # Salesforce writes an owner change twice: once with names, once with ids
        c.out.skipped["LeadHistory owner rows with names (their id rows are read)"] += 1
        return
    if rules.is_sf_queue(new):
        c.out.skipped["owner changes to a queue (no owner)"] += 1
    else:
        email = c.owner("new")
        if email:
            c.out.emit("lead-events", line, external_id=c.ext(history_id), lead_external_id=lead, at=iso(at),
                       type="ASSIGNED", owner_email=email)
    _initial(c, line, lead, "Owner", at, first_seen)


def _looks_like_sf_id(value: str) -> bool:
    try:
        rules.sf_id18(value)
        return value[:3].isalnum() and any(ch.isdigit() for ch in value[:5])
    except VendorValueError:
        return False


def _stage(c: Context, status: str) -> tuple[str | None, str | None]:
    mapped = c.mapped("status", status)
    return rules.split_mapped(mapped) if mapped else (None, None)


def _initial(c: Context, line: int, lead: str, field_name: str, at: datetime, first_seen: dict) -> None:
    """The earliest change of a field in the file tells its value at the lead's creation: its OldValue."""
    key = (lead, field_name)
    if key not in first_seen or at < first_seen[key][0]:
        first_seen[key] = (at, line, c.get("old"))


def sf_initial_events(c: Context, first_seen: dict) -> None:
    for (lead, field_name), (_, line, old) in sorted(first_seen.items(), key=lambda kv: kv[1][1]):
        created = c.lookups.lead_created.get(lead)
        if not old:
            continue
        if created is None:
            c.out.refuse("lead-events", line, f"lead_external_id '{lead}' names no lead (import the Lead export "
                                              "first)")
            continue
        if field_name == "Status":
            stage, reason = _stage(c, old)
            if stage:
                c.out.emit("lead-events", line, external_id=f"{lead}:initial-status", lead_external_id=lead,
                           at=iso(created), type="STAGE", stage=stage, reason_code=reason)
        elif _looks_like_sf_id(old) and not rules.is_sf_queue(old):
            c.row = {c.columns.get("old", "OldValue"): old}
            email = c.owner("old")
            if email:
                c.out.emit("lead-events", line, external_id=f"{lead}:initial-owner", lead_external_id=lead,
                           at=iso(created), type="ASSIGNED", owner_email=email)


def sf_opportunity(c: Context, line: int) -> None:
    opportunity = c.vendor_id("id")
    created = c.time("created")
    lead = c.lookups.links.get(("opportunity", opportunity))
    if c.columns.get("closed") in c.row and c.columns.get("won") in c.row and c.get("closed"):
        status = ("WON" if rules.truthy(c.get("won")) else "LOST") if rules.truthy(c.get("closed")) else "OPEN"
        if c.get("stage"):
            c.mapped("stage", c.get("stage"))
    else:
        status = c.mapped("stage", c.get("stage"))
    closed = None
    if status in ("WON", "LOST"):
        closed = rules.closed_at_of(c.time("close_date"), created)
    if lead is None:
        c.out.refuse("opportunities", line, f"no imported lead was converted into opportunity {opportunity}: import "
                                            "the Lead export first (its ConvertedOpportunityId links them), then "
                                            "this file again")
        return
    c.out.emit("opportunities", line, external_id=c.ext(opportunity), lead_external_id=lead,
               name=c.get("name") or opportunity, amount=c.get("amount") or "0", created_at=iso(created),
               status=status or "", closed_at=iso(closed) or None, owner_email=c.owner("owner"))


REVENUE_SPLIT = "REVENUE"  # the [objects.OpportunitySplit.split_type] value of the splits that credit pay


def sf_opportunity_split(c: Context, line: int) -> None:
    """A revenue split (they sum to 100% per deal in Salesforce, as pay's splits must) as an opportunity-splits row;
    other split types (overlay, custom: credit beyond 100%) credit no pay and are skipped, counted."""
    split = c.vendor_id("id")
    opportunity = c.vendor_id("opportunity")
    kind = c.get("split_type")
    table = c.section.get("split_type", {})
    found = rules.look_up(table, rules.sf_id18(kind)) if c.salesforce_ids and _looks_like_sf_id(kind) else None
    split_type = found if found is not None else c.mapped("split_type", kind)
    if split_type is None:
        return
    if split_type.strip().upper() != REVENUE_SPLIT:
        c.out.skipped["opportunity splits of other split types (only revenue splits credit pay)"] += 1
        return
    if not c.get("owner"):
        raise VendorValueError(f"{c.columns.get('owner')} is required")
    owner = c.owner("owner")
    if owner is None:
        return  # a queue or an unmatched user: a file error names it
    c.out.emit("opportunity-splits", line, external_id=c.ext(split), opportunity_external_id=c.ext(opportunity),
               person_email=owner, percent=c.get("percent"))


def sf_campaign(c: Context, line: int) -> None:
    campaign = c.vendor_id("id")
    channel = c.mapped("channel", c.get("type"))
    if channel is not None:
        c.out.links[("campaign", campaign)] = json.dumps({"name": c.get("name") or campaign, "channel": channel})


def sf_campaign_member(c: Context, line: int) -> None:
    member = c.vendor_id("id")
    campaign = c.vendor_id("campaign")
    who = c.vendor_id("lead", required=False) or c.vendor_id("contact", required=False)
    responded = rules.truthy(c.get("responded"))
    if c.section.get("responded_only", True) and not responded:
        c.out.skipped["campaign members who did not respond"] += 1
        return
    at = c.time("responded_date", required=False) if responded else None
    at = at or c.time("created")
    info = c.lookups.links.get(("campaign", campaign)) or c.out.links.get(("campaign", campaign))
    if who is None:
        raise VendorValueError(f"{c.columns.get('lead')} or {c.columns.get('contact')} is required")
    lead = c.lead_of_who(who)
    if lead is None:
        raise VendorValueError(f"'{who}' is no lead, nor a contact a lead was converted into (import the Lead "
                               "export first)")
    if info is None:
        raise VendorValueError(f"campaign {campaign} is not known: import the Campaign export first")
    campaign_info = json.loads(info)
    c.out.emit("touchpoints", line, external_id=c.ext(member), lead_external_id=lead, at=iso(at), kind="MARKETING",
               channel=campaign_info["channel"], campaign=campaign_info["name"], team=c.team("MARKETING"))


def _sales_touch(c: Context, line: int, activity: str, at: datetime, channel: str | None,
                 minutes: int | None, lead: str | None, who: str) -> None:
    if minutes is not None and minutes > rules.ONE_DAY_MINUTES:
        c.out.skipped["activities longer than a day"] += 1
        return
    if lead is None:
        c.out.skipped["activities on neither a lead nor a converted lead's contact"] += 1
        return
    owner = c.owner("owner")
    c.out.emit("touchpoints", line, external_id=c.ext(activity), lead_external_id=lead, at=iso(at), kind="SALES",
               channel=channel or "", team=c.team("SALES", owner), person_email=owner,
               duration_minutes=None if minutes is None else str(minutes))


def sf_task(c: Context, line: int) -> None:
    task = c.vendor_id("id")
    done = c.section.get("completed_statuses")
    if done is not None and c.get("status") not in done:
        c.out.skipped["tasks not completed"] += 1
        return
    who = c.vendor_id("who", required=False)
    at = c.time("completed", required=False) or c.time("created")
    minutes = rules.parse_duration_minutes(c.get("duration_seconds"), "seconds")
    _sales_touch(c, line, task, at, c.mapped("channel", c.get("type")), minutes, c.lead_of_who(who) if who else None,
                 who or "")


def sf_event(c: Context, line: int) -> None:
    event = c.vendor_id("id")
    who = c.vendor_id("who", required=False)
    minutes = rules.parse_duration_minutes(c.get("duration"), "minutes")
    _sales_touch(c, line, event, c.time("start"), c.mapped("channel", c.get("type")), minutes,
                 c.lead_of_who(who) if who else None, who or "")


# --- HubSpot -----------------------------------------------------------------------------------------------------

def hs_contact(c: Context, line: int) -> None:
    record = c.vendor_id("id")
    created = c.time("created")
    ext = c.ext("contact", record)
    name = " ".join(p for p in (c.get("first_name"), c.get("last_name")) if p)
    c.mapped("lifecycle_stage", c.get("lifecycle"))
    c.out.emit("leads", line, external_id=ext, company=c.get("company") or name or c.get("email") or ext,
               contact_name=name, email=c.get("email"), industry=c.get("industry"),
               employees=c.get("employees"), region=c.get("region"), title=c.get("title"),
               source=c.get("source"), created_at=iso(created))
    owner = c.owner("owner")
    if owner:
        assigned = c.time("owner_assigned", required=False) or created
        c.out.emit("lead-events", line, external_id=c.ext("contact", record, "owner", c.get("owner")),
                   lead_external_id=ext, at=iso(assigned), type="ASSIGNED", owner_email=owner)
    for column, stage in c.section.get("lifecycle_dates", {}).items():
        value = (c.row.get(column) or "").strip()
        if not value:
            continue
        try:
            at = rules.parse_vendor_time(value, c.zone, c.formats)
        except VendorValueError as e:
            raise VendorValueError(f"{column}: {e}") from None
        event = c.ext("contact", record, "stage", stage)
        c.out.stage_times[event] = at
        c.out.emit("lead-events", line, external_id=event, lead_external_id=ext, at=iso(at), type="STAGE",
                   stage=stage)


def _hs_lead(c: Context) -> str | None:
    first = c.get("contacts").replace(",", ";").split(";")[0].strip()
    return c.ext("contact", first) if first else None


def hs_deal(c: Context, line: int) -> None:
    record = c.vendor_id("id")
    created = c.time("created")
    status = c.mapped("stage", c.get("stage"))
    closed = None
    if status in ("WON", "LOST"):
        closed = rules.closed_at_of(c.time("close_date"), created)
    lead = _hs_lead(c)
    if lead is None:
        raise VendorValueError(f"{c.columns.get('contacts')} is required: a deal counts through its contact's lead")
    c.out.emit("opportunities", line, external_id=c.ext("deal", record), lead_external_id=lead,
               name=c.get("name") or record, amount=c.get("amount") or "0", created_at=iso(created),
               status=status or "", closed_at=iso(closed) or None, owner_email=c.owner("owner"))


def hs_activity(c: Context, line: int) -> None:
    record = c.vendor_id("id")
    at = c.time("at")
    channel = c.section.get("channel", c.object_name)
    minutes = None
    if c.columns.get("end") and c.get("end"):
        minutes = max(0, -int(-(c.time("end") - at).total_seconds() // 60))
    elif c.columns.get("duration"):
        minutes = rules.parse_duration_minutes(c.get("duration"), c.section.get("duration_unit", "milliseconds"))
    _sales_touch(c, line, f"{channel}:{record}", at, channel, minutes, _hs_lead(c), "")


@dataclass(frozen=True)
class Translator:
    row: Callable[[Context, int], None]
    required: tuple[str, ...]                   # mapping column keys the file must have
    writes: tuple[str, ...]                     # native kinds it may write
    needs_lead_times: bool = False


TRANSLATORS: dict[str, Translator] = {
    "salesforce.Lead": Translator(sf_lead, ("id", "company", "created"), ("leads", "lead-events")),
    "salesforce.LeadHistory": Translator(None, ("id", "lead", "field", "old", "new", "created"),  # type: ignore
                                         ("lead-events",), needs_lead_times=True),
    "salesforce.Opportunity": Translator(sf_opportunity, ("id", "created"), ("opportunities",)),
    "salesforce.OpportunitySplit": Translator(sf_opportunity_split, ("id", "opportunity", "owner", "percent",
                                                                     "split_type"), ("opportunity-splits",)),
    "salesforce.Campaign": Translator(sf_campaign, ("id", "type"), ()),
    "salesforce.CampaignMember": Translator(sf_campaign_member, ("id", "campaign", "created"), ("touchpoints",)),
    "salesforce.Task": Translator(sf_task, ("id", "who", "created"), ("touchpoints",)),
    "salesforce.Event": Translator(sf_event, ("id", "who", "start"), ("touchpoints",)),
    "hubspot.contacts": Translator(hs_contact, ("id", "created"), ("leads", "lead-events")),
    "hubspot.deals": Translator(hs_deal, ("id", "stage", "created", "contacts"), ("opportunities",)),
    "hubspot.activities": Translator(hs_activity, ("id", "at", "contacts"), ("touchpoints",)),
}


def translator_of(section: Mapping[str, Any]) -> Translator | None:
    return TRANSLATORS.get(section.get("translator", ""))


def missing_columns(mapping: Mapping[str, Any], object_name: str, header: Iterable[str]) -> list[str]:
    """The file errors of a header without a column the translator needs."""
    section = mapping["objects"][object_name]
    columns = section.get("columns", {})
    present = set(header)
    translator = translator_of(section)
    problems = []
    for key in translator.required if translator else ():
        column = columns.get(key)
        if column is None:
            problems.append(f"the mapping's [objects.{object_name}.columns] has no '{key}'")
        elif column not in present:
            problems.append(f"column '{column}' is missing (required; the mapping's [objects.{object_name}.columns] "
                            f"{key} names it)")
    return problems


def translate(mapping: Mapping[str, Any], object_name: str, rows: Iterable[tuple[int, dict[str, str]]],
              lookups: Lookups) -> Translation:
    """Every row of a vendor file (line number, {column: value}) into native records. A row that cannot be read
    becomes a line error of the first kind the object writes; rows skipped on purpose are counted by reason."""
    out = Translation()
    c = Context(mapping, object_name, lookups, out)
    translator = translator_of(c.section)
    kind_of_errors = (translator.writes or ("leads",))[0]
    first_seen: dict = {}
    for line, row in rows:
        out.rows += 1
        c.row = row
        try:
            if translator.row is None:
                sf_lead_history(c, line, first_seen)
            else:
                translator.row(c, line)
        except VendorValueError as e:
            out.refuse(kind_of_errors, line, str(e))
    if first_seen:
        sf_initial_events(c, first_seen)
    return out
