"""Money is stored as integer cents and handled as Decimal; rounding is ROUND_HALF_UP."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# Amounts are stored as 64-bit integer cents: one amount stays far below that, so sums of many still fit
MAX_AMOUNT = Decimal(1_000_000_000_000)


def amount_problem(amount: Decimal, what: str) -> str | None:
    """Why an amount of money cannot be stored, or None."""
    if abs(amount) >= MAX_AMOUNT:
        return f"{what} is too large (at most {MAX_AMOUNT - CENT})"
    return None


def to_cents(amount: Decimal) -> int:
    return int(round_cents(amount) * 100)


def from_cents(cents: int | None) -> Decimal | None:
    if cents is None:
        return None
    return (Decimal(cents) / 100).quantize(CENT)


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_places(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
