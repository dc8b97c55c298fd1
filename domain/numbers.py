"""The written form of every kind of number the service gives out, in one place: GraphQL fields, the CSV exports
(whose cells are exactly the text GraphQL's JSON holds) and, through GraphQL, the dashboard. Inside the service
numbers stay exact Decimals; these functions are applied once, at the edge, and rounding is ROUND_HALF_UP.

| kind | form | e.g. |
|---|---|---|
| money | Decimal string, exactly 2 places | "3787.88", "0.00" |
| ratio, progress, share of a total, compliance, attainment, confidence | Float, rounded to 6 places | 0.5, 0.543016 |
| weight (a key result's weight, an owner's share, a touch's credit weight) | Float, rounded to 6 places | 0.333333 |
| key result value (start, target, current, check-in) | Decimal string at its unit's scale: CURRENCY and HOURS exactly 2 places, PERCENT exactly 6, COUNT at most 2 | "12500.00", "0.450000", "120", "12.5" |
| measured hours (response, overdue) | Float, rounded to 2 places | 26.5 |
| score points of a lead | Decimal string, at most 2 places | "37.45" |
| a setting as entered (SLA hours and days, half-lives, thresholds, selling hours) | Decimal string, no trailing zeros | "48", "0.5" |

A Float is written as JSON writes it (Python's shortest repr: `0.5`, `1.0`, `1e-06`); a CSV cell holds the same
text. Negative zero is written as zero. Pure: no I/O."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

RATIO_PLACES = 6
WEIGHT_PLACES = 6
MONEY_PLACES = 2
HOURS_PLACES = 2
COUNT_PLACES = 2
POINTS_PLACES = 2

# A key result's unit (domain.goals.rules.Unit, a str enum) to the places of its values, and whether they are
# fixed (exactly that many) or a limit (at most that many, trailing zeros dropped)
UNIT_SCALE: dict[str, tuple[int, bool]] = {"CURRENCY": (2, True), "HOURS": (2, True), "PERCENT": (6, True),
                                           "COUNT": (2, False)}
# What a compensation metric measures, as a key result unit (its value and quota are written at that scale)
COMP_METRIC_UNIT: dict[str, str] = {"OWN_BOOKINGS": "CURRENCY", "TEAM_BOOKINGS": "CURRENCY",
                                    "ATTRIBUTED_BOOKINGS": "CURRENCY", "KEY_RESULT_PROGRESS": "PERCENT",
                                    "MQLS_DELIVERED": "COUNT", "SLA_COMPLIANCE": "PERCENT"}

_ZERO = Decimal(0)


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the float as written, not its binary expansion
    return Decimal(value)


def _fixed(value, places: int) -> Decimal:
    """Rounded half-up to exactly `places` places, negative zero made zero. The context is widened to the digits
    the result needs (a raw progress can be 1e35), so rounding never fails on a large figure."""
    value = _decimal(value)
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + places + 3)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) + _ZERO


def _at_most(value, places: int) -> Decimal:
    """Rounded half-up to `places` places, then without trailing zeros (and never in exponent form)."""
    return _plain(_fixed(value, places))


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros, and an integral value with exponent 0 ("100", not "1E+2")."""
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + 3)
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()


def _float(value, places: int) -> float:
    return float(_fixed(value, places)) + 0.0


def money(value) -> Decimal | None:
    """An amount of money: exactly 2 places ("12.50")."""
    return None if value is None else _fixed(value, MONEY_PLACES)


def ratio(value) -> float | None:
    """A ratio, progress, share of a total, compliance, attainment or confidence: a Float rounded to 6 places."""
    return None if value is None else _float(value, RATIO_PLACES)


def weight(value) -> float | None:
    """A weight or an owner's share: a Float rounded to 6 places."""
    return None if value is None else _float(value, WEIGHT_PLACES)


def hours(value) -> float | None:
    """A measured duration in hours: a Float rounded to 2 places."""
    return None if value is None else _float(value, HOURS_PLACES)


def count(value) -> Decimal | None:
    """A count that may be fractional: at most 2 places ("120", "12.5")."""
    return None if value is None else _at_most(value, COUNT_PLACES)


def points(value) -> Decimal | None:
    """A lead's score points: at most 2 places."""
    return None if value is None else _at_most(value, POINTS_PLACES)


def key_result_value(value, unit) -> Decimal | None:
    """A key result's start, target, current or check-in value at its unit's scale."""
    if value is None:
        return None
    places, fixed = UNIT_SCALE[str(getattr(unit, "value", unit))]
    return _fixed(value, places) if fixed else _at_most(value, places)


def comp_metric_value(value, metric) -> Decimal | None:
    """A compensation line's metric value or quota, at the scale of what the metric measures."""
    return key_result_value(value, COMP_METRIC_UNIT[str(getattr(metric, "value", metric))])


def setting(value) -> Decimal | None:
    """A value someone typed (an SLA's hours, a half-life, a threshold): as entered, without trailing zeros."""
    if value is None:
        return None
    return _plain(_decimal(value) + _ZERO)
