"""Checking import rows: plain values in, typed column values or the reasons a row is refused out.
Pure: no I/O, no ORM. References (people, teams, leads) come in as mappings the caller loaded."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")  # plain digits: no exponent, separator or underscore
MAX_AMOUNT = Decimal(1_000_000_000_000)  # an amount of money is below this (sums of millions still fit in cents)


class RowRefused(Exception):
    """A row that cannot be imported, with every reason found."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class PersonRef:
    id: int
    name: str
    active: bool
    team_id: int | None = None


@dataclass
class Refs:
    """What rows may name: people by lowercased email, teams by name, leads and opportunities by external id."""

    people: Mapping[str, PersonRef]
    teams: Mapping[str, int]
    leads: Mapping[str, int]
    team_of_person: Mapping[int, int] = field(default_factory=dict)  # person id -> team id
    opportunities: Mapping[str, int] = field(default_factory=dict)   # external id -> id (the splits import)

    def team(self, name: str) -> int | None:
        found = self.teams.get(name)
        return found if found is not None else self.teams.get(name.lower())


def key_problem(keys, required: tuple[str, ...], optional: tuple[str, ...]) -> str | None:
    """Missing required keys or keys the kind does not know; None when the keys are right."""
    keys = set(keys)
    missing = [k for k in required if k not in keys]
    unknown = sorted(keys - set(required) - set(optional))
    reasons = []
    if missing:
        reasons.append(f"missing {'key' if len(missing) == 1 else 'keys'}: {', '.join(missing)}")
    if unknown:
        reasons.append(f"unknown {'key' if len(unknown) == 1 else 'keys'}: {', '.join(unknown)} "
                       f"(expected {', '.join(required)}{''.join(f', [{k}]' for k in optional)})")
    return "; ".join(reasons) or None


class Row:
    """Reads the values of one record, collecting every problem instead of stopping at the first."""

    __slots__ = ("data", "reasons")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.reasons: list[str] = []

    def done(self) -> None:
        if self.reasons:
            raise RowRefused(self.reasons)

    def _raw(self, key: str) -> Any:
        value = self.data.get(key)
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
        return value

    def text(self, key: str, max_length: int, required: bool = False, default: str | None = None) -> str | None:
        value = self.data.get(key)
        if value.__class__ is str:  # the common case, kept short: imports spend most of their time here
            value = value.strip()
            if value and len(value) <= max_length and "\x00" not in value:
                return value
            value = value or None
        if value is None:
            if required:
                self.reasons.append(f"{key} is required")
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif not isinstance(value, str):
            self.reasons.append(f"{key} must be text")
            return default
        if len(value) > max_length:
            self.reasons.append(f"{key} has more than {max_length} characters")
            return default
        if "\x00" in value:
            self.reasons.append(f"{key} holds a NUL character")
            return default
        return value

    def time(self, key: str, required: bool = True) -> datetime | None:
        value = self.data.get(key)
        if value.__class__ is str:
            try:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is not None:
                    return parsed.astimezone(timezone.utc)
            except (ValueError, OverflowError):  # OverflowError: the zone moves it past year 1 or 9999
                pass
        value = self._raw(key)
        if value is None:
            if required:
                self.reasons.append(f"{key} is required")
            return None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                self.reasons.append(f"{key} '{value}' is not an ISO 8601 date and time")
                return None
        else:
            self.reasons.append(f"{key} must be an ISO 8601 date and time")
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.reasons.append(f"{key} '{value}' has no zone offset; write it like 2026-11-23T09:00:00+00:00")
            return None
        try:
            return parsed.astimezone(timezone.utc)
        except OverflowError:
            self.reasons.append(f"{key} '{value}' is out of the range of dates (years 1 to 9999 in UTC)")
            return None

    def count(self, key: str) -> int | None:
        """An optional whole number ≥ 0."""
        value = self.data.get(key)
        if value.__class__ is str:
            value = value.strip()
            if value.isdigit() and len(value) < 10:  # ASCII digits only: '²' is a digit to isdigit but not to int
                return int(value) if value.isascii() else self._count(key, value)
            if not value:
                return None
        return self._count(key, value)

    def _count(self, key: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and _WHOLE.match(value):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.reasons.append(f"{key} '{value}' is not a whole number")
            return None
        if value < 0:
            self.reasons.append(f"{key} must be 0 or more")
            return None
        if value > 2_147_483_647:
            self.reasons.append(f"{key} is too large")
            return None
        return value

    def cents(self, key: str) -> int | None:
        """A required amount of money, 0 or more with at most two decimal places, as whole cents. Text as CSV gives
        it ("1234.50"), or a JSON number, or a Decimal (GraphQL)."""
        value = self._raw(key)
        if value is None:
            self.reasons.append(f"{key} is required")
            return None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))  # the shortest form that reads back the same: as the JSON wrote it
        elif isinstance(value, str) and _DECIMAL.match(value):
            try:
                number = Decimal(value)
            except InvalidOperation:  # pragma: no cover (the pattern admits only what Decimal reads)
                number = None
        else:
            number = None
        if number is None or not number.is_finite():
            self.reasons.append(f"{key} '{value}' is not a decimal number such as 1234.50")
            return None
        if number < 0:
            self.reasons.append(f"{key} must be 0 or more")
            return None
        exponent = number.as_tuple().exponent
        digits = number.as_tuple().digits
        if exponent < -2 and any(digits[exponent + 2:]):  # a non-zero digit after the cents
            self.reasons.append(f"{key} '{value}' has more than 2 decimal places")
            return None
        if number >= MAX_AMOUNT:
            self.reasons.append(f"{key} is too large (at most {MAX_AMOUNT - Decimal('0.01')})")
            return None
        return int(number.quantize(Decimal("0.01")) * 100)

    def email(self, key: str, required: bool = False) -> str | None:
        value = self.text(key, 320, required=required)
        if value is None:
            return None
        value = value.lower()
        if not EMAIL.match(value):
            self.reasons.append(f"{key} '{value}' is not an email address")
            return None
        return value

    def choice(self, key: str, allowed, what: str, required: bool = True) -> str | None:
        value = self.text(key, 64, required=required)
        if value is None:
            return None
        if value not in allowed:
            self.reasons.append(f"{key} '{value}' is not {what}: one of {', '.join(allowed)}")
            return None
        return value

    def person(self, key: str, refs: Refs, required: bool = False, active: bool = False) -> PersonRef | None:
        email = self.email(key, required=required)
        if email is None:
            return None
        person = refs.people.get(email)
        if person is None:
            self.reasons.append(f"{key} '{email}' names no person")
            return None
        if active and not person.active:
            self.reasons.append(f"{key} '{email}' names a person who is no longer active")
            return None
        return person

    def lead(self, key: str, refs: Refs) -> int | None:
        return self._named(key, refs.leads, "lead")

    def opportunity(self, key: str, refs: Refs) -> int | None:
        return self._named(key, refs.opportunities, "opportunity")

    def _named(self, key: str, ids: Mapping[str, int], noun: str) -> int | None:
        """The id of the record an external id names (required), or None with the reason."""
        external_id = self.text(key, 128, required=True)
        if external_id is None:
            return None
        found = ids.get(external_id)
        if found is None:
            self.reasons.append(f"{key} '{external_id}' names no {noun} (import the {noun} first)")
        return found

    def percent(self, key: str) -> Decimal | None:
        """A percentage as a decimal with at most 2 places ("70", "33.33"); its range is the caller's rule."""
        cents = self.cents(key)
        return None if cents is None else Decimal(cents) / 100

    def given(self, key: str) -> bool:
        return self._raw(key) is not None

    def absent(self, key: str, why: str) -> None:
        if self.given(key):
            self.reasons.append(f"{key} is only for {why}")


def lead_key(value: Any) -> str | None:
    """The lead external id a record names, as the lead lookup needs it (before the row is checked)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def repeated_in_file(noun: str, external_id: str, changed: list[str], earlier_line: int | None) -> str | None:
    """A record whose external id an earlier row of the same file had: nothing when the two are identical (the
    repeat changes nothing), else the reason the later row is refused. Neither wins silently: which one the file
    meant cannot be known."""
    if not changed:
        return None
    where = f"line {earlier_line}" if earlier_line is not None else "an earlier line"
    return (f"external_id '{external_id}' appears on {where} of this file with other content (differs in "
            f"{', '.join(changed)}): a file gives each {noun} once")
