"""In-process change notifications for live subscriptions: publishers name a topic, subscribers get the payloads
published after they joined. Each worker process has its own broker (a note in the README says so)."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

_MAX_QUEUED = 100
_subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)


def publish(topic: str, payload: Any) -> None:
    """Call after the change has been committed."""
    for queue in list(_subscribers.get(topic, ())):
        if queue.qsize() < _MAX_QUEUED:  # a subscriber that stopped reading misses updates, never blocks writers
            queue.put_nowait(payload)


async def subscribe(topic: str) -> AsyncIterator[Any]:
    queue: asyncio.Queue = asyncio.Queue()
    _subscribers[topic].add(queue)
    try:
        while True:
            yield await queue.get()
    finally:
        _subscribers[topic].discard(queue)
        if not _subscribers[topic]:
            _subscribers.pop(topic, None)


def objective_topic(objective_id: int) -> str:
    return f"objective:{objective_id}"
