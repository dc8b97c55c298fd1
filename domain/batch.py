"""Batch reads for per-request loaders: one query for a whole batch of keys, answers in the keys' order."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from tortoise import Tortoise


def fits_key(model, value: int, field: str = "id") -> bool:
    """Whether an integer fits `model.field`'s column (ids are 32-bit in some tables, 64-bit in others): the
    database refuses to compare a column with a number it cannot hold (found by fuzzing, on PostgreSQL)."""
    constraints = model._meta.fields_map[field].constraints
    return constraints.get("ge", value) <= value <= constraints.get("le", value)


def fits_id(model_name: str, pk: int) -> bool:
    """`fits_key` for the id of the model called `model_name` (32-bit when there is no such model)."""
    apps = dict(Tortoise.apps.items()) if Tortoise.apps is not None else {}
    model = apps.get("models", {}).get(model_name)
    return fits_key(model, pk) if model is not None else -(2**31) <= pk < 2**31


async def by_ids(model, ids: Sequence[int]) -> list[Any | None]:
    """The rows of `model` with these ids, None where an id names nothing."""
    found = {row.id: row for row in await model.filter(id__in=[i for i in ids if fits_key(model, i)])}
    return [found.get(i) for i in ids]


def grouped(rows, key: Callable[[Any], Any], ids: Sequence[Any]) -> list[list[Any]]:
    """`rows` split by `key`, one (possibly empty) list per id, rows keeping their order."""
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(i, []) for i in ids]
