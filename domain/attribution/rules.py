"""Attribution rules: an opportunity's journey, its milestone touches, the credit models, the cent split, and the
sourced and influencing teams (DOMAIN.md "Attribution and credit" and "Settled rules" -> Numbers, Attribution).

Pure: plain values in (frozen dataclasses, Decimal, aware datetimes, int cents), Decimals and ints out; no I/O, no ORM.

The journey. An opportunity's touches are its source lead's touchpoints (both kinds) at or before min(close, as_of)
(as_of while open), ordered by (time, id); `journey()` builds it. Milestones, as indexes into those touches:
FT the first touch; LC the last touch at or before the lead's first MQL; OC the last touch at or before the
opportunity was created; CW the last touch at or before the close (a milestone that did not happen is None).

The models (share of the amount), written as position weights {milestone: weight} plus an "others" share:
  FIRST_TOUCH {FT 1}            LAST_TOUCH {last 1}           LINEAR  1/n each
  U_SHAPED    {FT .4, LC .4} + .2 others                      W_SHAPED {FT .3, LC .3, OC .3} + .1 others
  FULL_PATH   {FT, LC, OC, CW .225 each} + .1 others          J_SHAPED {FT .2, last .6} + .2 others
  INVERSE_J   {FT .6, last .2} + .2 others                    CUSTOM  {FT ft, LC lc, OC oc, CW cw} + others
  TIME_DECAY  2^(-age/half_life) per touch, age in days to the close (to the last touch while open), normalised.
"last" is the last touch of the journey (J_SHAPED, INVERSE_J, LAST_TOUCH); it always exists, like FT.
MARKOV and SHAPLEY (data-driven) are not position models: a touch weighs its channel's effect in a period's chain
(markov.py, shapley.py, driven.py), so `weights()` refuses them; `proportional()` and `split()` finish their split.

Position weights are applied in this order (steps 2 and 4 are proportional rescalings of the milestones, so
their order does not change the result):
1. The model's milestones are the positions with a weight above 0 (so CUSTOM {.4, .4, 0, 0, .2} is U_SHAPED, and a
   CUSTOM position weighted 0 is not a milestone: its touch is one of the others).
2. A milestone that did not happen (LC without an MQL or without a touch at or before it, OC without a touch
   at or before creation, CW while open) gives its weight to the milestones that did, in proportion to their
   weights; the others' share is left as it is. If none of the model's milestones happened (possible only with
   CUSTOM and ft = 0), their weight joins the others' share.
3. Milestones that fall on the same touch give that touch the sum of their weights.
4. The others are the touches holding none of the model's milestones; they share the others' weight evenly. When
   there are none, that weight is spread over the milestone touches in proportion to their weights so far.
   A journey of one touch gives it everything, whatever the model.

Exact Decimals. `weights()` returns one weight per touch with at most 24 decimal places, summing to exactly 1:
the normalised raw weights are turned into units of 1e-24 by the same largest-remainder rule as cents (below), so
a weight exact at 24 places stays exact (0.3, 0.05 compare equal to the literals) and a repeating one is cut at
24 places, its last unit going to the earliest of equal weights (LINEAR over 3 touches: 0.333...334, 0.333...333,
0.333...333). A TIME_DECAY weight below 1e-24 of the total may become 0.

The cent split (`split`): largest remainder. Each touch first gets the floor of amount x weight; the cents left
over (fewer than the number of touches) go one each to the touches with the largest fractional parts, and
"cent remainders go to the earliest touches first" is read as the tie-break: among equal fractional parts the
earlier touch (journey order, i.e. (time, id)) gets its cent first. It is not read as "every remainder cent goes to
the earliest touches whatever their fractions", which would contradict "largest remainder": with weights .25/.75 a
single cent goes to the .75 touch. Fractional parts are compared rounded half-up to 1e-9 cent so that parts equal
up to Decimal rounding noise in the weights (1/3 written as 0.333...) count as equal and the earliest touch wins.
A touch with weight 0 never gets a cent. A negative amount (a reversal) is split as its absolute value and every
part negated, so a reversal takes back exactly what the booking gave; zero gives zeros.

Other choices made here (where the brief left room):
- `Journey` refuses touches out of (time, id) order, repeated, or after its close; `journey()` is the way to build
  one. `mql_at` must be the lead's first MQL event (the caller picks it).
- `journey()` treats a close or an MQL dated after `as_of` as not happened yet (the journey is open / has no MQL),
  just as touches after `as_of` are left out; `created_at` is kept as given.
- TIME_DECAY measures age to `closed_at`, else (open) to the last touch, not to `as_of`: the normalised weights do
  not depend on the reference point (moving it multiplies every raw weight by the same factor), and a fixed one
  makes them the same Decimals whatever the clock, so an open deal's weights can be stored. half_life_days must be
  above 0.
- CUSTOM weights are validated when used (`custom_weights_problem`, ValueError from `weights`): each at least 0
  and summing to 1 within 1e-9 after rounding each to 6 places; they are then used as given, normalised by their
  exact sum. `custom` is ignored by the other models.
- `split()` refuses weights that are negative or do not sum to 1 within 1e-9, and divides by their exact total
  so the cents always sum to the amount; an empty weight list splits only 0.
- Sourced: the team of FT (None without touches or when FT carries no team). Influencing: every team with a touch
  at or before OC, i.e. at or before the creation (touches carrying no team are skipped; no OC, no team).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import Enum
from functools import cached_property, lru_cache

from domain.access.rules import MARKETING_SIDE, SALES_SIDE
from domain.decay import pow2
from domain.money import round_places

ZERO, ONE, TWO = Decimal(0), Decimal(1), Decimal(2)
DEFAULT_HALF_LIFE_DAYS = Decimal(7)
WEIGHT_TOLERANCE = Decimal("1e-9")      # settled rule: weights sum to 1 within 1e-9 (after rounding each to 6 places)
WEIGHT_PLACES = 24                      # weights are returned with at most 24 places, summing to exactly 1
TIE_QUANTUM = Decimal("1e-9")           # fractional cents closer than this are ties in the split
_DAY = Decimal(86_400_000_000)          # microseconds


class Model(str, Enum):
    FIRST_TOUCH = "FIRST_TOUCH"
    LAST_TOUCH = "LAST_TOUCH"
    LINEAR = "LINEAR"
    U_SHAPED = "U_SHAPED"
    W_SHAPED = "W_SHAPED"
    FULL_PATH = "FULL_PATH"
    TIME_DECAY = "TIME_DECAY"
    J_SHAPED = "J_SHAPED"
    INVERSE_J = "INVERSE_J"
    CUSTOM = "CUSTOM"
    MARKOV = "MARKOV"      # data-driven: markov.py, driven.py
    SHAPLEY = "SHAPLEY"    # data-driven: shapley.py, driven.py


class Milestone(str, Enum):
    FT = "FT"   # first touch
    LC = "LC"   # last touch at or before the lead's first MQL
    OC = "OC"   # last touch at or before the opportunity was created
    CW = "CW"   # last touch at or before the close


_LAST = "LAST"  # the journey's last touch, a position of LAST_TOUCH, J_SHAPED and INVERSE_J (not a Milestone)


@dataclass(frozen=True)
class Touch:
    id: int
    at: datetime
    team_id: int | None = None
    person_id: int | None = None
    channel: str | None = None
    campaign: str | None = None


@dataclass(frozen=True)
class Journey:
    """An opportunity's touches in (time, id) order, none after the close; `mql_at` is the lead's first MQL."""

    touches: tuple[Touch, ...]
    mql_at: datetime | None
    created_at: datetime
    closed_at: datetime | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "touches", tuple(self.touches))
        keys = [(t.at, t.id) for t in self.touches]
        if any(a >= b for a, b in zip(keys, keys[1:])):
            raise ValueError("a journey's touches must be distinct and ordered by (time, id); use journey()")
        if self.closed_at is not None and self.touches and self.touches[-1].at > self.closed_at:
            raise ValueError("a journey has no touches after its close; use journey()")

    @cached_property
    def milestone_positions(self) -> tuple[int | None, int | None, int | None, int | None]:
        """milestones(self)'s values (FT, LC, OC, CW), worked out once a journey (it never changes, and every model
        and the stored rows ask for them)."""
        return _milestone_positions(self)


@dataclass(frozen=True)
class CustomWeights:
    """Position weights of the CUSTOM model (fractions: 0.3 = 30%)."""

    ft: Decimal
    lc: Decimal
    oc: Decimal
    cw: Decimal
    others: Decimal


# --- the journey ---------------------------------------------------------------------------

def journey(touches: Iterable[Touch], mql_at: datetime | None, created_at: datetime,
            closed_at: datetime | None, as_of: datetime) -> Journey:
    """The opportunity's journey as of `as_of`: its lead's touches at or before min(close, as_of) (as_of while
    open), ordered by (time, id). A close or MQL after `as_of` has not happened yet."""
    if closed_at is not None and closed_at > as_of:
        closed_at = None
    if mql_at is not None and mql_at > as_of:
        mql_at = None
    cutoff = as_of if closed_at is None else closed_at
    kept = sorted((t for t in touches if t.at <= cutoff), key=lambda t: (t.at, t.id))
    return Journey(tuple(kept), mql_at, created_at, closed_at)


def _last_at_or_before(touches: Sequence[Touch], moment: datetime | None) -> int | None:
    if moment is None:
        return None
    found = None
    for i, t in enumerate(touches):
        if t.at > moment:
            break
        found = i
    return found


def milestones(j: Journey) -> dict[Milestone, int | None]:
    """Index into `j.touches` of each milestone touch, or None if that milestone did not happen."""
    return dict(zip(Milestone, j.milestone_positions))


def _milestone_positions(j: Journey) -> tuple[int | None, int | None, int | None, int | None]:
    """The first touch (FT), the last touch at or before the MQL (LC), the creation (OC) and the close (CW)."""
    if not j.touches:
        return None, None, None, None
    return (0, _last_at_or_before(j.touches, j.mql_at), _last_at_or_before(j.touches, j.created_at),
            _last_at_or_before(j.touches, j.closed_at))


# --- weights -------------------------------------------------------------------------------

_POSITIONS: dict[Model, tuple[dict[str, Decimal], Decimal]] = {
    Model.FIRST_TOUCH: ({Milestone.FT: ONE}, ZERO),
    Model.LAST_TOUCH: ({_LAST: ONE}, ZERO),
    Model.U_SHAPED: ({Milestone.FT: Decimal("0.4"), Milestone.LC: Decimal("0.4")}, Decimal("0.2")),
    Model.W_SHAPED: ({Milestone.FT: Decimal("0.3"), Milestone.LC: Decimal("0.3"), Milestone.OC: Decimal("0.3")},
                     Decimal("0.1")),
    Model.FULL_PATH: ({m: Decimal("0.225") for m in Milestone}, Decimal("0.1")),
    Model.J_SHAPED: ({Milestone.FT: Decimal("0.2"), _LAST: Decimal("0.6")}, Decimal("0.2")),
    Model.INVERSE_J: ({Milestone.FT: Decimal("0.6"), _LAST: Decimal("0.2")}, Decimal("0.2")),
}


def custom_weights_problem(w: CustomWeights) -> str | None:
    """Why CUSTOM weights cannot be used, or None: each must be at least 0, and they must sum to 1 within 1e-9
    after rounding each to 6 places."""
    values = [w.ft, w.lc, w.oc, w.cw, w.others]
    if not all(isinstance(v, Decimal) and v.is_finite() for v in values):
        return "custom weights must be finite Decimals"
    if any(v < ZERO for v in values):
        return "custom weights must each be at least 0"
    total = sum((round_places(v, 6) for v in values), ZERO)
    if abs(total - ONE) > WEIGHT_TOLERANCE:
        return f"custom weights must sum to 1 (they sum to {total.normalize()})"
    return None


MAX_HALF_LIFE_DAYS = Decimal(1_000_000)  # a model of record stores it with 6 digits before the point


def model_choice_problems(model: Model, half_life_days: Decimal | None,
                          custom: CustomWeights | None) -> list[tuple[str, str]]:
    """(argument, message) for each reason a model, its half-life and its weights cannot be used together: the
    one check of every place a client names a model (`attribution`, `Opportunity.credits`, a proposal)."""
    problems = []
    if half_life_days is not None:
        if not (isinstance(half_life_days, Decimal) and half_life_days.is_finite()) or half_life_days <= ZERO:
            problems.append(("halfLifeDays", "the half-life must be above 0 days"))
        elif half_life_days >= MAX_HALF_LIFE_DAYS:
            problems.append(("halfLifeDays", f"the half-life is under {MAX_HALF_LIFE_DAYS:,} days"))
    if Model(model) is Model.CUSTOM:
        if custom is None:
            problems.append(("weights", "a CUSTOM model needs its weights"))
        elif (message := custom_weights_problem(custom)) is not None:
            problems.append(("weights", message))
    elif custom is not None:
        problems.append(("weights", "only a CUSTOM model takes weights"))
    return problems


def weights(model: Model, j: Journey, half_life_days: Decimal = DEFAULT_HALF_LIFE_DAYS,
            custom: CustomWeights | None = None, as_of: datetime | None = None) -> list[Decimal]:
    """One weight per touch of `j`, in journey order, summing to exactly 1; [] for a journey without touches."""
    model = Model(model)
    n = len(j.touches)
    if model in (Model.MARKOV, Model.SHAPLEY):
        raise ValueError("a data-driven model weighs touches by the period's chain: driven.weights")
    if model is Model.TIME_DECAY and not half_life_days > ZERO:
        raise ValueError("the half-life must be above 0 days")
    if model is Model.CUSTOM:
        if custom is None:
            raise ValueError("the CUSTOM model needs custom weights")
        problem = custom_weights_problem(custom)
        if problem:
            raise ValueError(problem)
    if n == 0:
        return []
    if n == 1:
        return [ONE]
    if model is Model.LINEAR:
        return _exact([ONE] * n)
    if model is Model.TIME_DECAY:
        return _time_decay(j, Decimal(half_life_days), as_of)
    if model is Model.CUSTOM:
        assert custom is not None
        positions = {Milestone.FT: custom.ft, Milestone.LC: custom.lc, Milestone.OC: custom.oc,
                     Milestone.CW: custom.cw}
        others = custom.others
    else:
        positions, others = _POSITIONS[model]
    ms = milestones(j)
    placed = [(n - 1 if slot == _LAST else ms[Milestone(slot)], w) for slot, w in positions.items() if w > ZERO]
    return _positional(n, placed, others)


def _positional(n: int, placed: list[tuple[int | None, Decimal]], others: Decimal) -> list[Decimal]:
    """Steps 2-4 of the module docstring: `placed` holds (touch index or None if it did not happen, weight) for
    each of the model's milestones. The weights depend on nothing else, and journeys repeat a few shapes (the
    split to 24 places cost a millisecond a deal when the stored credits of every deal were rewritten), so each
    shape is worked out once (a fresh list each call)."""
    return list(_positional_weights(n, tuple(placed), others))


@lru_cache(maxsize=4096)
def _positional_weights(n: int, placed: tuple[tuple[int | None, Decimal], ...], others: Decimal) -> tuple[Decimal, ...]:
    raw = [ZERO] * n
    happened = [(i, w) for i, w in placed if i is not None]
    missing = sum((w for i, w in placed if i is None), ZERO)
    if happened:
        happened_total = sum((w for _, w in happened), ZERO)
        for i, w in happened:
            raw[i] += w + missing * w / happened_total
    else:
        others += missing
    holders = {i for i, _ in happened}
    rest = [k for k in range(n) if k not in holders]
    if rest:
        each = others / len(rest)
        for k in rest:
            raw[k] += each
    else:
        total = sum(raw, ZERO)
        raw = [r + others * r / total for r in raw]
    return tuple(_exact(raw))


def _time_decay(j: Journey, half_life_days: Decimal, as_of: datetime | None) -> list[Decimal]:
    # Measured to the close, else to the last touch (never to `as_of`): the normalised weights are the same from
    # any reference point, and from this one they are the same Decimals whatever the clock says, so an open deal's
    # stored TIME_DECAY rows are its live ones.
    reference = j.closed_at or j.touches[-1].at
    micro = timedelta(microseconds=1)
    raw = []
    for t in j.touches:
        age_days = Decimal((reference - t.at) // micro) / _DAY
        raw.append(pow2(-age_days / half_life_days))
    return _exact(raw)


def proportional(raw: list[Decimal]) -> list[Decimal]:
    """Raw weights (at least 0, positive total) as exact weights of 24 places summing to 1 (the data-driven models'
    per-touch effects, driven.py)."""
    return _exact(raw)


def _exact(raw: list[Decimal]) -> list[Decimal]:
    """`raw` normalised to weights of 24 decimal places summing to exactly 1: one unit of 1e-24 is split by
    largest remainder, like cents, so a weight that is exact at 24 places (0.3, 0.05) stays exact."""
    if not sum(raw, ZERO) > ZERO:
        raise ValueError("weights need a positive total")
    units = _largest_remainder(10 ** WEIGHT_PLACES, raw)
    return [Decimal(u).scaleb(-WEIGHT_PLACES).normalize() if u else ZERO for u in units]


# --- cents ---------------------------------------------------------------------------------

def split(amount_cents: int, weights: Sequence[Decimal]) -> list[int]:
    """Cents per touch, summing to exactly `amount_cents`, by largest remainder; equal fractional parts favour the
    earliest touch. A negative amount is split as its absolute value, negated."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("amounts are integer cents")
    if amount_cents < 0:
        return [-c for c in split(-amount_cents, weights)]
    ws = tuple(weights)
    try:
        units = _units_memo.get(ws)
    except TypeError:  # an unhashable weight (a signalling NaN): refused below
        units = None
    if units is not None:
        return _largest_remainder_units(amount_cents, units)
    if not ws:
        if amount_cents:
            raise ValueError("cannot split a nonzero amount over no touches")
        return []
    if not all(isinstance(w, Decimal) and w.is_finite() and w >= ZERO for w in ws):
        raise ValueError("weights must be finite Decimals of at least 0")
    units = _weight_units(ws)
    if units is not None:
        return _largest_remainder_units(amount_cents, units)
    total = sum(ws, ZERO)
    if abs(total - ONE) > WEIGHT_TOLERANCE:
        raise ValueError(f"weights must sum to 1 (they sum to {total.normalize()})")
    return _largest_remainder(amount_cents, list(ws))


_UNIT = 10 ** WEIGHT_PLACES
_TIE_UNITS = _UNIT // 10 ** 9      # TIE_QUANTUM (1e-9 of a cent) in units of 1e-24 of a cent
_units_memo: dict[tuple, tuple[int, ...] | None] = {}


def _weight_units(ws: tuple[Decimal, ...]) -> tuple[int, ...] | None:
    """The weights (checked finite and at least 0) as whole units of 1e-24 when each has at most 24 places and they
    sum to exactly 1 (as every model's weights do), else None. Memoised: a report reuses a handful of weight vectors
    for thousands of deals."""
    units = []
    for w in ws:
        u = w.scaleb(WEIGHT_PLACES)
        if u != u.to_integral_value():
            units = None
            break
        units.append(int(u))
    found = tuple(units) if units is not None and sum(units) == _UNIT else None
    if len(_units_memo) > 4096:
        _units_memo.clear()
    _units_memo[ws] = found
    return found


def _largest_remainder_units(amount: int, units: tuple[int, ...]) -> list[int]:
    """_largest_remainder for weights given as units of 1e-24 summing to 1e24, in integers: the same result (the
    fractional parts r/1e24 are exact, and rounding them half up to 1e-9 is an integer division)."""
    floors, ranks = [], []
    left = amount
    for k, u in enumerate(units):
        whole, rest = divmod(amount * u, _UNIT)
        floors.append(whole)
        left -= whole
        ranks.append((-((2 * rest + _TIE_UNITS) // (2 * _TIE_UNITS)), k))
    if left:
        ranks.sort()
        for _, k in ranks[:left]:
            floors[k] += 1
    return floors


def _largest_remainder(amount: int, ws: list[Decimal]) -> list[int]:
    """`amount` (at least 0) in whole units over `ws` (at least 0, positive total) in proportion: floors first, then
    one unit each to the largest fractional parts (compared at 1e-9 of a unit), the earliest first among equals."""
    digits = max(len(w.as_tuple().digits) + max(-w.as_tuple().exponent, 0) for w in ws)
    with localcontext() as ctx:
        ctx.prec = len(str(amount)) + len(str(len(ws))) + 2 * digits + 40
        total = sum(ws, ZERO)
        quotas = [amount * w / total for w in ws]
        units = [int(q.to_integral_value(rounding=ROUND_FLOOR)) for q in quotas]
        fractions = [(q - u).quantize(TIE_QUANTUM, rounding=ROUND_HALF_UP) for q, u in zip(quotas, units)]
    left = amount - sum(units)
    assert 0 <= left <= len(ws), left
    for k in sorted(range(len(ws)), key=lambda k: (-fractions[k], k))[:left]:
        units[k] += 1
    return units


def credit(model: Model, j: Journey, amount_cents: int, half_life_days: Decimal = DEFAULT_HALF_LIFE_DAYS,
           custom: CustomWeights | None = None, as_of: datetime | None = None) -> list[int]:
    """Cents per touch of `j` under `model`, summing to exactly the amount; [] without touches (the caller books
    such a deal to UNATTRIBUTED)."""
    if not j.touches:
        return []
    return split(amount_cents, weights(model, j, half_life_days, custom, as_of))


# --- sourced and influenced ----------------------------------------------------------------

def sourced_team(j: Journey) -> int | None:
    """The team of the first touch: sourced pipeline is theirs."""
    return j.touches[0].team_id if j.touches else None


def influencing_teams(j: Journey) -> set[int]:
    """Every team with a touch at or before OC (each gets the full amount as influenced pipeline)."""
    oc = milestones(j)[Milestone.OC]
    if oc is None:
        return set()
    return {t.team_id for t in j.touches[:oc + 1] if t.team_id is not None}


def is_shared_win(touching_functions: set[str | None]) -> bool:
    """A won deal is a shared win when marketing and sales (or SDR) both touched it before it was created: given
    the functions of its influencing teams."""
    return bool(touching_functions & {f.value for f in MARKETING_SIDE}) and \
        bool(touching_functions & {f.value for f in SALES_SIDE})


def share_of_total(part_cents: int, whole_cents: int) -> Decimal | None:
    """A credit line's share of the period's total (pipeline or bookings); None when the total is 0."""
    return None if whole_cents == 0 else Decimal(part_cents) / Decimal(whole_cents)
