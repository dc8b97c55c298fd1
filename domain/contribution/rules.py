"""The common view's own rules. Pure."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal



def goal_progress(owned: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ(share × progress) / Σ share over the objectives a team co-owns (progress clamped); None when it owns none."""
    owned = list(owned)
    total = sum((share for share, _ in owned), Decimal(0))
    if total == 0:
        return None
    return sum((share * progress for share, progress in owned), Decimal(0)) / total


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """current − previous, when both exist."""
    if current is None or previous is None:
        return None
    return current - previous


def split_by_minutes(total: Decimal, minutes: Sequence[int]) -> list[Decimal]:
    """A seller's wasted selling cost (to the cent) shared over their touches in proportion to the minutes, by
    largest remainder (equal remainders favour the earlier touch), so the shares sum to exactly `total`."""
    cents = int(total.scaleb(2).to_integral_value())
    whole = sum(minutes)
    if whole <= 0:
        if cents:
            raise ValueError("a cost needs minutes to share it over")
        return [Decimal("0.00")] * len(minutes)
    shares = [cents * m // whole for m in minutes]
    left = cents - sum(shares)
    by_remainder = sorted(range(len(minutes)), key=lambda i: (-(cents * minutes[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return [Decimal(c).scaleb(-2) for c in shares]
