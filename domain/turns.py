"""Long CPU loops give the event loop a turn every few milliseconds, so that one heavy report (a live attribution
model over a whole period, a large result being built) does not hold up every other request of the process, and a
deadline or a hung-up client can stop it (a cancellation lands at the next turn).

    turns = Turns()
    for deal in deals:
        ...
        if turns.due():
            await turns.give()

`due()` is a clock read, cheap enough to call every item; checking every few hundred items of a very short loop
body (`due(i)`) costs even less.
"""
from __future__ import annotations

import asyncio
import time

SLICE_SECONDS = 0.001  # CPU work between two turns: a trivial request needs a few dozen turns of the loop


class Turns:
    __slots__ = ("_next", "given")

    def __init__(self) -> None:
        self._next = time.monotonic() + SLICE_SECONDS
        self.given = 0

    def due(self, i: int | None = None) -> bool:
        """Whether the slice is over (with `i`, checked only every 256 items)."""
        if i is not None and i & 255:
            return False
        return time.monotonic() >= self._next

    async def give(self) -> None:
        await asyncio.sleep(0)
        self.given += 1
        self._next = time.monotonic() + SLICE_SECONDS
