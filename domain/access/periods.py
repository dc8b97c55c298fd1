"""Who may close a period, and who may sign it off, at a given moment. Pure: no I/O, no ORM.

Closing freezes every score and every pay statement of the quarter, for everyone, so:
- before the period's end only an ADMIN may close it, and says why (the reason is audited);
- from its end on, FINANCE or an ADMIN close it alone, or a sales-side leader and a marketing-side leader both sign
  it off (`periodCloseSignOff`): the second side's sign-off closes it;
- a close (or the closing sign-off) while pay disputes are still open needs `force` and a reason.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from domain.access.rules import ENDED_PERIOD_CLOSERS, side_of
from domain.errors import ErrorCode
from domain.org.rules import Role, TeamFunction

SIGN_OFF_MUTATION = "periodCloseSignOff"
STALE_CHECK_IN_DAYS = 14  # a MANUAL key result without a check-in this long is still open at close


class SignOffSide(str, Enum):
    """The two sides whose leaders jointly sign a period off."""

    SALES = "SALES"
    MARKETING = "MARKETING"




@dataclass(frozen=True)
class PeriodBounds:
    key: str
    start: datetime
    end: datetime  # exclusive: the period has ended once now >= end


@dataclass(frozen=True)
class Decision:
    """Whether an actor may do it now; when not, a message saying who may (and how)."""

    allowed: bool
    message: str = ""
    needs_reason: bool = False
    side: SignOffSide | None = None  # the side a sign-off counts for


def has_ended(period: PeriodBounds, now: datetime) -> bool:
    return now >= period.end


def leader_side(role: Role, team_function: TeamFunction | None) -> SignOffSide | None:
    """SALES for a LEADER of a sales or SDR team, MARKETING for a LEADER of a marketing team, else none.
    A service token has no team (team_function None) and so leads no side."""
    side = side_of(role, team_function)
    return None if side is None else SignOffSide(side)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def may_close(role: Role, team_function: TeamFunction | None, period: PeriodBounds, now: datetime) -> Decision:
    """`periodClose`: an ADMIN before the end (with a reason); FINANCE or an ADMIN from the end on."""
    if not has_ended(period, now):
        if role is Role.ADMIN:
            return Decision(True, needs_reason=True)
        early = f"{period.key} runs until {_day(period.end)}: before its end only an ADMIN may close it, with a reason"
        if role is Role.LEADER:
            early += (f"; from then on a sales-side and a marketing-side leader sign it off with "
                      f"{SIGN_OFF_MUTATION}")
        return Decision(False, early)
    if role in ENDED_PERIOD_CLOSERS:
        return Decision(True)
    if role is Role.LEADER:
        return Decision(False, f"a leader does not close {period.key} alone: sign it off with {SIGN_OFF_MUTATION}; "
                               f"it closes once a sales-side and a marketing-side leader have both signed off "
                               f"(FINANCE or an ADMIN may also close it)")
    return Decision(False, f"{period.key} is closed by FINANCE or an ADMIN, or by the sign-offs of a sales-side and "
                           f"a marketing-side leader ({SIGN_OFF_MUTATION})")


def may_sign_off(role: Role, team_function: TeamFunction | None, period: PeriodBounds, now: datetime) -> Decision:
    """`periodCloseSignOff`: a sales-side or marketing-side LEADER, from the period's end on."""
    side = leader_side(role, team_function)
    if side is None:
        return Decision(False, f"{period.key} is signed off by a LEADER of a sales or SDR team and a LEADER of a "
                               f"marketing team; FINANCE or an ADMIN close it with periodClose")
    if not has_ended(period, now):
        return Decision(False, f"{period.key} runs until {_day(period.end)}: it is signed off from its end on "
                               f"(before it, only an ADMIN may close it, with a reason)")
    return Decision(True, side=side)


def closes_period(sides: Iterable[SignOffSide]) -> bool:
    """The sign-offs close the period once both sides have signed."""
    return set(sides) >= set(SignOffSide)


def close_problems(open_disputes: int, force: bool, reason: str | None,
                   needs_reason: bool = False) -> list[tuple[ErrorCode, str, str]]:
    """(code, field, message) of each reason a permitted close cannot go ahead."""
    problems = []
    has_reason = bool((reason or "").strip())
    if needs_reason and not has_reason:
        problems.append((ErrorCode.INVALID, "reason", "closing a period before its end needs a reason"))
    if open_disputes and not force:
        problems.append((ErrorCode.CONFLICT, "force",
                         f"{open_disputes} pay dispute{'s are' if open_disputes != 1 else ' is'} not resolved: "
                         f"resolve {'them' if open_disputes != 1 else 'it'} first, or close with force: true and a "
                         f"reason"))
    elif open_disputes and not has_reason and not needs_reason:
        problems.append((ErrorCode.INVALID, "reason", "forcing a close over open disputes needs a reason"))
    return problems


def stale_check_in_cutoff(now: datetime) -> datetime:
    """A MANUAL key result with no check-in at or after this instant is listed as still open by the close preview."""
    return now - timedelta(days=STALE_CHECK_IN_DAYS)


def is_stale(last_check_in: datetime | None, now: datetime) -> bool:
    return last_check_in is None or last_check_in < stale_check_in_cutoff(now)


@dataclass(frozen=True)
class PeriodAbilities:
    close: bool
    sign_off: bool
    reopen: bool


def period_abilities(role: Role, team_function: TeamFunction | None, read_only: bool, period: PeriodBounds,
                     now: datetime, closed: bool, signed: Iterable[SignOffSide]) -> PeriodAbilities:
    """`Period.viewerCan`: may_close and may_sign_off with the period's state (a closed period is only reopened, by
    an ADMIN; a side that has signed off does not sign again)."""
    if read_only:
        return PeriodAbilities(False, False, False)
    sign_off = may_sign_off(role, team_function, period, now)
    return PeriodAbilities(
        close=not closed and may_close(role, team_function, period, now).allowed,
        sign_off=not closed and sign_off.allowed and sign_off.side not in set(signed),
        reopen=closed and role is Role.ADMIN)
