"""Change notifications for live subscriptions: publishers name a topic after their change is committed, and
subscribers get the payloads published after they joined.

Delivery to this process's subscribers happens here, at once. A backend may be installed to carry each event to
the other processes of the service too (on PostgreSQL, `api/pubsub.py` forwards it with NOTIFY and hands the
events of other processes to `deliver`); without one, events stay in the process (SQLite, one worker).

Payloads are small JSON values (a key result id). A subscriber that reads slowly never holds a publisher up: the
payloads waiting for it are kept once each (a repeated one is already on its way, and subscribers read the current
state when it arrives), up to a limit beyond which newer ones are dropped for it.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Hashable
from typing import Any, Protocol

log = logging.getLogger("sharedgoals.events")

_MAX_QUEUED = 100  # distinct payloads waiting for one subscriber


class Backend(Protocol):
    def forward(self, topic: str, payload: Any) -> None:
        """Carry an event published in this process to the others (without blocking; never back to this one)."""


class _Mailbox:
    """One subscriber's pending payloads, in order, each at most once."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.pending: dict[Hashable, None] = {}
        self.ready = asyncio.Event()
        self.dropped = 0

    def put(self, payload: Hashable) -> None:
        try:
            same_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._put(payload)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._put, payload)

    def _put(self, payload: Hashable) -> None:
        if payload in self.pending:
            return
        if len(self.pending) >= _MAX_QUEUED:
            self.dropped += 1
            return
        self.pending[payload] = None
        self.ready.set()

    async def get(self) -> Any:
        while not self.pending:
            self.ready.clear()
            await self.ready.wait()
        payload = next(iter(self.pending))
        del self.pending[payload]
        return payload


_subscribers: dict[str, set[_Mailbox]] = defaultdict(set)
_backend: Backend | None = None


def install(backend: Backend | None) -> None:
    """Carry events across processes through `backend` from now on (None: in this process only)."""
    global _backend
    _backend = backend


def installed() -> Backend | None:
    return _backend


def publish(topic: str, payload: Any) -> None:
    """Call after the change has been committed. Never blocks and never fails the caller."""
    deliver(topic, payload)
    if _backend is not None:
        try:
            _backend.forward(topic, payload)
        except Exception:  # the change is committed: a broken bridge must not turn it into an error
            log.exception("could not forward the event on %s", topic)


def deliver(topic: str, payload: Any) -> None:
    """Hand a payload to this process's subscribers of the topic (also called by a backend for other processes'
    events)."""
    for mailbox in list(_subscribers.get(topic, ())):
        mailbox.put(payload)


def has_subscribers(topic: str) -> bool:
    """Whether this process has a subscriber of the topic (others may, when a backend is installed)."""
    return bool(_subscribers.get(topic))


def may_be_heard() -> bool:
    """Whether a publication can reach anyone: a subscriber here, or other processes through a backend."""
    return _backend is not None or any(_subscribers.values())


async def subscribe(topic: str) -> AsyncIterator[Any]:
    mailbox = _Mailbox()
    _subscribers[topic].add(mailbox)
    try:
        while True:
            yield await mailbox.get()
    finally:
        _subscribers[topic].discard(mailbox)
        if not _subscribers[topic]:
            _subscribers.pop(topic, None)


TOKENS_REVOKED = "tokens:revoked"  # payload: the id of a token just revoked (its open websockets close)


def objective_topic(objective_id: int) -> str:
    return f"objective:{objective_id}"
