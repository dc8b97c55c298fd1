"""The one clock of the service: real time, or a fixed instant set by a setting or a test."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(timezone.utc)


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Business time set to `moment` for the block, then back to what it was (the demo dates its check-ins)."""
    global _fixed
    saved = _fixed
    set_now(moment)
    try:
        yield
    finally:
        _fixed = saved


def set_now(moment: datetime | None) -> None:
    """Fix "now" (None returns to the real clock). The instant must carry a zone."""
    global _fixed
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _fixed = moment.astimezone(timezone.utc) if moment is not None else None
