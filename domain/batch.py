"""Batch reads for per-request loaders: one query for a whole batch of keys, answers in the keys' order."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any


async def by_ids(model, ids: Sequence[int]) -> list[Any | None]:
    """The rows of `model` with these ids, None where an id names nothing."""
    found = {row.id: row for row in await model.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


def grouped(rows, key: Callable[[Any], Any], ids: Sequence[Any]) -> list[list[Any]]:
    """`rows` split by `key`, one (possibly empty) list per id, rows keeping their order."""
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(i, []) for i in ids]
