"""Half-life decay in exact Decimals: the powers of two behind TIME_DECAY's touch weights
(domain/attribution/rules.py) and a lead's decayed behaviour points (domain/leads/rules.py). Pure."""
from __future__ import annotations

from decimal import Decimal, localcontext

with localcontext() as _ctx:
    _ctx.prec = 60
    _LN2 = Decimal(2).ln()
_POW2_GUARD_DIGITS = 12


def pow2(x: Decimal) -> Decimal:
    """2 ** x rounded to the context's precision, as `Decimal(2) ** x` gives it, ten times faster: exp(x ln 2)
    worked out with 12 guard digits, then rounded (a Decimal power of a fractional exponent is the slow part of
    a decay)."""
    with localcontext() as ctx:
        ctx.prec += _POW2_GUARD_DIGITS
        value = (x * _LN2).exp()
    return +value
