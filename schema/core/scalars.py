"""Custom scalars: exact decimals as strings, and times that must carry a zone offset."""
from __future__ import annotations

import datetime as dt
import decimal
import strawberry

_MAX_DIGITS = 28


def _parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("a Decimal is a number written as a string, such as \"3787.88\"")
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValueError(f"'{value}' is not a decimal number") from None
    if not number.is_finite():
        raise ValueError("a Decimal must be finite")
    # adjusted() is the exponent of the leading digit: 17 for 18 digits before the point (1e18 has 19, and
    # overflowed the NUMERIC columns on PostgreSQL; found by fuzzing); -18 for a first digit 18 places after it
    if len(number.as_tuple().digits) > _MAX_DIGITS or not -18 <= number.adjusted() <= 17:
        raise ValueError("a Decimal has at most 28 digits and 18 before the point")
    return number


def _serialize_decimal(value: decimal.Decimal) -> str:
    return format(value, "f")


def _parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("a DateTime is an ISO 8601 string with a zone offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'{value}' has no zone offset; write it like 2026-11-23T09:00:00+00:00")
    try:
        return parsed.astimezone(dt.timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before the first UTC instant Python can hold
        raise ValueError(f"'{value}' is out of the range of dates this API accepts") from None


def _serialize_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat()


# Annotate fields with plain `decimal.Decimal` and `datetime`; the schema maps them to these scalars.
SCALAR_MAP = {
    decimal.Decimal: strawberry.scalar(
        name="Decimal",
        description="An exact decimal number written as a string, e.g. \"3787.88\" "
                    "(money is in the installation's currency).",
        serialize=_serialize_decimal,
        parse_value=_parse_decimal,
    ),
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description="An ISO 8601 date and time with a zone offset, e.g. 2026-11-23T09:00:00+00:00.",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
}
