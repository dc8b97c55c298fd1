"""Limits of the free texts clients write, one a kind of text. A longer text is refused by the use case with an
INVALID problem on its field (never cut, never left to the database: most of these columns are unbounded TEXT).
Pure: no I/O."""
from __future__ import annotations

NAME = 200          # a team, person, token, lead definition or pay component (their columns hold 200)
TITLE = 300         # an objective or key result (the column holds 300)
DESCRIPTION = 5_000  # an objective's description
COMMENT = 2_000     # a check-in's comment
REASON = 10_000     # why: an adjustment, a dispute and its resolution, a score override, a reopening, a lead's
                    # transition or recycle (imported lead events too)

_WHAT = {NAME: "a name", TITLE: "a title", DESCRIPTION: "a description", COMMENT: "a comment", REASON: "a reason"}


def too_long(text: str | None, limit: int, what: str | None = None) -> str | None:
    """The message when `text` is longer than `limit` characters, else None."""
    if text is None or len(text) <= limit:
        return None
    return f"{what or _WHAT.get(limit, 'the text')} has at most {limit:,} characters (this one has {len(text):,})"


def required_reason(text: str | None, missing: str, what: str | None = None) -> tuple[str, str | None]:
    """A reason a use case cannot do without (an adjustment's, a dispute's, its resolution, a waiver's): the text
    without its outer white space, and the message `missing` when nothing is left, or the REASON limit's message
    when it is too long (None when it will do)."""
    text = (text or "").strip()
    if not text:
        return text, missing
    return text, too_long(text, REASON, what)
