"""Live updates of key results whose value is computed from other areas' rows (METRIC key results)."""
from __future__ import annotations

from domain import events
from domain.goals.models import KeyResult
from domain.goals.rules import KeyResultSource
from domain.org.rules import PeriodStatus


async def publish_metric_key_results() -> int:
    """Announce every live METRIC key result of the open periods, once each: call after committing rows their
    metrics may read (an import). Subscribers may be in other processes, so it does not look for local ones;
    it is a handful of rows. Returns how many were announced."""
    if not events.may_be_heard():
        return 0
    rows = await KeyResult.filter(source=KeyResultSource.METRIC, archived_at=None, objective__archived_at=None,
                                  objective__period__status=PeriodStatus.OPEN).values_list("id", "objective_id")
    for key_result_id, objective_id in sorted(set(rows)):
        events.publish(events.objective_topic(objective_id), key_result_id)
    return len(set(rows))
