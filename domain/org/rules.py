"""Organisation rules: roles, selling-time economics and fiscal periods. Pure: no I/O, no ORM."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from domain.money import amount_problem, round_cents, round_places


class Role(str, Enum):
    ADMIN = "ADMIN"
    LEADER = "LEADER"
    FINANCE = "FINANCE"
    MEMBER = "MEMBER"


class TeamFunction(str, Enum):
    SALES = "SALES"
    MARKETING = "MARKETING"
    SDR = "SDR"
    CUSTOMER_SUCCESS = "CUSTOMER_SUCCESS"
    FINANCE = "FINANCE"
    LEADERSHIP = "LEADERSHIP"


class PeriodStatus(str, Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


# --- selling-time economics -------------------------------------------------------------

def selling_hours_per_year(hours_per_week: Decimal, working_weeks: Decimal) -> Decimal:
    return hours_per_week * working_weeks


def cost_per_selling_hour(annual_cost: Decimal | None, hours_per_week: Decimal,
                          working_weeks: Decimal) -> Decimal | None:
    """annualCost / (sellingHoursPerWeek × workingWeeks), to the cent."""
    if annual_cost is None:
        return None
    return round_cents(annual_cost / selling_hours_per_year(hours_per_week, working_weeks))


def quota_per_selling_hour(annual_quota: Decimal | None, hours_per_week: Decimal,
                           working_weeks: Decimal) -> Decimal | None:
    """annualQuota / (sellingHoursPerWeek × workingWeeks), to the cent."""
    if annual_quota is None:
        return None
    return round_cents(annual_quota / selling_hours_per_year(hours_per_week, working_weeks))


def person_figure_problems(annual_cost: Decimal | None, annual_quota: Decimal | None,
                           hours_per_week: Decimal | None, working_weeks: Decimal | None) -> list[tuple[str, str]]:
    """(field, message) for each out-of-range figure of a person."""
    problems = []
    if annual_cost is not None and annual_cost < 0:
        problems.append(("annualCost", "annual cost cannot be negative"))
    elif annual_cost is not None and (message := amount_problem(annual_cost, "annual cost")):
        problems.append(("annualCost", message))
    if annual_quota is not None and annual_quota < 0:
        problems.append(("annualQuota", "annual quota cannot be negative"))
    elif annual_quota is not None and (message := amount_problem(annual_quota, "annual quota")):
        problems.append(("annualQuota", message))
    # both are stored to the hundredth: 0.001 would be kept as 0, and the hourly figures divide by them
    if hours_per_week is not None and not (0 < round_places(hours_per_week, 2) <= 168):
        problems.append(("sellingHoursPerWeek", "selling hours per week must be above 0 and at most 168"))
    if working_weeks is not None and not (0 < round_places(working_weeks, 2) <= 53):
        problems.append(("workingWeeksPerYear", "working weeks per year must be above 0 and at most 53"))
    return problems


# --- fiscal periods ---------------------------------------------------------------------

_KEY = re.compile(r"^(\d{4})-Q([1-4])$")


class PeriodKeyError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    year: int
    quarter: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"

    def next(self) -> "FiscalQuarter":
        return FiscalQuarter(self.year + 1, 1) if self.quarter == 4 else FiscalQuarter(self.year, self.quarter + 1)

    def previous(self) -> "FiscalQuarter":
        return FiscalQuarter(self.year - 1, 4) if self.quarter == 1 else FiscalQuarter(self.year, self.quarter - 1)


FIRST_YEAR = 1900
_LAST_YEAR = 9998  # a quarter's end is the next one's start, which must still be a date (year 9999 at most)


def parse_period_key(key: str) -> FiscalQuarter:
    match = _KEY.match(key.strip()) if isinstance(key, str) else None
    if not match or not FIRST_YEAR <= int(match.group(1)) <= _LAST_YEAR:
        raise PeriodKeyError(f"'{key}' is not a period key such as 2026-Q4")
    return FiscalQuarter(int(match.group(1)), int(match.group(2)))


# Names a client may write instead of a key, for links and spreadsheets that must keep working next quarter.
PERIOD_NAMES = ("current", "previous", "next")


def resolve_period_key(key: str, current: FiscalQuarter) -> FiscalQuarter:
    """A period key (`2026-Q4`) or a name relative to the quarter `current`: "current", "previous" or "next"
    (in any case). Anything else is a PeriodKeyError that says what may be written."""
    name = key.strip().lower() if isinstance(key, str) else None
    if name == "current":
        return current
    if name == "previous":
        return current.previous()
    if name == "next":
        return current.next()
    try:
        return parse_period_key(key)
    except PeriodKeyError:
        raise PeriodKeyError(f"'{key}' is not a period key such as 2026-Q4, nor a name: "
                             f"{', '.join(PERIOD_NAMES[:-1])} or {PERIOD_NAMES[-1]}") from None


def previous_period_key(key: str) -> str:
    """The key of the quarter before `key`'s; 1900-Q1, the first there is, has none (PeriodKeyError)."""
    previous = parse_period_key(key).previous()
    if previous.year < FIRST_YEAR:
        raise PeriodKeyError(f"{FIRST_YEAR}-Q1 is the first period: there is none before it")
    return previous.key


def _quarter_start(q: FiscalQuarter, start_month: int, tz: ZoneInfo) -> datetime:
    months = (start_month - 1) + 3 * (q.quarter - 1)
    year, month0 = q.year + months // 12, months % 12
    return datetime(year, month0 + 1, 1, tzinfo=tz).astimezone(timezone.utc)


def period_bounds(q: FiscalQuarter, start_month: int, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal quarter, midnights in the installation's zone, as UTC instants."""
    tz = ZoneInfo(tz_name)
    return _quarter_start(q, start_month, tz), _quarter_start(q.next(), start_month, tz)


def quarter_of(moment: datetime, start_month: int, tz_name: str) -> FiscalQuarter:
    """The fiscal quarter that contains an instant."""
    local = moment.astimezone(ZoneInfo(tz_name))
    months_into_fy = (local.month - start_month) % 12
    fy = local.year if local.month >= start_month else local.year - 1
    return FiscalQuarter(fy, months_into_fy // 3 + 1)



# --- who may see what -------------------------------------------------------------------

@dataclass(frozen=True)
class Principal:
    """Who is asking: a person's token (acting with the person's role) or a service token."""

    token_id: int | None
    name: str
    role: Role
    person_id: int | None = None
    team_id: int | None = None
    read_only: bool = False  # an export token: reads only
    team_function: TeamFunction | None = None  # the function of the person's team (None for a service token)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def operator(name: str) -> Principal:
    """The installation's operator at the command line: an admin, audited under `name` (the host user)."""
    return Principal(token_id=None, name=name, role=Role.ADMIN)
