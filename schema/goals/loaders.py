"""The goals' DataLoader batch functions that are not a domain read as they stand (those are in
domain/goals/queries.py: objectives_by_ids, periods_by_ids, owners_by_objective, ...). A request makes one loader per
function (`info.context.loaders(fn)`)."""
from __future__ import annotations

from collections import defaultdict

from domain.goals import history, queries


async def series_by_objective_and_range(keys):
    """(objective id, range) -> its ObjectiveSeries: one evaluation of the series per range asked for."""
    by_range = defaultdict(list)
    for objective_id, rng in keys:
        by_range[rng].append(objective_id)
    found = {}
    for rng, ids in by_range.items():
        for objective_id, series in (await history.objectives_series(ids, rng)).items():
            found[objective_id, rng] = series
    return [found.get(key) for key in keys]


async def figures_by_objective(ids):
    """Objective id -> its ObjectiveFigures: the objectives of a request evaluated together."""
    found = await queries.evaluate_objectives(ids)
    return [found.get(i) for i in ids]
