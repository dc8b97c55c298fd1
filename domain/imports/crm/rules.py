"""The pure rules of CRM imports: Salesforce ids, value tables, owner matching and vendor dates. No I/O."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_SF_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
SF_QUEUE_PREFIX = "00G"  # a Group (a queue) as the owner of a record: no person owns it


class VendorValueError(ValueError):
    """A value of a vendor file that cannot be read (the reason is the message)."""


def sf_id18(value: str) -> str:
    """The 18-character form of a Salesforce id: a 15-character id (case-sensitive) gets its checksum suffix, one
    character for each five, whose bits say which of them are capitals; an 18-character one is checked and its
    suffix written in capitals (the suffix is case-insensitive)."""
    value = value.strip()
    if not _SF_ID.match(value):
        raise VendorValueError(f"'{value}' is not a Salesforce id (15 or 18 letters and digits)")
    base = value[:15]
    suffix = "".join(_SF_SUFFIX[sum(1 << i for i, c in enumerate(base[k:k + 5]) if "A" <= c <= "Z")]
                     for k in (0, 5, 10))
    if len(value) == 18 and value[15:].upper() != suffix:
        raise VendorValueError(f"'{value}' is not a Salesforce id: its last 3 characters should be {suffix}")
    return base + suffix


def is_sf_queue(value: str) -> bool:
    return value.strip().startswith(SF_QUEUE_PREFIX)


def split_mapped(value: str) -> tuple[str, str | None]:
    """A value table's right-hand side: 'STAGE' or 'STAGE:REASON_CODE' (a disqualified lead's reason)."""
    stage, _, reason = value.partition(":")
    return stage.strip(), (reason.strip() or None)


def look_up(table: Mapping[str, str], value: str) -> str | None:
    """A vendor value in a mapping's table, exactly, else ignoring case and surrounding spaces; None when absent."""
    if value in table:
        return table[value]
    folded = value.strip().casefold()
    for key, mapped in table.items():
        if key.strip().casefold() == folded:
            return mapped
    return None


@dataclass(frozen=True)
class Person:
    email: str
    name: str


class OwnerMatch:
    """Owners of vendor records matched to people: first the mapping's table of vendor user ids (or names) to
    emails, then the value as an email, then a person's exact name. A name two people share matches nobody: it is
    a file error (`ambiguous`), never a guess."""

    def __init__(self, table: Mapping[str, str], people: Iterable[Person]) -> None:
        self.table = {k.strip(): v.strip().lower() for k, v in table.items()}
        people = list(people)
        self.emails = {p.email.lower() for p in people}
        by_name: dict[str, list[str]] = {}
        for p in people:
            by_name.setdefault(p.name.strip(), []).append(p.email.lower())
        self.by_name = by_name

    def email(self, value: str) -> tuple[str | None, str | None]:
        """(email, None) when matched; (None, 'unmatched' or 'ambiguous') when not."""
        value = value.strip()
        if value in self.table:
            email = self.table[value]
            return (email, None) if email in self.emails else (None, "unmatched")
        if value.lower() in self.emails:
            return value.lower(), None
        found = self.by_name.get(value, [])
        if len(found) == 1:
            return found[0], None
        return None, ("ambiguous" if found else "unmatched")


def parse_vendor_time(value: str, zone: str, formats: Iterable[str]) -> datetime:
    """A vendor date or date and time as an aware UTC datetime: ISO 8601 (with or without an offset, as Data
    Loader writes `2026-11-02T09:00:00.000Z`), a Unix time in milliseconds (13 digits, as HubSpot's API gives), or
    one of the mapping's `strptime` formats. A value without an offset is in the mapping's declared zone (a date
    alone is that day's midnight there); nothing is guessed."""
    text = value.strip()
    if not text:
        raise VendorValueError("no date")
    parsed = None
    if text.isdigit() and len(text) == 13:
        return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        for fmt in formats:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise VendorValueError(f"'{text}' is not a date in a form the mapping declares "
                               f"(ISO 8601 or {', '.join(repr(f) for f in formats) or 'no other'})")
    try:
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(zone))
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # the zone moves it past year 1 or 9999
        raise VendorValueError(f"'{text}' is out of the range of dates") from None


def mapping_problems(mapping: Mapping) -> list[str]:
    """What is wrong with a mapping's shape (its tables are text to text; formats a list of text), before any file
    is read through it: a bad one is refused whole, never half applied."""
    problems = []
    text = lambda v: isinstance(v, str)  # noqa: E731
    for key in ("source", "prefix", "ids", "timezone"):
        if key in mapping and not text(mapping[key]):
            problems.append(f"{key} must be text")
    formats = mapping.get("date_formats", [])
    if not isinstance(formats, list) or not all(map(text, formats)):
        problems.append("date_formats must be a list of strptime forms")
    tables = [("owners", mapping.get("owners", {})), ("teams", mapping.get("teams", {})),
              ("status", mapping.get("status", {}))]
    objects = mapping.get("objects")
    for name, section in (objects.items() if isinstance(objects, dict) else ()):
        if not isinstance(section, dict):
            problems.append(f"[objects.{name}] must be a table")
            continue
        for key, value in section.items():
            if isinstance(value, dict):
                tables.append((f"objects.{name}.{key}", value))
    for where, table in tables:
        if not isinstance(table, dict) or not all(text(k) and text(v) for k, v in table.items()):
            problems.append(f"[{where}] must map text to text")
    return problems


def parse_duration_minutes(value: str, unit: str) -> int | None:
    """A duration as whole minutes (rounded up: a 30-second call is a touch of 1 minute): `unit` is 'minutes',
    'seconds', 'milliseconds' or 'hms' (HH:MM:SS); None for an empty value."""
    text = value.strip()
    if not text:
        return None
    try:
        if unit == "hms":
            parts = [int(p) for p in text.split(":")]
            if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
                raise ValueError
            seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        else:
            number = float(text)
            if number < 0:
                raise ValueError
            seconds = number * {"minutes": 60, "seconds": 1, "milliseconds": 0.001}[unit]
    except (ValueError, KeyError):
        raise VendorValueError(f"'{text}' is not a duration in {unit}") from None
    return -int(-seconds // 60)


def truthy(value: str) -> bool:
    """A vendor checkbox: true, 1, yes (any case); anything else, empty included, is false."""
    return value.strip().lower() in ("true", "1", "yes", "y")


def closed_at_of(close_day: datetime, created_at: datetime) -> datetime:
    """A deal's close date is a day without a time: closed at that day's start in the mapping's zone, or at its
    creation when it was created later that day (a deal never closes before it is created)."""
    return max(close_day, created_at)


ONE_DAY_MINUTES = int(timedelta(days=1).total_seconds() // 60)


def unmapped_message(unmapped: Mapping[tuple[str, str], int]) -> list[str]:
    """One line per section of the mapping to edit, each value with the number of rows that carry it."""
    sections: dict[str, list[str]] = {}
    for (section, value), n in sorted(unmapped.items()):
        sections.setdefault(section, []).append(f"'{value}' ({n} row{'s' if n != 1 else ''})")
    return [f"values not in the mapping's [{section}]: {', '.join(values)}; add them there"
            for section, values in sections.items()]
