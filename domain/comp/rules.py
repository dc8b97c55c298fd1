"""Compensation rules: plan checks, attainment, the payout curve, gates and statement lines.
Pure: Decimal in, Decimal out; no I/O, no ORM.

DOMAIN.md "Compensation linked to the shared goals" and "Settled rules" -> Numbers, Compensation:
- payout = targetVariable × weight × curve(attainment), in exact decimals, each line rounded half-up to cents once;
- the threshold is a cliff, tiers of a rate table are marginal, the cap limits the curve value (not attainment);
- a component measuring a key result uses its raw progress floored at 0; a gate uses clamped progress.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from enum import Enum

from domain.attribution.rules import split as split_cents
from domain.goals.rules import clamp, shares_problem
from domain.money import CENT, MAX_AMOUNT, amount_problem, round_cents

ZERO, ONE = Decimal(0), Decimal(1)
MAX_NAME = 200   # the stored column's length


class CompMetric(str, Enum):
    OWN_BOOKINGS = "OWN_BOOKINGS"
    TEAM_BOOKINGS = "TEAM_BOOKINGS"
    ATTRIBUTED_BOOKINGS = "ATTRIBUTED_BOOKINGS"
    KEY_RESULT_PROGRESS = "KEY_RESULT_PROGRESS"
    MQLS_DELIVERED = "MQLS_DELIVERED"
    SLA_COMPLIANCE = "SLA_COMPLIANCE"


@dataclass(frozen=True)
class Tier:
    """One band of a marginal rate table: `rate` applies from `from_attainment` up to the next tier's start
    (the last tier has no upper end)."""

    from_attainment: Decimal
    rate: Decimal


@dataclass(frozen=True)
class Gate:
    """The component pays only once this shared key result's clamped progress reaches `min_progress`."""

    key_result_id: int
    min_progress: Decimal


@dataclass(frozen=True)
class Component:
    """One component of a plan. With `tiers` the rate table replaces the accelerator (the threshold cliff and the
    cap still apply). A KEY_RESULT_PROGRESS component measures progress, so its quota is 1."""

    name: str
    metric: CompMetric
    quota: Decimal
    weight: Decimal
    threshold: Decimal = ZERO
    accelerator: Decimal = ONE
    cap: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    key_result_id: int | None = None
    gate: Gate | None = None


@dataclass(frozen=True)
class Line:
    """One line of a statement: attainment and curve are shown unrounded even when a closed gate pays 0."""

    component: str
    metric: CompMetric
    metric_value: Decimal
    quota: Decimal
    attainment: Decimal
    curve_value: Decimal
    gate_open: bool
    payout: Decimal


# --- plan checks -------------------------------------------------------------------------

def _finite(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def component_problems(c: Component) -> list[tuple[str, str]]:
    """(field, message) for each problem of one component. `field` is the input's (camelCase) name, dotted
    below it: "tiers.1.rate", "gate.minProgress"."""
    problems: list[tuple[str, str]] = []
    if not c.name or not c.name.strip():
        problems.append(("name", "a component needs a name"))
    elif len(c.name) > MAX_NAME:
        problems.append(("name", f"a component name has at most {MAX_NAME} characters"))

    numbers = {"quota": c.quota, "weight": c.weight, "threshold": c.threshold, "accelerator": c.accelerator}
    if c.cap is not None:
        numbers["cap"] = c.cap
    bad = {f for f, v in numbers.items() if not _finite(v)}
    problems.extend((f, "must be a finite number") for f in numbers if f in bad)

    if "quota" not in bad:
        if c.quota <= ZERO:
            problems.append(("quota", "the quota must be above 0"))
        elif c.metric is CompMetric.KEY_RESULT_PROGRESS and c.quota != ONE:
            problems.append(("quota", "a KEY_RESULT_PROGRESS component measures progress, so its quota is 1"))
    if "weight" not in bad and not (ZERO < c.weight <= ONE):
        problems.append(("weight", "the weight must be above 0 and at most 1"))
    if "threshold" not in bad and c.threshold < ZERO:
        problems.append(("threshold", "the threshold cannot be negative"))
    if "accelerator" not in bad:
        if c.accelerator < ZERO:
            problems.append(("accelerator", "the accelerator cannot be negative"))
        elif c.tiers and c.accelerator != ONE:
            problems.append(("accelerator", "a component with tiers takes its rates from them, not an accelerator"))
    if c.cap is not None and "cap" not in bad:
        if c.cap <= ZERO:
            problems.append(("cap", "the cap must be above 0"))
        elif "threshold" not in bad and c.cap < c.threshold:
            problems.append(("cap", "the cap cannot be below the threshold"))

    problems.extend(_tier_problems(c.tiers))

    if c.metric is CompMetric.KEY_RESULT_PROGRESS and c.key_result_id is None:
        problems.append(("keyResultId", "a KEY_RESULT_PROGRESS component needs the key result it measures"))
    elif c.metric is not CompMetric.KEY_RESULT_PROGRESS and c.key_result_id is not None:
        problems.append(("keyResultId", "only a KEY_RESULT_PROGRESS component names a key result"))

    if c.gate is not None:
        if not _finite(c.gate.min_progress):
            problems.append(("gate.minProgress", "must be a finite number"))
        elif not (ZERO <= c.gate.min_progress <= ONE):
            problems.append(("gate.minProgress", "a gate's minimum progress must be between 0 and 1"))
    return problems


def _tier_problems(tiers: Sequence[Tier]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    previous: Decimal | None = None
    for i, t in enumerate(tiers):
        start_ok = _finite(t.from_attainment)
        if not start_ok:
            problems.append((f"tiers.{i}.fromAttainment", "must be a finite number"))
        elif i == 0 and t.from_attainment != ZERO:
            problems.append((f"tiers.{i}.fromAttainment", "the first tier starts at attainment 0"))
        elif previous is not None and t.from_attainment <= previous:
            problems.append((f"tiers.{i}.fromAttainment",
                             "tiers must be in strictly ascending order of their starting attainment"))
        previous = t.from_attainment if start_ok else previous
        if not _finite(t.rate):
            problems.append((f"tiers.{i}.rate", "must be a finite number"))
        elif t.rate < ZERO:
            problems.append((f"tiers.{i}.rate", "a tier's rate cannot be negative"))
    return problems


def plan_problems(target_variable: Decimal, components: Sequence[Component]) -> list[tuple[tuple[str, ...], str]]:
    """(field path, message) for each problem of a plan, e.g. (("components", "0", "quota"), "...")."""
    problems: list[tuple[tuple[str, ...], str]] = []
    if not _finite(target_variable):
        problems.append((("targetVariable",), "must be a finite number"))
    elif target_variable < ZERO:
        problems.append((("targetVariable",), "the target variable pay cannot be negative"))
    elif message := amount_problem(target_variable, "the target variable pay"):
        problems.append((("targetVariable",), message))

    weights = [c.weight for c in components]
    if not components or all(_finite(w) and ZERO < w <= ONE for w in weights):
        # an out-of-range weight is reported on its own component; the sum is checked once each is in range
        message = shares_problem(weights)
        if message is not None:
            problems.append((("components",), f"component weights: {message}"))

    seen: set[str] = set()
    for i, c in enumerate(components):
        for field, message in component_problems(c):
            problems.append((("components", str(i), *field.split(".")), message))
        key = (c.name or "").strip().casefold()
        if key and key in seen:
            problems.append((("components", str(i), "name"), "each component of a plan needs its own name"))
        seen.add(key)
    return problems


# --- attainment, curve, payout -------------------------------------------------------------

def attainment(metric_value: Decimal, quota: Decimal) -> Decimal:
    """metric ÷ quota, unrounded."""
    return metric_value / quota


def curve(c: Component, a: Decimal) -> Decimal:
    """The payout curve at attainment `a`, unrounded.

    Below the threshold it is 0; at or above it the whole curve pays from 0 up (a cliff: at a = threshold it is
    `a`, not `a − threshold`). Without tiers: `a` up to 1, then `1 + (a − 1) × accelerator`. With tiers: the sum
    over tiers of rate × the part of `a` inside that tier's band. The cap then limits the value (not attainment).
    """
    if a < c.threshold or a <= ZERO:
        return ZERO
    if c.tiers:
        value = _tiered(c.tiers, a)
    elif a <= ONE:
        value = a
    else:
        value = ONE + (a - ONE) * c.accelerator
    if c.cap is not None and value > c.cap:
        return c.cap
    return value


def _tiered(tiers: Sequence[Tier], a: Decimal) -> Decimal:
    value = ZERO
    for i, t in enumerate(tiers):
        if a <= t.from_attainment:
            break
        upper = tiers[i + 1].from_attainment if i + 1 < len(tiers) else a
        value += t.rate * (min(a, upper) - t.from_attainment)
    return value


def payout(target_variable: Decimal, weight: Decimal, curve_value: Decimal) -> Decimal:
    """targetVariable × weight × curve, rounded half-up to cents once (per line), and never more than an amount
    can be (MAX_AMOUNT less a cent): a tiny quota or a steep curve could make a product too long to round to
    cents or to store, which failed statements and the period's close (found by fuzzing)."""
    with localcontext() as exact:
        exact.prec = 80
        value = target_variable * weight * curve_value
    return round_cents(min(value, MAX_AMOUNT - CENT))


# --- key results and gates -----------------------------------------------------------------

def key_result_metric(raw_progress: Decimal) -> Decimal:
    """The metric of a KEY_RESULT_PROGRESS component: the key result's raw progress floored at 0 (an overshoot
    is kept, so it can reach the accelerator). Its quota is 1, so attainment equals this value."""
    return max(raw_progress, ZERO)


def gate_open(gate: Gate, clamped_progress: Decimal) -> bool:
    """A gate is open once the key result's clamped progress is at least its minimum (clamped again here,
    so raw progress gives the same answer)."""
    return clamp(clamped_progress) >= gate.min_progress


# --- statement lines -----------------------------------------------------------------------

def statement_line(target_variable: Decimal, c: Component, metric_value: Decimal,
                   gate_progress: Decimal | None) -> Line:
    """One statement line. `metric_value` is the component's figure (a key result's progress may be given raw:
    it is floored at 0 here); `gate_progress` is the gate key result's progress, None when there is no gate.
    A closed gate pays 0.00, and the line still shows the metric, attainment and curve."""
    if c.metric is CompMetric.KEY_RESULT_PROGRESS:
        metric_value = key_result_metric(metric_value)
    if c.gate is None:
        is_open = True
    elif gate_progress is None:
        raise ValueError(f"component {c.name!r} has a gate: its key result's progress is needed")
    else:
        is_open = gate_open(c.gate, gate_progress)
    a = attainment(metric_value, c.quota)
    value = curve(c, a)
    return Line(component=c.name, metric=c.metric, metric_value=metric_value, quota=c.quota, attainment=a,
                curve_value=value, gate_open=is_open,
                payout=payout(target_variable, c.weight, value) if is_open else round_cents(ZERO))


# --- crediting splits ------------------------------------------------------------------------------------------

HUNDRED = Decimal(100)
MAX_SPLITS = 20


def split_problems(percents: Sequence[Decimal]) -> list[tuple[int | None, str]]:
    """What is wrong with a deal's split percentages: (index, problem) per bad entry, (None, problem) for the whole
    set. Each is above 0 and at most 100 with at most 2 decimals; together exactly 100.00. No splits at all is
    allowed (the deal goes back to its owner)."""
    problems: list[tuple[int | None, str]] = []
    if len(percents) > MAX_SPLITS:
        return [(None, f"a deal is split among at most {MAX_SPLITS} people")]
    for i, p in enumerate(percents):
        if not p.is_finite() or not ZERO < p <= HUNDRED:
            problems.append((i, "a split is more than 0 and at most 100 percent"))
        elif p != p.quantize(CENT):
            problems.append((i, "a split has at most 2 decimals"))
    if percents and not problems and sum(percents, ZERO) != HUNDRED:
        problems.append((None, f"the splits sum to {sum(percents, ZERO):.2f}, not exactly 100.00"))
    return problems


def pay_credit(amount_cents: int, owner_id: int | None, splits: Sequence[tuple[int, Decimal]]) -> dict[int, int]:
    """{person: cents} of a deal's credit for pay: its splits' shares split to the cent by largest remainder (so
    they sum to the amount), or the whole amount to its owner when it has none (nobody's when it has no owner)."""
    if not splits:
        return {owner_id: amount_cents} if owner_id is not None else {}
    cents = split_cents(amount_cents, [p / HUNDRED for _, p in splits])
    return {person: c for (person, _), c in zip(splits, cents)}


# --- draws ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draw:
    """A plan's draw: the minimum its period pays (None: no draw), whether the top-up is recoverable (repaid from
    later earnings) or a bonus, and the share of earnings above the minimum that repays an earlier balance."""

    minimum: Decimal | None = None
    recoverable: bool = True
    recovery_share: Decimal = ONE


@dataclass(frozen=True)
class DrawOutcome:
    amount: Decimal          # positive: the top-up; negative: repaid from this period's earnings; 0: neither
    balance_after: Decimal   # what is still owed of recoverable draws once this statement is paid


def draw_problems(draw: Draw) -> list[tuple[tuple[str, ...], str]]:
    problems = []
    if draw.minimum is not None and not draw.minimum.is_finite():
        problems.append((("draw", "minimum"), "a draw's minimum is a number"))
    elif draw.minimum is not None and (problem := amount_problem(draw.minimum, "a draw's minimum")):
        problems.append((("draw", "minimum"), problem))
    elif draw.minimum is not None and (draw.minimum <= ZERO or draw.minimum != draw.minimum.quantize(CENT)):
        problems.append((("draw", "minimum"), "a draw's minimum is above 0, in cents"))
    if not draw.recovery_share.is_finite() or not ZERO <= draw.recovery_share <= ONE:
        problems.append((("draw", "recoveryShare"), "the recovery share is from 0 to 1"))
    return problems


def draw_outcome(earnings: Decimal, draw: Draw, balance_before: Decimal) -> DrawOutcome:
    """The draw line of a statement whose lines earn `earnings`, for a person owing `balance_before`:
    - below the minimum, the top-up to it (added to the balance when recoverable);
    - else, the earlier balance is repaid from the earnings above the minimum (above 0 without one), at most the
      recovery share of them, to the cent (rounded down: never more than the share)."""
    minimum = draw.minimum if draw.minimum is not None else ZERO
    if earnings < minimum:
        top_up = round_cents(minimum - earnings)
        return DrawOutcome(top_up, balance_before + (top_up if draw.recoverable else ZERO))
    if balance_before <= ZERO:
        return DrawOutcome(ZERO, balance_before)
    room = ((earnings - minimum) * draw.recovery_share).quantize(CENT, rounding="ROUND_FLOOR")
    repaid = min(balance_before, room)
    return DrawOutcome(-repaid, balance_before - repaid)


def draw_balance(locked: Sequence[tuple[Decimal, bool]]) -> Decimal:
    """A person's draw balance from the draws of their earlier locked statements ((amount, recoverable) each):
    recoverable top-ups owed, less what was repaid."""
    return sum((amount for amount, recoverable in locked if amount < ZERO or recoverable), ZERO)


# --- clawbacks ------------------------------------------------------------------------------------------------

def in_clawback_window(closed_at, days: int | None, seen_at) -> bool:
    """Whether a change to a deal seen at `seen_at` falls within `days` of the deal's close (no window: never)."""
    from datetime import timedelta
    return days is not None and closed_at <= seen_at <= closed_at + timedelta(days=days)


def clawback(target_variable: Decimal, c: Component, locked: Line, locked_cents: int, new_cents: int) -> Decimal:
    """What comes back of a locked line's payout when one deal behind it is now worth `new_cents` instead of the
    `locked_cents` it counted for: the line recomputed with only that deal changed, less what it paid (never
    positive: a deal that grew pays nothing more here). A line whose gate was closed paid nothing: nothing back."""
    if not locked.gate_open or new_cents >= locked_cents:
        return ZERO
    value = locked.metric_value - Decimal(locked_cents - new_cents) / 100
    again = statement_line(target_variable, replace(c, gate=None), value, None)
    return min(ZERO, again.payout - locked.payout)


def clawback_days_problem(days: int | None) -> str | None:
    if days is not None and not 1 <= days <= 3650:
        return "a clawback window is 1 to 3,650 days"
    return None
