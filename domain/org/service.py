"""Organisation use cases: teams, people, tokens and periods."""
from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain import clock, config, events, rawsql, texts
from domain.access import rules as access_rules
from domain.audit.service import record
from domain.errors import DomainError, ErrorCode, Problems, forbidden, invalid, not_found
from domain.money import from_cents, to_cents
from domain.org.models import ApiToken, Period, Person, Team
from domain.org.rules import (
    FiscalQuarter, PeriodKeyError, PeriodStatus, Principal, Role, TeamFunction,
    period_bounds, person_figure_problems, previous_period_key, quarter_of, resolve_period_key,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "sg_"


# --- snapshots for the audit log -------------------------------------------------------

def _team_snapshot(team: Team) -> dict[str, Any]:
    return {"name": team.name, "function": team.function.value}


def _person_snapshot(p: Person) -> dict[str, Any]:
    return {
        "name": p.name, "email": p.email, "team_id": p.team_id, "role": p.role.value,
        "annual_cost_cents": p.annual_cost_cents, "annual_quota_cents": p.annual_quota_cents,
        "selling_hours_per_week": str(p.selling_hours_per_week),
        "working_weeks_per_year": str(p.working_weeks_per_year), "active": p.active, "version": p.version,
    }


# --- teams -------------------------------------------------------------------------------

async def create_team(actor: Principal, name: str, function: TeamFunction) -> Team:
    name = (name or "").strip()
    if not name:
        raise invalid("a team needs a name", "name")
    if len(name) > texts.NAME:
        raise invalid(f"a team name has at most {texts.NAME} characters", "name")
    try:
        async with in_transaction():
            if await Team.filter(name=name).exists():
                raise DomainError.one(ErrorCode.DUPLICATE, f"a team named '{name}' already exists", "name")
            team = await Team.create(name=name, function=function)
            await record(actor, "teamCreate", "Team", team.id, None, _team_snapshot(team))
    except IntegrityError:
        raise DomainError.one(ErrorCode.DUPLICATE, f"a team named '{name}' already exists", "name") from None
    return team


# --- people ------------------------------------------------------------------------------

@dataclass
class PersonFields:
    """The fields of a person a request sets; None on an optional figure means "no figure"."""

    name: str
    email: str
    team_id: int
    role: Role
    annual_cost: Decimal | None = None
    annual_quota: Decimal | None = None
    selling_hours_per_week: Decimal = Decimal("11")
    working_weeks_per_year: Decimal = Decimal("48")


def _check_person(f: PersonFields, problems: Problems) -> None:
    if not f.name.strip():
        problems.add(ErrorCode.INVALID, "a person needs a name", "name")
    if not _EMAIL.match(f.email):
        problems.add(ErrorCode.INVALID, f"'{f.email}' is not an email address", "email")
    for field, message in person_figure_problems(f.annual_cost, f.annual_quota,
                                                 f.selling_hours_per_week, f.working_weeks_per_year):
        problems.add(ErrorCode.INVALID, message, field)


async def _check_team_and_email(f: PersonFields, problems: Problems, person_id: int | None = None) -> None:
    if not await Team.filter(id=f.team_id).exists():
        problems.add(ErrorCode.NOT_FOUND, "no team has this id", "teamId")
    others = Person.filter(email=f.email)
    if person_id is not None:
        others = others.exclude(id=person_id)
    if await others.exists():
        problems.add(ErrorCode.DUPLICATE, f"someone already has the email {f.email}", "email")


def _apply(person: Person, f: PersonFields) -> None:
    person.name = f.name.strip()
    person.email = f.email
    person.team_id = f.team_id
    person.role = f.role
    person.annual_cost_cents = to_cents(f.annual_cost) if f.annual_cost is not None else None
    person.annual_quota_cents = to_cents(f.annual_quota) if f.annual_quota is not None else None
    person.selling_hours_per_week = f.selling_hours_per_week
    person.working_weeks_per_year = f.working_weeks_per_year


def _normalise(f: PersonFields) -> PersonFields:
    f.email = (f.email or "").strip().lower()
    f.name = f.name or ""
    return f


async def create_person(actor: Principal, fields: PersonFields) -> Person:
    f = _normalise(fields)
    problems = Problems()
    _check_person(f, problems)
    try:
        async with in_transaction():
            await _check_team_and_email(f, problems)
            problems.raise_if_any()
            person = Person(active=True, version=1)
            _apply(person, f)
            await person.save()
            await record(actor, "personCreate", "Person", person.id, None, _person_snapshot(person))
    except IntegrityError:
        raise DomainError.one(ErrorCode.DUPLICATE, f"someone already has the email {f.email}", "email") from None
    return person


def person_fields(person: Person) -> PersonFields:
    return PersonFields(
        name=person.name, email=person.email, team_id=person.team_id, role=person.role,
        annual_cost=from_cents(person.annual_cost_cents), annual_quota=from_cents(person.annual_quota_cents),
        selling_hours_per_week=person.selling_hours_per_week, working_weeks_per_year=person.working_weeks_per_year,
    )


async def update_person(actor: Principal, person_id: int, changes: dict[str, Any],
                        expected_version: int | None = None, active: bool | None = None) -> Person:
    """Change some fields of a person (names as in PersonFields); `active=False` deactivates."""
    try:
        async with in_transaction():
            person = await Person.get_or_none(id=person_id)
            if person is None:
                raise not_found("no person has this id", "id")
            if expected_version is not None and expected_version != person.version:
                raise DomainError.one(ErrorCode.CONFLICT,
                                      f"the person was changed meanwhile (version {person.version})",
                                      "expectedVersion")
            before = _person_snapshot(person)
            f = person_fields(person)
            for key, value in changes.items():
                setattr(f, key, value)
            f = _normalise(f)
            problems = Problems()
            _check_person(f, problems)
            await _check_team_and_email(f, problems, person_id=person.id)
            problems.raise_if_any()
            _apply(person, f)
            if active is not None:
                person.active = active
            person.version += 1
            await person.save()
            await record(actor, "personUpdate", "Person", person.id, before, _person_snapshot(person))
    except IntegrityError:
        raise DomainError.one(ErrorCode.DUPLICATE, "someone already has this email", "email") from None
    return person


# --- tokens ------------------------------------------------------------------------------

async def person_principal(person: Person, name: str | None = None) -> Principal:
    """A principal acting as this person with their current role and team (the CLI's `--as`, the demo's and the
    generator's authors): the same rules apply as to the person's own token."""
    team = await Team.get(id=person.team_id)
    return Principal(token_id=None, name=name or person.name, role=person.role, person_id=person.id,
                     team_id=person.team_id, team_function=team.function)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


TOKEN_MAX_DAYS = 3650  # an API token lives at most ten years (a lifetime beyond would overflow the date, or never end)


def token_lifetime(days: int | None) -> timedelta | None:
    """The lifetime of a new API token: None (it does not expire) or 1 to TOKEN_MAX_DAYS days."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= TOKEN_MAX_DAYS:
        raise invalid(f"a token lives 1 to {TOKEN_MAX_DAYS:,} days", "expiresDays")
    return timedelta(days=days)


async def create_token(role: Role | None = None, person_email: str | None = None, name: str | None = None,
                       expires_at: datetime | None = None, actor: Principal | None = None) -> tuple[str, ApiToken]:
    """A new API token; the secret is returned once and only its hash is stored.
    With a person, the token acts as that person with their current role."""
    async with in_transaction():
        person = None
        if person_email:
            person = await Person.get_or_none(email=person_email.strip().lower())
            if person is None:
                raise not_found(f"no person has the email {person_email}", "person")
            if not person.active:
                raise invalid(f"{person.email} is deactivated", "person")
        elif role is None:
            raise invalid("a service token needs a role", "role")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = await ApiToken.create(
            name=name or (person.name if person else f"{role.value.lower()} service token"),
            token_hash=hash_token(secret), role=person.role if person else role,
            person_id=person.id if person else None, created_at=clock.now(), expires_at=expires_at,
        )
        await record(actor, "tokenCreate", "ApiToken", token.id, None,
                     {"name": token.name, "role": token.role.value, "person_id": token.person_id})
    return secret, token


async def authenticate(secret: str | None, for_export: bool = False, in_url: bool = False) -> Principal | None:
    """The principal a secret stands for, or None when it is unknown, revoked, expired, its person left, it is a
    read-only export token where reads are not asked for (`for_export`), or a full API token sent in a URL (only
    export tokens may be). A read-only principal may read, never change anything."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    # every request asks this: one hand-written statement, no model instances
    found = await rawsql.records(TokenLookup, _TOKEN_LOOKUP, token_hash=hash_token(secret))
    if not found:
        return None
    t = found[0]
    export_only = bool(t.export_only)
    if t.revoked_at is not None or (export_only and not for_export) or (in_url and not export_only):
        return None
    if t.expires_at is not None and rawsql.as_utc(t.expires_at) <= clock.now():
        return None
    _note_use(t.token_id, rawsql.as_utc(t.last_used_at) if t.last_used_at is not None else None)
    if t.person_id is not None:
        if not t.active:
            return None
        return Principal(token_id=t.token_id, name=t.person_name, role=Role(t.person_role), person_id=t.person_id,
                         team_id=t.team_id, read_only=export_only, team_function=TeamFunction(t.team_function))
    return Principal(token_id=t.token_id, name=t.name, role=Role(t.role), read_only=export_only)


_TOKEN_LOOKUP = """
    SELECT t.id AS token_id, t.name, t.role, t.export_only, t.revoked_at, t.expires_at, p.id AS person_id,
           p.name AS person_name, p.role AS person_role, p.team_id, p.active, m.function AS team_function,
           t.last_used_at
    FROM api_token t LEFT JOIN person p ON p.id = t.person_id LEFT JOIN team m ON m.id = p.team_id
    WHERE t.token_hash = :token_hash"""


@dataclass(frozen=True, slots=True)
class TokenLookup:
    """A row of _TOKEN_LOOKUP: the token and, for a token acting as a person, the person and their team's function
    (times as the driver gives them: text on SQLite)."""
    token_id: int
    name: str
    role: str
    export_only: bool | int
    revoked_at: object
    expires_at: object
    person_id: int | None
    person_name: str | None
    person_role: str | None
    team_id: int | None
    active: bool | int | None
    team_function: str | None
    last_used_at: object


LAST_USED_EVERY = timedelta(minutes=5)  # a token's last use is written at most this often
_writing: dict[int, asyncio.Task] = {}  # token id -> its last-use write in flight
LAST_USE_TASK = "token-last-use"  # the name of each such write's task (a statement count may leave them out)


def _note_use(token_id: int, stored: datetime | None) -> None:
    """Record a token's use in the background once the stored time is LAST_USED_EVERY old: no request waits for the
    write, one write at a time a token, and a busy or failing database only leaves the time older (it is a hint,
    not an audit)."""
    now = clock.now()
    if (stored is not None and stored <= now < stored + LAST_USED_EVERY) or token_id in _writing:
        return

    async def write() -> None:
        try:
            await ApiToken.filter(id=token_id).update(last_used_at=now)
        except Exception:  # noqa: BLE001 - a hint only; see above
            pass
        finally:
            _writing.pop(token_id, None)
    _writing[token_id] = asyncio.get_running_loop().create_task(write(), name=LAST_USE_TASK)


async def tokens_of(actor: Principal) -> list[ApiToken]:
    """The tokens the actor may see and revoke (see access.token_refusal): every one for an admin; else the tokens
    acting as the actor's person, the actor's own token and the export tokens it made. Newest first."""
    query = ApiToken.all()
    if not actor.is_admin:
        mine = Q(id=actor.token_id or -1) | Q(created_by_token_id=actor.token_id or -1)
        if actor.person_id is not None:
            mine |= Q(person_id=actor.person_id)
        query = query.filter(mine)
    return await query.order_by("-created_at", "-id")


async def revoke_token(actor: Principal, token_id: int) -> ApiToken:
    """End a token at once: admins any token, everyone else only their own."""
    async with in_transaction():
        token = await ApiToken.get_or_none(id=token_id)
        if token is None:
            raise not_found("no token has this id", "id")
        access_rules.enforce(access_rules.token_refusal(actor, token.id, token.person_id, token.created_by_token_id),
                             "id")
        revoked_now = token.revoked_at is None
        if revoked_now:
            token.revoked_at = clock.now()
            await token.save(update_fields=["revoked_at"])
            await record(actor, "tokenRevoke", "ApiToken", token.id, {"revoked_at": None},
                         {"revoked_at": token.revoked_at.isoformat()})
    if revoked_now:  # committed: every process closes the token's open websockets
        events.publish(events.TOKENS_REVOKED, token.id)
    return token


EXPORT_TOKEN_MAX_DAYS = 90


async def create_export_token(actor: Principal, name: str | None, days: int) -> tuple[str, ApiToken]:
    """A read-only token for spreadsheet tools: it opens the CSV exports the creator may read, nothing else, and
    expires. It acts as its creator (their person, or the creating service token's role)."""
    if not 1 <= days <= EXPORT_TOKEN_MAX_DAYS:
        raise invalid(f"an export token lives 1 to {EXPORT_TOKEN_MAX_DAYS} days", "expiresInDays")
    if len((name or "").strip()) > texts.NAME:
        raise invalid(f"a token name has at most {texts.NAME} characters", "name")
    async with in_transaction():
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = await ApiToken.create(
            name=(name or "").strip() or f"export token of {actor.name}"[:texts.NAME], token_hash=hash_token(secret),
            role=actor.role, person_id=actor.person_id, created_at=clock.now(),
            expires_at=clock.now() + timedelta(days=days), export_only=True, created_by_token_id=actor.token_id)
        await record(actor, "exportTokenCreate", "ApiToken", token.id, None,
                     {"name": token.name, "expires_at": token.expires_at.isoformat(), "export_only": True})
    return secret, token


# --- joint approvals --------------------------------------------------------------------

def approval_side(actor: Principal, what: str, *field_path: str) -> str:
    """"SALES" or "MARKETING": the side a leader approves for (see domain.access.rules.approval_side); FORBIDDEN
    for anyone else. Joint decisions need a leader of a sales (or SDR) team and a leader of a marketing team."""
    side = access_rules.approval_side(actor)
    if side is None:
        raise forbidden(f"{what} is approved by a sales leader and a marketing leader", *field_path)
    return side


# --- periods -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodView:
    key: str
    start: datetime
    end: datetime
    status: PeriodStatus
    closed_at: datetime | None = None


def _quarter_view(q: FiscalQuarter) -> PeriodView:
    cfg = config.current()
    start, end = period_bounds(q, cfg.fiscal_year_start_month, cfg.timezone)
    return PeriodView(q.key, start, end, PeriodStatus.OPEN)


def _stored_view(p: Period) -> PeriodView:
    return PeriodView(p.key, p.start, p.end, p.status, p.closed_at)


def parse_key(key: str, *field_path: str) -> FiscalQuarter:
    """The one reading of a period a client wrote: a key such as 2026-Q4, or "current", "previous" or "next" against
    the quarter of the request's instant (one answer for the whole request). INVALID otherwise."""
    try:
        return resolve_period_key(key, current_quarter())
    except PeriodKeyError as exc:
        raise invalid(str(exc), *(field_path or ("period",))) from None


def current_quarter() -> FiscalQuarter:
    """The quarter of the service clock at the start of this request (or now, outside a request)."""
    cfg = config.current()
    return quarter_of(clock.request_now(), cfg.fiscal_year_start_month, cfg.timezone)


def is_current(key: str) -> bool:
    return key == current_quarter().key


async def current_period() -> PeriodView:
    return await get_period(current_quarter().key)


def previous_key(key: str, *field_path: str) -> str:
    """The key of the period before `key`'s, or INVALID (a malformed key, or 1900-Q1, the first period)."""
    try:
        return previous_period_key(key)
    except PeriodKeyError as exc:
        raise invalid(str(exc), *(field_path or ("period",))) from None


async def get_period(key: str) -> PeriodView:
    """A period by key: the stored one, or the quarter the key names (never stored by reading)."""
    q = parse_key(key)
    stored = await Period.get_or_none(key=q.key)
    return _stored_view(stored) if stored else _quarter_view(q)


async def ensure_period(key: str) -> Period:
    """The stored period for a key, stored now on first use (call inside the caller's transaction)."""
    q = parse_key(key)
    view = _quarter_view(q)
    period, _ = await Period.get_or_create(key=q.key, defaults={"start": view.start, "end": view.end})
    return period


async def list_periods() -> list[PeriodView]:
    """Periods in use plus the current one, newest first."""
    views = {p.key: _stored_view(p) for p in await Period.all()}
    current = current_quarter()
    views.setdefault(current.key, _quarter_view(current))
    return sorted(views.values(), key=lambda v: v.start, reverse=True)
